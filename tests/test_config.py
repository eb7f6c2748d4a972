import json

import pytest

from wgan_watch.config import ConfigError, TrainConfig, field_docs


def test_round_trips_through_json():
    cfg = TrainConfig(algo="wgan", data="digits", steps=77, betas=(0.1, 0.2), lr_d=3e-4).resolved()
    again = TrainConfig.from_json(cfg.to_json())
    assert again == cfg
    assert again.betas == (0.1, 0.2)


def test_rejects_unknown_keys_and_wrong_types():
    with pytest.raises(ConfigError, match="unknown config key.*bogus"):
        TrainConfig.from_dict({"steps": 3, "bogus": 1})
    with pytest.raises(ConfigError, match="wrong type"):
        TrainConfig.from_dict({"steps": "3"})
    with pytest.raises(ConfigError, match="wrong type"):
        TrainConfig.from_dict({"download": 1})
    with pytest.raises(ConfigError, match="not valid JSON"):
        TrainConfig.from_json("{steps: 3")


def test_format_key_of_config_json_is_accepted():
    d = {"format": 1, "version": "0.1.0", **TrainConfig().to_dict()}
    assert TrainConfig.from_json(json.dumps(d)) == TrainConfig()


@pytest.mark.parametrize("algo,opt,lr,betas,n_critic,warm", [
    ("wgan", "rmsprop", 5e-5, (0.5, 0.9), 5, 100),
    ("wgan-gp", "adam", 1e-4, (0.5, 0.9), 5, 5),
    ("gan", "adam", 2e-4, (0.5, 0.999), 1, 1),
])
def test_image_defaults_follow_the_design_table(algo, opt, lr, betas, n_critic, warm):
    c = TrainConfig(algo=algo, data="digits").resolved()
    assert (c.optimizer, c.lr_d, c.lr_g, c.betas, c.n_critic, c.n_critic_warmup) == (opt, lr, lr, betas, n_critic, warm)
    assert c.clip == 0.01 and c.lr_decay_steps == 0 and c.gp_lambda == 10.0


@pytest.mark.parametrize("algo,lr,decay,clip", [("wgan", 1e-3, 2000, 0.05), ("wgan-gp", 1e-3, 2000, 0.05),
                                                ("gan", 2e-4, 0, 0.05)])
def test_toy_defaults_are_the_measured_ones_and_the_gan_keeps_dcgans(algo, lr, decay, clip):
    """2-D WGANs: faster rates that decay (bench/README.md, "Defaults that converge"); the vanilla GAN keeps
    the DCGAN paper's Adam 2e-4, (0.5, 0.999), constant."""
    c = TrainConfig(algo=algo, data="gaussians8").resolved()
    assert (c.lr_d, c.lr_g, c.lr_decay_steps, c.clip, c.gp_lambda) == (lr, lr, decay, clip, 0.1)
    assert TrainConfig(algo=algo, data="gaussians25").resolved().lr_decay_steps == (3000 if decay else 0)
    assert TrainConfig(algo=algo, data="digits").resolved().gp_lambda == 10.0


def test_wgan_gp_critic_has_no_batch_norm():
    assert TrainConfig(algo="wgan-gp", data="digits").resolved().critic_norm != "batch"
    with pytest.raises(ConfigError, match="batch norm"):
        TrainConfig(algo="wgan-gp", data="digits", critic_norm="batch").resolved()


@pytest.mark.parametrize("kw,msg", [
    (dict(steps=-1), "steps"),
    (dict(steps=0), "steps"),
    (dict(clip=0.0), "clip"),
    (dict(clip=-1.0), "clip"),
    (dict(algo="dcgan"), "unknown algo"),
    (dict(data="imagenet"), "unknown data"),
    (dict(data="digits", image_size=48), "image_size"),
    (dict(data="folder:/definitely/not/here"), "does not exist"),
    (dict(device="tpu"), "unknown device"),
    (dict(lr_d=2.0), "lr_d"),
    (dict(betas=(0.5, 1.5)), "betas"),
    (dict(batch_size=0), "batch_size"),
])
def test_impossible_values_give_one_clear_line(kw, msg):
    with pytest.raises(ConfigError, match=msg) as e:
        TrainConfig(**kw).resolved()
    assert "\n" not in str(e.value)


def test_every_field_is_documented():
    import dataclasses

    docs = field_docs()
    missing = [f.name for f in dataclasses.fields(TrainConfig) if not docs.get(f.name)]
    assert missing == []
