"""Where a page's delay went, from its websocket frames as bench.viewers keeps them (Browser.page's counters):
Streamlit's messages decoded, each estimate chart's last step and arrival, the page's refresh requests, the gaps
between them, and the refreshes no chart answered."""

from __future__ import annotations

import base64
import bisect
import json
import time

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser import W
from wgan_watch.app.basic_chart import sent_figure


def rerun_requests(sent: list) -> dict[str, list[float]]:
    """The times (CDP's clock) at which a page asked the server to rerun its script ("") or a fragment of it, by
    fragment: its fragments' refresh timers run in the browser, so a busy page asks late."""
    out: dict[str, list[float]] = {}
    for ts, payload in sent:
        msg = BackMsg()
        msg.ParseFromString(base64.b64decode(payload))
        if msg.WhichOneof("type") == "rerun_script":
            out.setdefault(msg.rerun_script.fragment_id, []).append(ts)
    return out


def most_frequent(requests: dict[str, list[float]]) -> list[float]:
    """The requests of the fragment a page refreshes most often: on the Monitor, the estimate's (every 2 s)."""
    return max(requests.values(), key=len, default=[])


def spans(a: float, b: float, breaks) -> bool:
    """Whether a break (a reload of the page: a new session) falls between a and b."""
    return any(a < x < b for x in breaks)


def refresh_gaps(times: list[float], start: float, end: float, breaks: list[float] = ()) -> list[float]:
    """Seconds between a page's successive refresh requests within [start, end], leaving out a gap that spans a
    break (a reload of the page: its outage is not a late timer)."""
    times = [t for t in times if start <= t <= end]
    return [b - a for a, b in zip(times, times[1:]) if not spans(a, b, breaks)]


def estimate_received(frames: list, marker: str, requests: list[float]) -> list:
    """[last step, ms, s since the page's last request before it (None: none), CDP's time] of each estimate chart
    that reached a page's renderer (before its scripts handled it), with `requests` the estimate fragment's
    refresh requests: from the websocket frames kept by Browser.page, Streamlit's ForwardMsg protobufs, whose
    Plotly specs carry x as a list or as base64 `bdata` (plotly 6+). The ms are the machine's clock, as the
    page's."""
    to_wall = time.time() - time.monotonic()  # CDP's timestamps are CLOCK_MONOTONIC seconds on Linux
    out = []
    for ts, payload in frames:
        msg = ForwardMsg()
        msg.ParseFromString(base64.b64decode(payload))
        spec = chart_spec(msg)
        if spec is None:
            continue
        last = -1
        for trace in json.loads(spec).get("data", []):
            x = trace.get("x")
            if marker not in (trace.get("name") or "") or not x:
                continue
            if isinstance(x, dict):  # {"dtype": "i8", "bdata": ...}
                x = np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"]).newbyteorder("<"))
            if len(x):
                last = max(last, float(x[-1]))
        if last >= 0:
            asked = requests[bisect.bisect_left(requests, ts) - 1] if requests and requests[0] < ts else None
            out.append([last, (ts + to_wall) * 1000, None if asked is None else ts - asked, ts])
    return out


def chart_spec(msg: ForwardMsg) -> str | None:
    """The Plotly figure (JSON) that a ForwardMsg adds to the page, drawn by st.plotly_chart or by the dashboard's
    basic-bundle chart (app/basic_chart.py, a components.v2 element); None for anything else."""
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "plotly_chart":
        return element.plotly_chart.spec
    if kind == "bidi_component":
        return sent_figure(element.bidi_component)
    return None


def delays(written: list, seen: list) -> list[float]:
    """For each part written, seconds until the page first showed its last step (parts never shown: skipped)."""
    out = []
    for step, t in written:
        shown = [r[1] / 1000 for r in seen if r[0] >= step]
        if shown:
            out.append(min(shown) - t)
    return out


def unanswered(asked: list[float], charts: list[float], others: list[float], start: float, end: float,
               near_s: float = 0.1) -> tuple[int, int, int, int]:
    """Of a page's estimate requests within [start, end] (each but the last, CDP's clock): how many, how many no
    estimate chart followed before the next one, how many came within `near_s` of a request for another part of
    the page, and how many of those went unanswered. With a part every second, every answer carries a new chart.
    Streamlit answers two near requests of one session in one script run or in two; in the second case, the first
    run's output is dropped if the second request comes after it ended but before the server's event loop sent it
    (AppSession ignores the events of a ScriptRunner it has replaced): the page then waits a whole refresh more."""
    asked = [t for t in asked if start <= t <= end]
    lost = near = near_lost = 0
    for a, b in zip(asked, asked[1:]):
        got = any(a < c < b for c in charts)
        close = any(abs(o - a) < near_s for o in others)
        lost, near, near_lost = lost + (not got), near + close, near_lost + (close and not got)
    return max(0, len(asked) - 1), lost, near, near_lost


def delay_parts(counters: dict, timed: list, start: float, end: float) -> tuple[list, list, list, tuple]:
    """Where a page's delay went, from its websocket frames (Browser.page's counters): for each timed part, the
    seconds until its chart reached the renderer; for each estimate chart received in [start, end] (CDP's clock),
    the seconds since the page asked for it; the seconds between the page's requests; and unanswered()'s counts.
    What the page asked for and got after `end` (while this process decodes, on the same cores) is left out."""
    requests = rerun_requests(counters["sent"])
    asked = most_frequent(requests)
    others = sorted(t for times in requests.values() if times is not asked for t in times)
    received = estimate_received(counters["frames"], W, asked)
    reloads = counters["sockets"][1:]
    waits = [wait for _, _, wait, ts in received
             if wait is not None and start <= ts <= end and not spans(ts - wait, ts, reloads)]
    answers = unanswered(asked, [ts for *_, ts in received], others, start, end)
    return delays(timed, received), waits, refresh_gaps(asked, start, end, reloads), answers
