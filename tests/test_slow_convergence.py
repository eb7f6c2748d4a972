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
