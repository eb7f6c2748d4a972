"""The demo's promises at the defaults, one run per toy dataset (bench/README.md "Defaults that converge"
has the times; a speed target is a benchmark's, not a test's), and the stop advisor held against the truth
on a long run (python -m bench.advisor --quick)."""

import numpy as np
import pytest

from wgan_watch import TrainConfig, train
from wgan_watch.runs import runfiles as rf


def default_run(tmp_path, **kw):
    run = train(TrainConfig(run_dir=str(tmp_path / "r"), progress=False, eval_every=250, **kw))
    return rf.read_metrics(run), rf.read_evals(run)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wgan_gp_covers_all_8_modes_of_gaussians8_by_step_1500(tmp_path):
    m, ev = default_run(tmp_path, algo="wgan-gp", data="gaussians8")
    assert m["step"].max() == 2000
    assert (ev[ev.step >= 1500]["modes"] == 8).all(), ev[["step", "modes", "hq_frac"]]
    assert ev["hq_frac"].iloc[-1] > 0.7
    assert ev["w1_exact"].iloc[0] > 1.5 * ev["w1_exact"].tail(3).mean()
    # the critic's estimate fell over the run too, once past its early transient
    assert m["w_estimate"].iloc[100:300].mean() > 1.5 * m["w_estimate"].tail(200).mean()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_wgan_gp_covers_at_least_24_of_25_modes_of_gaussians25(tmp_path):
    m, ev = default_run(tmp_path, algo="wgan-gp", data="gaussians25")
    assert m["step"].max() == 3000
    assert (ev[ev.step >= 2500]["modes"] >= 24).all(), ev[["step", "modes", "hq_frac"]]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wgan_gp_on_the_swiss_roll_reaches_the_real_vs_real_floor(tmp_path):
    _, ev = default_run(tmp_path, algo="wgan-gp", data="swissroll")
    top = ev["floor"].iloc[-1] + 2 * ev["floor_sd"].iloc[-1]
    assert np.median(ev["w1_exact"].tail(3)) <= top, ev[["step", "w1_exact", "floor", "floor_sd"]]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wgan_with_weight_clipping_covers_at_least_6_of_8_modes(tmp_path):
    _, ev = default_run(tmp_path, algo="wgan", data="gaussians8")
    assert ev["modes"].iloc[-1] >= 6, ev[["step", "modes", "hq_frac"]]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_advisor_stops_a_converged_run_where_quality_stopped_improving(tmp_path):
    """bench/advisor.py's targets on its quick run: the early stop keeps quality within 10% of the best (or
    its noise) and saves 30% of the budget, no plateau call while quality still improves, no verdict flips,
    on the run's own evaluations and on four other draws of them."""
    from bench.advisor import main

    (row,) = main(["--quick", "--out", str(tmp_path)])
    assert row.converges, row  # the run the targets are for: its quality settles by half the budget
    assert row.early_stop_step is not None, row
    assert row.lost <= 0.10 or row.within_noise, row
    assert row.saved >= 0.30, row
    assert row.premature_plateau == 0 and row.false_worse == 0, row
    first_call = next(i for i, v in enumerate(row.verdicts) if v != "too early")
    assert first_call > 0 and "too early" not in row.verdicts[first_call:], row.verdicts
    flips = sum(a != b for a, b in zip(row.verdicts, row.verdicts[1:]))
    assert flips <= 3, row.verdicts  # too early -> improving -> plateaued/converged, and at most one more
    # evaluation noise alone: the same snapshots evaluated by four other evaluators (other fixed references
    # and latents) stop the run as well, and "stop" never goes back to "go" on any of them
    assert len(row.draws) == 5, row.draws
    for d in row.draws:
        assert d["stop"] is not None and d["ok"] and d["saved"] >= 0.30, row.draws
        assert d["flips"] == 0 and d["false_worse"] == 0, row.draws
    # and replayed on the truth itself in place of the run's evaluations, it stops there as well
    t = row.on_truth
    assert t["stop"] is not None and t["ok"] and t["saved"] >= 0.30 and t["premature"] == 0, t


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_early_stop_ends_a_converged_run_and_keeps_the_best_snapshot(tmp_path):
    run = train(TrainConfig(algo="wgan-gp", data="gaussians8", steps=8000, early_stop=500, eval_every=250,
                            run_dir=str(tmp_path / "r"), progress=False))
    st = rf.read_json(run / "status.json")
    assert st["state"] == "stopped" and "early stop" in st["message"], st
    assert st["step"] < 6000
    best = rf.read_evals(run).set_index("step")["w1_exact"].idxmin()
    assert best == st["best_step"]
    assert best in [s for s, _ in rf.list_snapshots(run)]
