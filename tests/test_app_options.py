"""What the README promises about the Monitor and Compare pages' options: time axes, smoothing, log scale,
downloads, align by time. AppTest on fixture runs."""

import base64
import io

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.figures import figures
from tests.fixtures import write_fixture_run

MAIN = str(ROOT / "app" / "main.py")


def values(arr):
    """A Plotly trace's x or y as a list (plotly sends numpy arrays as base64 typed arrays)."""
    if isinstance(arr, dict) and "bdata" in arr:
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"])).tolist()
    return list(arr) if arr is not None else []


def chart(at, trace_name):
    for spec in figures(at):
        if any(t.get("name") == trace_name for t in spec["data"]):
            return spec
    raise AssertionError(f"no chart with a trace {trace_name!r}")


def trace(spec, name):
    return next(t for t in spec["data"] if t.get("name") == name)


def page(name, **params) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, at.exception
    return at


W = "toy · W estimate (critic)"


def test_time_axes_smoothing_and_log_scale(runs):
    write_fixture_run(runs, "toy", n=1000)  # elapsed = 0.05 s a step
    at = page("monitor", run="toy")
    spec = chart(at, W)
    assert spec["layout"]["xaxis"]["title"]["text"] == "generator step" and max(values(trace(spec, W)["x"])) == 1000
    at.radio(key="x_axis").set_value("relative").run()
    spec = chart(at, W)
    assert spec["layout"]["xaxis"]["title"]["text"] == "training time (s)"
    assert max(values(trace(spec, W)["x"])) == pytest.approx(50.0)
    at.radio(key="x_axis").set_value("wall").run()
    x = values(trace(chart(at, W), W)["x"])
    assert all(isinstance(v, str) and v[:2] == "20" for v in x[:3])  # dates
    at.radio(key="x_axis").set_value("step").run()

    ema = values(trace(chart(at, W), W)["y"])
    at.radio(key="smooth_method").set_value("median").run()
    spec = chart(at, W)
    assert values(trace(spec, W)["y"]) != ema and any(t["name"] == W + " (raw)" for t in spec["data"])
    at.radio(key="smooth_method").set_value("none").run()
    spec = chart(at, W)
    assert not any(t["name"].endswith("(raw)") for t in spec["data"])  # nothing smoothed: one series
    assert spec["layout"]["yaxis"].get("type") != "log"
    at.toggle(key="log_y").set_value(True).run()
    assert chart(at, W)["layout"]["yaxis"]["type"] == "log"


def test_downloads_give_the_runs_metrics(runs, monkeypatch):
    """The download buttons build their files on click (deferred): call what a click would call."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    deferred = {}
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        deferred[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    write_fixture_run(runs, "toy", n=300)
    assert not page("monitor", run="toy").get("download_button")  # the box closed: nothing in it is worked out
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["run"] = "toy"
    at.session_state["monitor_details"] = True  # the box opened
    at.switch_page("views/monitor.py").run()
    assert not at.exception, at.exception
    assert {b.label for b in at.get("download_button")} >= {"Metrics as CSV", "Metrics as Parquet"}
    csv, pq = deferred["toy-metrics.csv"](), deferred["toy-metrics.parquet"]()
    for df in (pd.read_csv(io.BytesIO(csv)), pd.read_parquet(io.BytesIO(pq))):
        assert df["step"].tolist() == list(range(1, 301)) and "w_estimate" in df


def test_compare_aligns_by_training_time(runs):
    write_fixture_run(runs, "a", n=600)
    write_fixture_run(runs, "b", algo="gan", n=600)
    at = page("compare", cmp=["a", "b"])
    specs = figures(at)
    assert any(s["layout"].get("xaxis", {}).get("title", {}).get("text") == "generator step" for s in specs)
    at.radio(key="cmp_x").set_value("relative").run()
    assert not at.exception
    specs = figures(at)
    titled = [s for s in specs if any(a.get("title", {}).get("text") == "training time (s)"
                                      for k, a in s["layout"].items() if k.startswith("xaxis"))]
    assert titled
    xs = [max(values(t["x"])) for s in titled for t in s["data"] if "x" in t and len(values(t["x"]))]
    assert max(xs) == pytest.approx(30.0)  # 600 steps of 0.05 s


def test_first_load_sends_the_estimate_before_the_picker_and_options(runs, monkeypatch):
    """Until the browser reports the estimate drawn, the page sends the estimate and not the run picker or the
    chart options (their scripts would load ahead of Plotly's); the options' values still reach the chart."""
    from wgan_watch.app import visibility

    write_fixture_run(runs, "toy", n=1000)
    monkeypatch.setattr(visibility, "page_state", lambda: (True, False))  # a browser that has drawn nothing yet
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["run"] = "toy"
    at.session_state["log_y"] = True  # the toggle's value as the browser would send it
    at.switch_page("views/monitor.py").run()
    assert not at.exception, at.exception
    assert chart(at, W)["layout"]["yaxis"]["type"] == "log"
    assert not at.multiselect and not at.radio and not at.toggle
    assert "Drawing the other charts…" in [c.value for c in at.caption]


@pytest.mark.parametrize("part", ["figure", "advice"])  # the estimate's chart, the verdict (a fragment of its own)
def test_the_picker_is_drawn_when_the_estimate_or_the_verdict_fails(runs, monkeypatch, part):
    from wgan_watch.app import load

    write_fixture_run(runs, "toy", n=1000)

    def broken(*args, **kwargs):
        raise ValueError(f"a {part} that cannot be made")

    monkeypatch.setattr(load, part, broken)
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["run"] = "toy"
    at.switch_page("views/monitor.py").run()
    assert at.exception  # said on the page
    assert at.multiselect(key="runs").value == ["toy"]  # and another run can still be picked
