"""Break critical lines on purpose and see whether the test suite notices: a mutation check you can repeat.

    python -m bench.mutants [--only NAME] [--keep]

Each mutant replaces one piece of code (the resume's loading, the gradient penalty, the weight
clip, the advisor's plateau rule, the atomic rename, the run-name check, the NaN stop) in a copy of
this repository's tracked files, then runs the tests that guard it there. "caught" means those
tests failed on the mutant; each selection is first run on the unmutated copy and must pass there,
so a catch is the mutant's doing. The working tree is never touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant("resume loads nothing", "trainer/training.py",
           '''            self.G.load_state_dict(ckpt["G"])
            self.D.load_state_dict(ckpt["D"])
            self.opt_g.load_state_dict(ckpt["opt_g"])
            self.opt_d.load_state_dict(ckpt["opt_d"])''', "            pass",
           ("tests/test_resume.py::test_killed_and_resumed_run_ends_in_the_uninterrupted_runs_state",)),
    Mutant("resume restores no RNG", "trainer/training.py",
           "                artifacts.restore_rng(ckpt)", "                pass",
           ("tests/test_resume.py::test_killed_and_resumed_run_ends_in_the_uninterrupted_runs_state",)),
    Mutant("no gradient penalty", "trainer/objectives.py",
           "loss = d_fake.mean() - d_real.mean() + self.gp_lambda * gp", "loss = d_fake.mean() - d_real.mean()",
           ("tests/test_objectives.py", "tests/test_equivalence.py")),
    Mutant("no weight clip", "trainer/objectives.py",
           """            torch._foreach_clamp_min_(self._params, -self.clip)
            torch._foreach_clamp_max_(self._params, self.clip)""", "            pass",
           ("tests/test_objectives.py", "tests/test_equivalence.py")),
    Mutant("advisor never calls a plateau", "trainer/advice/quality_trend.py",
           "        else:\n            t.stalled = True",
           "        else:\n            t.stalled = False", ("tests/test_advice.py",)),
    Mutant("advisor believes two evaluations", "trainer/advice/quality_trend.py",
           "        j = min(j, i - WINDOW_EVALS)", "        j = i - 1", ("tests/test_advice.py",)),
    Mutant("advisor ignores the noise floor", "trainer/advice/quality_trend.py",
           "    if not np.isfinite(t.floor) or t.n < 3:", "    if True:", ("tests/test_advice.py",)),
    Mutant("no atomic rename (write in place)", "trainer/runs/atomic.py",
           'fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)',
           "fd, tmp = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), str(path)",
           ("tests/test_runfiles.py",)),
    Mutant("any run name accepted", "trainer/runs/runfiles.py",
           'return bool(_NAME_RE.match(name)) and ".." not in name', "return True",
           ("tests/test_runfiles.py", "tests/test_app.py::test_run_names_leading_outside_are_not_shown")),
    Mutant("a NaN loss does not stop the trainer", "trainer/runs/record.py",
           'if bad is not None and self.on_nan == "raise":', "if False:",
           ("tests/test_train.py::test_nan_loss_ends_the_run_as_diverged",)),
)


def copy_repo(dest: Path) -> None:
    """The tracked (and new, not ignored) files of this repository, as they are in the working tree."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for f in files:
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)


def run_tests(where: Path, tests: tuple[str, ...]) -> tuple[bool, float]:
    env = {**os.environ, "PYTHONPATH": str(where), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("WGAN_WATCH_NO_SKIPS", None)
    t = time.time()
    r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], cwd=where,
                       env=env, capture_output=True, text=True, timeout=1800)
    return r.returncode == 0, time.time() - t


def main(argv=None) -> list[tuple[Mutant, bool]]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="mutants whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the copies (printed)")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or args.only in m.name]
    work = Path(tempfile.mkdtemp(prefix="mutants-"))
    clean = work / "clean"
    copy_repo(clean)
    print(f"Mutation check: {len(chosen)} mutants, {platform.machine()}, {os.cpu_count()} cores; copies in {work}")
    print("| mutant | file | tests | unmutated tests | caught | seconds |")
    print("|---|---|---|---|---|---|")
    results = []
    baseline: dict[tuple[str, ...], bool] = {}
    for m in chosen:
        if m.tests not in baseline:
            baseline[m.tests] = run_tests(clean, m.tests)[0]
        copy = work / m.name.replace(" ", "-").replace("(", "").replace(")", "")
        shutil.copytree(clean, copy)
        target = copy / m.path
        text = target.read_text()
        if text.count(m.before) != 1:
            raise SystemExit(f"mutant {m.name!r}: its code is not (exactly once) in {m.path}; update bench/mutants.py")
        target.write_text(text.replace(m.before, m.after))
        passed, secs = run_tests(copy, m.tests)
        caught = baseline[m.tests] and not passed
        results.append((m, caught))
        print(f"| {m.name} | {m.path} | {', '.join(t.split('/')[-1] for t in m.tests)} | "
              f"{'pass' if baseline[m.tests] else 'FAIL'} | {'yes' if caught else 'NO'} | {secs:.0f} |", flush=True)
        if not args.keep:
            shutil.rmtree(copy, ignore_errors=True)
    print(f"\n{sum(c for _, c in results)} of {len(results)} mutants caught")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
