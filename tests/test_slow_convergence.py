import pytest

from trainer import TrainConfig, train
from trainer import runfiles as rf


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wgan_gp_default_run_covers_all_8_modes(tmp_path):
    """The default settings on gaussians8 (README: about 90 s on a 2-core CPU)."""
    run = train(TrainConfig(algo="wgan-gp", data="gaussians8", run_dir=str(tmp_path / "r"), progress=False))
    ev = rf.read_evals(run)
    last = ev.iloc[-1]
    assert last["step"] == TrainConfig().steps
    assert last["modes"] == 8
    # the critic's estimate and the exact W1 both fell over the run
    m = rf.read_metrics(run)
    assert m["w_estimate"].head(200).mean() > 2 * m["w_estimate"].tail(200).mean()
    assert ev["w1_exact"].iloc[0] > 1.5 * ev["w1_exact"].tail(3).mean()


FAST_CONVERGING = dict(algo="wgan-gp", data="gaussians8", width=64, lr_d=1e-3, lr_g=1e-3, eval_every=100,
                       progress=False)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_advisor_says_improving_then_plateaued_on_a_converging_run(tmp_path):
    from trainer.advice import advise

    # 2,500 steps: the estimate flattens around step 1,500-1,750 (when exactly depends on rounding:
    # fused and foreach Adam differ in the last bit, and training amplifies it)
    run = train(TrainConfig(steps=2500, run_dir=str(tmp_path / "r"), **FAST_CONVERGING))
    m, ev = rf.read_metrics(run), rf.read_evals(run)
    assert m["w_estimate"].iloc[20:120].mean() > 1.5 * m["w_estimate"].tail(200).mean()
    assert ev["w1_exact"].iloc[0] > 1.5 * ev["w1_exact"].tail(3).mean()
    early = advise(m[m.step <= 800], ev[ev.step <= 800])
    late = advise(m, ev)
    assert early.verdict == "improving", early
    assert late.verdict == "plateaued", late
    assert late.since_step > 800


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_early_stop_ends_a_plateaued_run_and_keeps_the_best_snapshot(tmp_path):
    run = train(TrainConfig(steps=6000, early_stop=200, run_dir=str(tmp_path / "r"), **FAST_CONVERGING))
    st = rf.read_json(run / "status.json")
    assert st["state"] == "stopped" and "early stop" in st["message"], st
    assert st["step"] < 6000
    best = rf.read_evals(run).set_index("step")["w1_exact"].idxmin()
    assert best == st["best_step"]
    assert best in [s for s, _ in rf.list_snapshots(run)]
