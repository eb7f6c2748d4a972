"""Studies: the design, what a study shows (analysis), and the runner on Optuna: SQLite by default, a real
PostgreSQL server shared by two workers, a worker killed mid-run and started again."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT
from tests.postgres import server
from wgan_watch.study import analysis as A
from wgan_watch.study.design import RANGES, TOY_GP_LAMBDA, Design

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
TINY = ["--", "--width", "16", "--eval-every", "20", "--eval-samples", "100", "--checkpoint-every", "20",
        "--sample-every", "1000", "--snapshot-every", "1000", "--flush-secs", "0.2"]


def study(*args: str, cwd: Path, wait: bool = True, timeout: int = 600):
    """`python -m trainer study ...` as a user runs it in a clone (this tree's code, in a child process)."""
    cmd = [sys.executable, "-m", "trainer", "study", *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)


# --- the design ------------------------------------------------------------------------------------------

def test_a_design_is_every_algorithm_under_every_sample_and_seed_with_defaults_first():
    d = Design("s", "gaussians8", ("wgan-gp", "wgan", "gan"), samples=8, seeds=3)
    points = d.points()
    assert len(points) == 72 and len({(p.algo, p.sample, p.seed) for p in points}) == 72
    assert all(p.settings == {} for p in points[:9]) and all(p.sample == 0 for p in points[:9])
    assert points == Design("s", "gaussians8", ("wgan-gp", "wgan", "gan"), 8, 3).points()  # reproducible
    assert [p.settings for p in points] != [p.settings for p in Design("s", "gaussians8", ("wgan-gp", "wgan", "gan"),
                                                                       8, 3, design_seed=1).points()]
    cfg = d.config(points[40])
    assert cfg.group == "s" and cfg.study_sample == points[40].sample and cfg.seed == points[40].seed


def test_sampled_settings_stay_in_their_ranges_and_are_shared_between_algorithms():
    d = Design("s", "gaussians8", ("wgan-gp", "wgan", "gan"), samples=40, seeds=1)
    by = {(p.algo, p.sample): p.settings for p in d.points() if p.sample}
    for k in range(1, 40):
        gp, w, g = by[("wgan-gp", k)], by[("wgan", k)], by[("gan", k)]
        assert gp["lr_d"] == w["lr_d"] == g["lr_d"] == gp["lr_g"] and gp["n_critic"] == w["n_critic"] == g["n_critic"]
        assert gp["betas"][0] == g["betas"][0] and "betas" not in w  # RMSprop has no beta1
        assert RANGES["lr"][0] <= gp["lr_d"] <= RANGES["lr"][1] and 1 <= gp["n_critic"] <= 5
        assert 0 <= gp["betas"][0] <= 0.9 and RANGES["clip"][0] <= w["clip"] <= RANGES["clip"][1]
        assert TOY_GP_LAMBDA[0] <= gp["gp_lambda"] <= TOY_GP_LAMBDA[1] and "gp_lambda" not in g
    lrs = np.log10([by[("gan", k)]["lr_d"] for k in range(1, 40)])
    assert lrs.min() < -4 and lrs.max() > -3  # log-uniform over three decades, not bunched
    images = Design("s", "digits", ("wgan-gp",), samples=20, seeds=1).points()
    assert max(p.settings.get("gp_lambda", 0) for p in images) > TOY_GP_LAMBDA[1]  # images: Lucic's [0.1, 100]


def test_a_design_survives_its_json_and_its_fingerprint_tells_designs_apart():
    d = Design("s", "gaussians8", ("wgan-gp", "gan"), 3, 2, 500, fixed={"eval_every": 50, "betas": (0.5, 0.9)})
    back = Design.from_dict(json.loads(json.dumps(d.to_dict())))
    assert back == d and back.fixed == d.fixed and back.fingerprint() == d.fingerprint()
    assert Design("s", "gaussians8", ("wgan-gp", "gan"), 3, 3, 500).fingerprint() != d.fingerprint()


# --- what a study shows ----------------------------------------------------------------------------------

def run(algo, sample, seed, quality, state="finished", elapsed=None):
    steps = np.arange(1, len(quality) + 1) * 100
    curve = pd.DataFrame({"step": steps, "elapsed": elapsed if elapsed is not None else steps / 10.0,
                          "quality": quality, "estimate": np.linspace(3, 1, len(quality))})
    return A.RunResult(f"{algo}-{sample}-{seed}", algo, sample, seed, state, curve, int(steps[-1]), 0.06)


def test_wilson_intervals_match_the_textbook_values():
    lo, hi = A.wilson(17, 24)
    assert (round(lo, 2), round(hi, 2)) == (0.51, 0.85)  # the example: 17 of 24, 51-85%
    assert A.wilson(0, 10)[0] == 0 and 0.27 < A.wilson(0, 10)[1] < 0.32
    assert A.wilson(0, 0) == (0.0, 1.0)


def test_success_counts_a_diverged_run_as_a_failure_and_leaves_runs_still_training_out():
    rs = [run("wgan-gp", 0, s, [0.3, 0.05]) for s in range(3)]
    rs += [run("wgan-gp", 1, 0, [0.3, 0.05], state="diverged"), run("wgan-gp", 1, 1, [0.3, 0.05], state="running")]
    row = A.success_table(rs, [0.1]).iloc[0]
    assert (row["succeeded"], row["runs"]) == (3, 4)


def test_the_pair_table_counts_samples_run_under_both_algorithms():
    rs = [run("wgan-gp", k, 0, [0.05]) for k in range(4)] + [run("gan", k, 0, [0.05 if k == 0 else 0.5])
                                                             for k in range(3)]
    assert A.pair_table(rs, "wgan-gp", "gan", 0.1) == {"only wgan-gp": 2, "only gan": 0, "both": 1, "neither": 0}


def test_expected_best_is_exact_over_subsets_and_its_band_contains_it():
    v = [0.3, 0.1, 0.5, 0.2, 0.25]
    e = A.expected_best(v)
    for k in range(1, 6):
        assert math.isclose(e["expected"][k - 1], np.mean([min(c) for c in itertools.combinations(v, k)]))
    band = A.expected_best_band(v, draws=500)
    assert (band["low"] <= band["expected"] + 1e-12).all() and (band["expected"] <= band["high"] + 1e-12).all()
    assert band["expected"].is_monotonic_decreasing


def test_kaplan_meier_censors_runs_still_training_and_keeps_ended_ones_at_risk():
    rs = [run("wgan-gp", 0, 0, [0.5, 0.05]),  # reaches at t = 20
          run("wgan-gp", 0, 1, [0.5, 0.5, 0.05]),  # reaches at t = 30
          run("wgan-gp", 0, 2, [0.5], state="running"),  # censored at t = 10
          run("wgan-gp", 0, 3, [0.5, 0.5, 0.5, 0.5])]  # ended, never reached
    km = A.time_to_quality(rs, 0.1)
    # at t = 20: 3 at risk (one censored earlier), 1 event -> 1/3; at t = 30: 2 at risk, 1 event -> 1 - 2/3 * 1/2
    assert np.allclose(km["reached"], [0, 1 / 3, 2 / 3]) and km["elapsed"].tolist() == [0, 20, 30]
    assert A.median_time(km) == 30.0
    assert A.time_to_quality(rs, 0.1, by="step")["step"].tolist() == [0, 200, 300]


def test_seeds_become_a_median_with_an_interquartile_band():
    curves = [pd.DataFrame({"step": [100, 200], "quality": [q, q / 2]}) for q in (1.0, 2.0, 3.0, 4.0)]
    b = A.seed_band(curves)
    assert b["median"].tolist() == [2.5, 1.25] and b["n"].tolist() == [4, 4]
    assert b["q25"].tolist() == [1.75, 0.875] and b["q75"].tolist() == [3.25, 1.625]


def test_band_quantiles_match_numpy_with_seeds_of_different_lengths():
    rng = np.random.default_rng(0)
    vals = rng.normal(size=(5, 300))
    vals[rng.random(vals.shape) < 0.3] = np.nan  # runs that stopped early, or have gaps
    vals[:, 7] = np.nan  # a step no run reached
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # numpy warns on the all-NaN column
        want = [np.nanquantile(vals, q, axis=0) for q in (0.25, 0.5, 0.75)]
    for got, exp in zip(A.nanquantiles(vals, (0.25, 0.5, 0.75)), want):
        np.testing.assert_allclose(got, exp, equal_nan=True)
    short = [pd.DataFrame({"step": np.arange(1, n + 1), "quality": np.ones(n)}) for n in (1000, 500)]
    b = A.seed_band(short, max_points=100)
    assert len(b) == 100 and b["step"].iloc[-1] == 1000 and b["n"].iloc[0] == 2 and b["n"].iloc[-1] == 1


def test_the_caption_says_not_enough_runs_when_intervals_overlap():
    apart = [run("wgan-gp", k, 0, [0.05]) for k in range(20)] + [run("gan", k, 0, [0.5]) for k in range(20)]
    text = A.caption(A.success_table(apart, [0.1]), 0.1, "W1")
    assert "WGAN-GP reached W1 ≤ 0.1 in 20 of 20 runs (95% CI 84%–100%)" in text
    assert "WGAN-GP succeeds more often than the vanilla GAN" in text
    close = [run("wgan-gp", k, 0, [0.05 if k < 2 else 0.5]) for k in range(3)] + [run("gan", 0, 0, [0.5])]
    text = A.caption(A.success_table(close, [0.1]), 0.1, "W1")
    assert "Not enough runs to tell" in text and "one run: it says nothing about the algorithm" in text


def test_w1_thresholds_come_from_the_floor():
    assert A.default_thresholds([run("gan", 0, 0, [0.5])], "w1_exact") == [0.09, 0.12, 0.18]


# --- the runner --------------------------------------------------------------------------------------------

def points_done(db_url: str, name: str) -> dict[str, list[str]]:
    """Run name -> the states of its trials, read back through Optuna."""
    import optuna

    out: dict[str, list[str]] = {}
    for t in optuna.load_study(study_name=name, storage=db_url).get_trials(deepcopy=False):
        out.setdefault(t.user_attrs["run"], []).append(t.state.name)
    return out


def test_a_first_study_needs_no_setup_and_says_where_it_stands(tmp_path):
    r = study("s1", "--data", "gaussians8", "--algos", "wgan-gp,gan", "--samples", "1", "--seeds", "1",
              "--steps", "40", "--workers", "2", *TINY, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    runs = tmp_path / "runs"
    assert (runs / "studies.db").is_file() and json.loads((runs / ".studies" / "s1.json").read_text())["seeds"] == 1
    for algo in ("wgan-gp", "gan"):
        cfg = json.loads((runs / f"s1-{algo}-k00-s0" / "config.json").read_text())
        assert cfg["group"] == "s1" and cfg["study_sample"] == 0 and cfg["eval_every"] == 20
    r = study("s1", "--status", cwd=tmp_path)
    assert r.returncode == 0 and "2 done, 0 running, 0 waiting, 0 failed" in r.stdout, r.stdout + r.stderr
    assert points_done(f"sqlite:///{runs / 'studies.db'}", "s1") == {"s1-wgan-gp-k00-s0": ["COMPLETE"],
                                                                       "s1-gan-k00-s0": ["COMPLETE"]}


def test_a_diverged_run_is_a_finished_trial_with_a_failed_outcome(tmp_path):
    """The queue's record, from a run folder that ended diverged (written as the trainer writes it)."""
    sys.path.insert(0, str(ROOT))
    from tests.fixtures import write_fixture_run
    from wgan_watch.runs import runfiles as rf
    from wgan_watch.study.queue import StudyQueue
    from wgan_watch.study.worker import Job, Worker

    d = Design("s2", "gaussians8", ("wgan-gp",), 1, 1)
    q = StudyQueue("s2", f"sqlite:///{tmp_path / 'studies.db'}")
    q.create(d)
    number, attrs = q.claim()
    run_dir = write_fixture_run(tmp_path / "runs", attrs["run"])
    rf.write_status(run_dir, state="diverged", message="a loss became NaN at step 90")
    Worker(q, d, tmp_path / "runs", say=lambda s: None).report(Job(number, attrs, run_dir, None, time.time()))
    done = q.points_by_state()["done"]
    assert len(done) == 1 and done[0]["outcome"] == "diverged" and math.isfinite(done[0]["value"])
    assert q.points_by_state()["failed"] == []


def test_bad_input_gets_one_line_exit_code_2_and_nothing_written(tmp_path):
    base = ["--data", "gaussians8", "--samples", "1", "--seeds", "1", "--steps", "40"]
    r = study("bad", *base, "--algos", "wgan-gp,wgann", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "unknown algorithm 'wgann'" in r.stderr
    r = study("bad", *base, "--storage", f"postgresql://nobody@/x?host={tmp_path}/no-server", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "cannot open the study storage" in r.stderr
    r = study("bad", "--join", cwd=tmp_path)
    assert r.returncode == 2 and "no studies in runs/studies.db" in r.stderr
    assert list(tmp_path.iterdir()) == []
    assert study("taken", *base, "--algos", "gan", *TINY, cwd=tmp_path).returncode == 0
    db = tmp_path / "runs" / "studies.db"
    before = sqlite3.connect(db).execute("select count(*) from trials").fetchone()[0]
    r = study("taken", *base[:-2], "--steps", "80", "--algos", "gan", cwd=tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr and "another design" in r.stderr
    assert sqlite3.connect(db).execute("select count(*) from trials").fetchone()[0] == before


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_workers_on_one_postgres_study_do_every_run_once(tmp_path):
    with server() as url:
        args = ["--data", "gaussians8", "--algos", "wgan-gp,gan", "--samples", "2", "--seeds", "2", "--steps",
                "60", "--storage", url]
        first = study("shared", *args, *TINY, cwd=tmp_path, wait=False)
        time.sleep(3)
        second = study("shared", "--storage", url, "--join", cwd=tmp_path, wait=False)
        outs = [p.communicate(timeout=600)[0] for p in (first, second)]
        assert first.returncode == 0 and second.returncode == 0, outs
        done = points_done(url, "shared")
    assert len(done) == 8 and all(states == ["COMPLETE"] for states in done.values()), done
    took = [sum(f"{name}:" in out for out in outs) for name in done]
    assert took == [1] * 8  # each run reported by exactly one worker
    assert all("starting" in o for o in outs)  # both workers trained
    for name in done:
        log = (tmp_path / "runs" / name / "trainer.log").read_text()
        assert log.count(" INFO training ") == 1 and "resumed" not in log


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_worker_killed_mid_run_resumes_that_run_from_its_checkpoint(tmp_path):
    with server() as url:
        args = ["killed", "--data", "gaussians8", "--algos", "wgan-gp", "--samples", "1", "--seeds", "2",
                "--steps", "300", "--storage", url, *TINY]
        worker = study(*args, cwd=tmp_path, wait=False)
        run = tmp_path / "runs" / "killed-wgan-gp-k00-s0"
        deadline = time.time() + 300
        while time.time() < deadline:
            status = json.loads((run / "status.json").read_text()) if (run / "status.json").exists() else {}
            if status.get("step", 0) >= 100 and (run / "checkpoints" / "last.pt").exists():
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the first run made no checkpoint")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        deadline = time.time() + 120  # its trainer notices, and stops at its next step with a checkpoint
        while json.loads((run / "status.json").read_text()).get("state") != "stopped" and time.time() < deadline:
            time.sleep(0.2)
        killed_at = json.loads((run / "status.json").read_text())["step"]
        assert 100 <= killed_at < 300
        again = study(*args, cwd=tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "queued again" in again.stdout and f"resuming {run.name}" in again.stdout
        done = points_done(url, "killed")
    assert sorted(done) == ["killed-wgan-gp-k00-s0", "killed-wgan-gp-k00-s1"]
    assert done["killed-wgan-gp-k00-s0"] == ["FAIL", "COMPLETE"]  # the killed attempt, then its resumption
    assert done["killed-wgan-gp-k00-s1"] == ["COMPLETE"]
    log = (run / "trainer.log").read_text()
    assert log.count("resumed at step") == 1 and f"resumed at step {killed_at}" in log  # not from zero
    assert (run.parent / "killed-wgan-gp-k00-s1" / "trainer.log").read_text().count("resumed") == 0
    assert json.loads((run / "status.json").read_text())["state"] == "finished"
