"""Small Streamlit pieces shared by pages: picking runs and showing problems."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from trainer import runfiles as rf

from .settings import runs_dir


def available_runs() -> tuple[Path, list[str]]:
    root = runs_dir()
    return root, rf.list_runs(root)


def pick_runs(runs: list[str], key: str = "runs", label: str = "Runs") -> list[str]:
    """A multiselect of runs, remembered in the URL (?run=a&run=b) so links reproduce the view."""
    wanted = [r for r in st.query_params.get_all("run") if r in runs]
    default = wanted or runs[:1]
    chosen = st.multiselect(label, runs, default=default, key=key,
                            help="Pick several to overlay them; the first is shown in detail.")
    st.query_params["run"] = chosen
    return chosen


def show_problems(problems) -> None:
    for p in problems:
        st.warning(p, icon=":material/warning:")


def no_runs_message(root: Path) -> None:
    st.info(f"No runs in `{root}` yet. Start one on the **Runs** page, or point the dashboard at a runs "
            "folder with `streamlit run app/main.py -- --runs-dir PATH`.")
