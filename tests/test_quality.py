"""Image quality measures on the embedded digits: FID/KID/IS behave as distances and scores should,
and evaluating in chunks gives what one pass gives."""

import os
from pathlib import Path

import pytest
import torch

from wgan_watch.data import embedded_digits
from wgan_watch.quality.evaluate import EVAL_CHUNK_CPU, in_chunks
from wgan_watch.quality.features import digit_classifier
from wgan_watch.quality.image_quality import ImageQuality

CACHE = Path(os.environ["WGAN_WATCH_CACHE"])


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    images, _ = embedded_digits()  # sorted by label: shuffle before taking two halves
    x = torch.from_numpy(images).float().div(127.5).sub(1).unsqueeze(1)  # (5000, 1, 28, 28) in [-1, 1]
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:2000]]


@pytest.fixture(scope="module")
def quality(digits) -> ImageQuality:
    q = ImageQuality(1, 28, torch.device("cpu"), CACHE, n=1000)
    assert q.available and q.name == "digit-classifier-v1"
    q.set_real(digits[:1000])
    return q


def test_fid_and_kid_are_small_for_real_digits_and_grow_with_noise(quality, digits):
    other_real = digits[1000:]
    g = torch.Generator().manual_seed(1)
    scores = [quality.score((other_real + s * torch.randn(other_real.shape, generator=g)).clamp(-1, 1))
              for s in (0.0, 0.3, 1.0)]
    fid, kid = [s["fid"] for s in scores], [s["kid"] for s in scores]
    assert fid[0] < fid[1] < fid[2] and kid[0] < kid[1] < kid[2], (fid, kid)
    assert fid[0] < 0.1 * fid[2] and abs(kid[0]) < 0.1 * kid[2]
    # real digits are confidently and variously classified; noise is not
    assert scores[0]["inception_score"] > 5 and scores[2]["inception_score"] < scores[0]["inception_score"]
    assert all(s["fid_features"] == "digit-classifier-v1" for s in scores)


def test_a_collapsed_generator_scores_worse_than_a_diverse_one(quality, digits):
    diverse = quality.score(digits[1000:])
    collapsed = quality.score(digits[1000:1001].expand(1000, -1, -1, -1))  # one digit, 1,000 times
    assert collapsed["fid"] > 10 * diverse["fid"] and collapsed["inception_score"] < 1.5


def test_features_in_chunks_equal_one_pass(quality, digits):
    x = digits[:1000]
    chunked, logits = quality.features(x)  # chunks of EVAL_CHUNK_CPU on the CPU
    assert len(x) > EVAL_CHUNK_CPU
    clf = digit_classifier(CACHE)
    with torch.no_grad():
        whole = clf.body(x.contiguous())
    torch.testing.assert_close(chunked, whole, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(logits, clf.head(whole), rtol=1e-4, atol=1e-4)


def test_in_chunks_covers_every_row_in_order():
    x = torch.arange(EVAL_CHUNK_CPU * 2 + 7, dtype=torch.float32).unsqueeze(1)
    calls = []

    def f(c):
        calls.append(len(c))
        return c * 2

    assert torch.equal(in_chunks(f, x), x * 2)
    assert calls == [EVAL_CHUNK_CPU, EVAL_CHUNK_CPU, 7]
    calls.clear()
    in_chunks(f, x[:5])
    assert calls == [5]
