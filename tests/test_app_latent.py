"""AppTest of the latent lab on runs with real generator snapshots."""

import io

import pytest
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.fixtures import write_generator_run

MAIN = str(ROOT / "app" / "main.py")


@pytest.fixture
def media(monkeypatch):
    """Every file the page hands to Streamlit (images, downloads): (bytes, mimetype, filename)."""
    seen = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, data, mimetype, kind, filename=None):
        seen.append((data, mimetype, filename))
        return original(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return seen


def lab(**params) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page("views/latent.py").run()
    assert not at.exception, at.exception
    return at


def image_urls(at):
    return [img.url for el in at.get("image") for img in el.proto.imgs]


def test_moving_a_slider_changes_the_image_and_the_url(runs, media):
    write_generator_run(runs, "g")
    at = lab(run="g")
    before = image_urls(at)[0]
    assert at.query_params["amounts"] == "0,0,0,0,0,0"
    at.slider(key="lab_sefa_0").set_value(2.5).run()
    assert not at.exception
    assert image_urls(at)[0] != before
    next(b for b in at.button if b.label == "Link to this view").click().run()
    assert at.query_params["amounts"].startswith("2.5,")
    at.slider(key="lab_sefa_0").set_value(0.0).run()
    assert image_urls(at)[0] == before  # back to zero: the base sample exactly


def test_snapshot_slider_picks_the_generator(runs):
    write_generator_run(runs, "g", steps=(100, 200, 300))
    at = lab(run="g")
    assert at.select_slider[0].value == 300  # the latest by default
    latest = image_urls(at)[0]
    at.select_slider[0].set_value(100).run()
    assert image_urls(at)[0] != latest and at.query_params["step"] == "100"


def test_interpolation_gives_k_frames_and_a_valid_gif(runs, media):
    write_generator_run(runs, "g")
    lab(run="g", frames="7", seed_a="3", seed_b="5", interp="lerp")
    gifs = [d for d, mime, name in media if mime == "image/gif" and name and "-3-5" in name]
    assert gifs, [m[1:] for m in media]
    im = Image.open(io.BytesIO(gifs[-1]))
    assert im.format == "GIF" and im.n_frames == 7
    strips = [d for d, mime, name in media if mime == "image/png" and name and name.endswith("-3-5.png")]
    strip = Image.open(io.BytesIO(strips[-1]))
    assert strip.width == 2 * (7 * (28 + 2) + 2)  # 7 frames side by side, at 2x


def test_a_link_reproduces_the_screen(runs):
    write_generator_run(runs, "g")
    at = lab(run="g", seed="11", amounts="1,-1,0.5", method="ganspace")
    assert [at.slider(key=f"lab_ganspace_{i}").value for i in range(3)] == [1.0, -1.0, 0.5]
    assert at.number_input(key="lab_seed").value == 11
    again = lab(**dict(at.query_params.items()))
    assert image_urls(again)[0] == image_urls(at)[0]
    assert not at.code  # on request only
    at.toggle(key="lab_code").set_value(True).run()
    code = "\n".join(c.value for c in at.code)
    assert "load_generator(" in code and "ganspace_directions" in code


def test_toy_runs_draw_points_and_path(runs):
    write_generator_run(runs, "t", data="gaussians8")
    at = lab(run="t")
    import json

    names = [t.get("name") for pc in at.get("plotly_chart") for t in json.loads(pc.proto.spec)["data"]]
    assert "generated (moved)" in names and "slerp path" in names and "critic D(x)" in names


def test_no_snapshots_says_so(runs):
    from tests.fixtures import write_fixture_run

    write_fixture_run(runs, "bare")
    at = lab()
    assert any("No run has a generator snapshot" in i.value for i in at.info)


def test_raw_coordinates_move_one_latent_coordinate_each(runs):
    write_generator_run(runs, "g")
    at = lab(run="g", method="raw")
    raw = [s for s in at.slider if (s.key or "").startswith("lab_raw_")]
    assert len(raw) == 16 and {s.label for s in raw} == {f"z[{i}]" for i in range(16)}  # 16 of the 64
    before = image_urls(at)[0]
    at.slider(key="lab_raw_3").set_value(-2.0).run()
    assert not at.exception and image_urls(at)[0] != before
    next(b for b in at.button if b.label == "Link to this view").click().run()
    assert at.query_params["method"] == "raw" and at.query_params["amounts"].split(",")[3] == "-2"


def test_walk_as_gif_loops_through_the_seeds(runs, media):
    write_generator_run(runs, "g")
    at = lab(run="g", walk="0,1,2", frames="6")
    assert any(b.label == "Walk as GIF" for b in at.get("download_button"))
    walks = [d for d, mime, name in media if mime == "image/gif" and name and name.endswith("-walk.gif")]
    im = Image.open(io.BytesIO(walks[-1]))
    assert im.n_frames == 3 * 3  # three legs (0->1->2->0) of frames // 2 frames each
