"""AppTest of the latent lab on runs with real generator snapshots."""

import base64
import io

import numpy as np
import pytest
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.figures import trace_names
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
    assert len(at.get("image")) == 2  # the sliders' picture and the strip: one each (the GIFs play on request)
    assert not at.get("help_info")  # nothing printed by Streamlit's "magic" (a bare expression is written out)
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
    assert "ort.InferenceSession(" in code and "['ganspace']" in code and "range(11, 19)" in code


def _pixels(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def test_toy_runs_draw_points_over_the_critic_and_the_path(runs):
    write_generator_run(runs, "t", data="gaussians8")
    at = lab(run="t")
    import json

    # the sliders' view: one picture (moved points in orange over the real points and the critic's heatmap)
    first = image_urls(at)[0]
    orange = (np.abs(_pixels(first).astype(int) - (255, 127, 14)).sum(axis=-1) < 30).sum()
    assert orange > 50
    assert "512 generated points" in at.get("image")[0].proto.imgs[0].caption
    assert "critic's D(x)" in at.get("image")[0].proto.imgs[0].caption
    at.slider(key="lab_sefa_0").set_value(3.0).run()
    assert image_urls(at)[0] != first
    # the interpolation path stays a chart (hover, zoom), over the same background
    names = trace_names(at)
    assert "slerp path" in names and "critic D(x)" in names


def test_no_snapshots_says_so(runs):
    from tests.fixtures import write_fixture_run

    write_fixture_run(runs, "bare")
    at = lab()
    assert any("No run has an exported generator yet" in i.value for i in at.info)


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


def test_the_animations_play_on_request_and_with_the_link(runs):
    write_generator_run(runs, "g")
    at = lab(run="g")
    assert not [u for u in image_urls(at) if u.endswith(".gif")] and at.query_params["play"] == "0"
    at.toggle(key="lab_play").set_value(True).run()
    assert len([u for u in image_urls(at) if u.endswith(".gif")]) == 2
    captions = [i.caption for el in at.get("image") for i in el.proto.imgs]
    assert "animation" in captions and any(c.startswith("a loop through seeds 0, 1, 2, 3") for c in captions)
    assert at.query_params["play"] == "1"
    again = lab(**dict(at.query_params.items()))
    assert len(again.get("image")) == 4 and again.toggle(key="lab_play").value


def test_walk_as_gif_loops_through_the_seeds(runs, media):
    write_generator_run(runs, "g")
    at = lab(run="g", walk="0,1,2", frames="6")
    assert any(b.label == "Walk as GIF" for b in at.get("download_button"))
    walks = [d for d, mime, name in media if mime == "image/gif" and name and name.endswith("-walk.gif")]
    im = Image.open(io.BytesIO(walks[-1]))
    assert im.n_frames == 3 * 3  # three legs (0->1->2->0) of frames // 2 frames each


def test_the_copied_python_regenerates_the_image(runs, tmp_path):
    """The lines under "Copy as Python" run on their own (onnxruntime and numpy) and give the samples shown."""
    import numpy as np

    from wgan_watch.app import latents as L
    from wgan_watch.app.onnx_generator import open_generator
    from wgan_watch.runs import generator_files as gf

    d = write_generator_run(runs, "g")
    at = lab(run="g", seed="4", amounts="0.5,-1")
    at.toggle(key="lab_code").set_value(True).run()
    scope: dict = {}
    exec(at.code[0].value, scope)  # noqa: S102 - the page's own snippet
    G = open_generator(dict(gf.onnx_steps(d))[200])
    dirs = gf.directions(d, 200)["sefa"]
    z = L.move(L.seed_latents(range(4, 12), G.latent_dim), dirs, [0.5, -1.0])
    assert np.allclose(scope["x"], G(z), atol=1e-5)


# --- files the lab cannot run: one line each, no exception, nothing else read ----------------------------------

def export_like(runs, name: str, payload: bytes):
    """A run whose newest export is `payload` in place of a real graph."""
    d = write_generator_run(runs, name, steps=(100,))
    (d / "generator" / "step_00000100.onnx").write_bytes(payload)
    return d


def graph_bytes(inputs, outputs) -> bytes:
    """A tiny ONNX graph (Identity or a MatMul) with the given value infos, built with onnx's helpers."""
    from onnx import TensorProto, helper

    def vi(name, shape, kind=TensorProto.FLOAT):
        return helper.make_tensor_value_info(name, kind, shape)

    node = helper.make_node("Identity", [inputs[0][0]], [outputs[0][0]])
    graph = helper.make_graph([node], "g", [vi(*i) for i in inputs], [vi(*o) for o in outputs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@pytest.mark.parametrize("payload,says", [
    (b"\x08\x07 this is not protobuf \xff\xfe" * 40, "is not a graph onnxruntime can load"),
    ("wrong input", "must take one float input [batch, latent]"),
    ("wrong output", "neither images [batch, 1 or 3, H, W] nor 2-D points"),
])
def test_a_bad_generator_file_is_one_line_in_the_lab(runs, payload, says):
    from onnx import TensorProto

    if payload == "wrong input":
        payload = graph_bytes([("z", ["batch", 8, 3])], [("x", ["batch", 8, 3])])
    elif payload == "wrong output":
        payload = graph_bytes([("z", ["batch", 8])], [("x", ["batch", 8])])
    export_like(runs, "bad", payload)
    at = lab(run="bad")
    assert len(at.error) == 1 and says in at.error[0].value, [e.value for e in at.error]
    assert TensorProto  # (onnx builds the test graphs; the lab itself needs only onnxruntime)


def test_a_file_over_the_cap_is_not_read(runs, monkeypatch):
    from wgan_watch.app import onnx_generator

    monkeypatch.setattr(onnx_generator, "MAX_BYTES", 1000)
    export_like(runs, "big", b"\0" * 5000)
    at = lab(run="big")
    assert len(at.error) == 1 and "over the lab's cap of" in at.error[0].value


def test_a_graph_that_refers_to_external_data_is_refused(runs, tmp_path):
    """Its weights would be read from a path the file names: the lab never opens it (here: a file of secrets)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(16, dtype=np.float32).tobytes())
    w = numpy_helper.from_array(np.zeros((8, 2), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", str(secret)), ("offset", "0"), ("length", "64")):
        entry = w.external_data.add()
        entry.key, entry.value = k, v
    node = helper.make_node("MatMul", ["z", "w"], ["x"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])], [w])
    export_like(runs, "ext", helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    at = lab(run="ext")
    assert len(at.error) == 1 and "refers to external data" in at.error[0].value, [e.value for e in at.error]


def test_a_run_whose_generator_could_not_be_exported_says_why(runs):
    import json

    from tests.fixtures import write_fixture_run

    d = write_fixture_run(runs, "mine")
    (d / "generator").mkdir()
    (d / "generator" / "step_00000100.json").write_text(json.dumps({"step": 100, "error": "TypeError: no forward"}))
    at = lab()
    assert any("`mine`: its generator could not be exported" in w.value and "TypeError: no forward" in w.value
               for w in at.warning)


def test_the_directions_of_a_loaded_export_survive_the_trainer_thinning_it(runs):
    """The trainer keeps a few exports and removes older ones while the lab shows one: the directions of the export
    the page loaded come from its load, not from a second look that can find it gone (test_long_runs caught this)."""
    from wgan_watch.app import lab as lab_module
    from wgan_watch.runs import generator_files as gf

    d = write_generator_run(runs, "gen")
    mtime = lab_module.export_mtime(d, 100)
    for f in gf.sidecars(d / gf.FOLDER, 100):  # thinned, as the trainer does
        f.unlink()
    dirs, found = lab_module.directions(d, 100, mtime, "raw", 3, 8)
    assert dirs.shape == (3, 8) and found
