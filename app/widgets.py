"""Small Streamlit pieces shared by pages: picking runs, showing problems, tabs and boxes worked out only when open."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import streamlit as st

from wgan_watch.runs import runfiles as rf

from .settings import runs_dir


def available_runs() -> tuple[Path, list[str]]:
    root = runs_dir()
    return root, rf.list_runs(root)


def runs_to_show(root: Path, runs: list[str], key: str = "runs") -> tuple[list[str], list[str]]:
    """(the runs pick_runs will show, the runs a link asked for that are not there), known before the picker is
    drawn, so a page can send its first chart ahead of the picker. Remembered in the URL (?run=a&run=b) so links
    reproduce the view; without a link, the user's last choice in this session, else the newest run; a link to a
    run that is not there selects nothing in its place."""
    asked = st.query_params.get_all("run")
    missing = [r for r in asked if r not in runs]
    if key in st.session_state:  # the picker's value as the browser holds it (from the last run that drew it)
        return [r for r in st.session_state[key] if r in runs], missing
    wanted = [r for r in asked if r in runs]
    if not asked:
        wanted = [r for r in st.session_state.get(LAST_PICKED, []) if r in runs] or [newest_run(root, runs)]
    return wanted, missing


def pick_runs(root: Path, runs: list[str], wanted: list[str], missing: list[str], key: str = "runs",
              label: str = "Runs") -> list[str]:
    """A multiselect of runs opening on what runs_to_show() gave (`wanted`, `missing`), its choice kept in the URL
    and for the session's next visit."""
    if missing:
        st.warning(f"There is no run {', '.join(f'`{m}`' for m in missing)} in `{root}`: pick one below.",
                   icon=":material/search_off:")
    chosen = st.multiselect(label, runs, default=wanted, key=key,
                            help="Pick several to overlay them; the first is shown in detail.")
    if chosen or not missing:  # a broken link stays in the address bar until the user picks
        st.query_params["run"] = chosen
    st.session_state[LAST_PICKED] = chosen
    return chosen


LAST_PICKED = "last_picked_runs"


def newest_run(root: Path, runs: list[str]) -> str:
    """The run started last (status.json's started_at); among runs without one, the first in `runs` (the Runs
    listing's newest first)."""
    from . import load

    def started(r: str) -> float:
        t = load.status(rf.resolve_run(root, r)).get("started_at")
        return float(t) if isinstance(t, (int, float)) else -1.0

    return max(runs, key=lambda r: (started(r), -runs.index(r)))


def show_problems(problems) -> None:
    for p in problems:
        st.warning(p, icon=":material/warning:")


def no_runs_message(root: Path) -> None:
    st.info(f"No runs in `{root}` yet. Start one on the **Runs** page, or point the dashboard at a runs "
            "folder with `streamlit run app/main.py -- --runs-dir PATH`.")


# Tabs and boxes of which only the open ones are worked out and sent: a fresh browser draws each Plotly chart in
# about 0.15 s, and a closed box's code block (the highlighter) cost Compare 0.4 s of the browser's main thread
# before its first chart (bench/README.md, "Fewer charts on arrival").

def lazy_tabs(tabs: dict[str, Callable[[], None]], key: str) -> None:
    """One tab per label, only the open one drawn (its function called). The open tab is in the address under
    `key` (unless it is the first), so a link opens it; each page needs a key of its own, or a tab left open on
    one page is carried to the other's."""
    for tab, draw in zip(st.tabs(list(tabs), key=key, bind="query-params", on_change="rerun"), tabs.values()):
        if tab.open:
            with tab:
                draw()


def lazy_expander(label: str, draw: Callable[[], None], key: str, expanded: bool = False) -> None:
    """An expander whose content (`draw`) is worked out only while it is open."""
    box = st.expander(label, expanded=expanded, key=key, on_change="rerun")
    if box.open:
        with box:
            draw()


VERDICT_ICONS = {"improving": ":material/trending_down:", "plateaued": ":material/horizontal_rule:",
                 "converged": ":material/check_circle:",
                 "getting worse": ":material/trending_up:", "unstable": ":material/warning:",
                 "diverged": ":material/error:", "too early": ":material/hourglass_empty:"}


def advice_card(run_dir: Path, name: Optional[str] = None) -> None:
    """The stop advisor's verdict in plain words, the numbers behind it, and its warnings; `name`: the run's, said
    in the question (for a page showing several runs)."""
    from wgan_watch.advice import PAUSE_NOTE

    from . import load

    adv, (rho_all, rho_last, q_col) = load.advice(run_dir)
    stop = adv.verdict in ("plateaued", "converged") and not adv.numbers.get(PAUSE_NOTE)
    box = st.error if adv.verdict in ("diverged", "getting worse") else (
        st.warning if adv.verdict == "unstable" else st.success if stop else st.info)
    box(f"**Should I stop{f' {name}' if name else ''}?** {adv.headline}", icon=VERDICT_ICONS.get(adv.verdict))
    for w in adv.warnings:
        st.warning(w, icon=":material/warning:")
    c = st.columns(4)
    c[0].metric("Verdict", adv.verdict, help="too early, improving, plateaued, converged (at the measure's "
                "noise floor), getting worse, unstable, diverged")
    if "relative change over window" in adv.numbers:
        c[1].metric("Change over window", f"{adv.numbers['relative change over window']:+.1%}",
                    help=f"median estimate, second half vs first half of the last "
                         f"{adv.numbers['window (steps)']} steps; noise SD {adv.numbers['noise (SD per step)']:.3g}")
    if "best quality" in adv.numbers:
        snap = "snapshot kept" if adv.numbers["snapshot at best step"] else "no snapshot there"
        c[2].metric(f"Best {adv.numbers['quality measure']}", f"{adv.numbers['best quality']:.4g}",
                    f"step {adv.numbers['best at step']} ({snap})", delta_color="off")
    if q_col:
        c[3].metric("Estimate tracks quality", f"ρ = {rho_all:.2f}" if rho_all == rho_all else "n/a",
                    f"second half ρ = {rho_last:.2f}" if rho_last == rho_last else None, delta_color="off",
                    help=f"Spearman rank correlation of the smoothed estimate with {q_col} at the evaluation "
                         "steps; near +1 means the estimate falls when the samples get better.")
