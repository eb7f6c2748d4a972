"""bench.viewers' reading of a page's websocket frames (bench/viewer_frames.py): which chart carried which step, and
when it was asked for; and its table."""
import base64
import json
import os
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser_harness import driver_pids, machine_cpu, parent_pid
from bench.viewer_frames import (W, delays, estimate_received, most_frequent, refresh_gaps, rerun_requests,
                                 unanswered)
from bench.viewers import print_table
from wgan_watch.app.basic_chart import CHART_COMPONENT


def chart_frame(traces: list[tuple[str, np.ndarray]], basic: bool = False) -> str:
    """A ForwardMsg delta that adds a Plotly chart, as the page's websocket receives it (base64, as CDP gives it):
    an st.plotly_chart, or (basic) the dashboard's basic-bundle chart, a components.v2 element."""
    fig = go.Figure([go.Scatter(x=x, y=np.zeros(len(x)), name=name) for name, x in traces])
    msg = ForwardMsg()
    if basic:
        msg.delta.new_element.bidi_component.component_name = CHART_COMPONENT
        msg.delta.new_element.bidi_component.json = json.dumps({"figure": fig.to_json(), "src": "x.js"})
    else:
        msg.delta.new_element.plotly_chart.spec = fig.to_json()  # plotly 6+: x as base64 `bdata`
    return base64.b64encode(msg.SerializeToString()).decode()


def rerun_frame(fragment: str = "") -> str:
    msg = BackMsg()
    msg.rerun_script.fragment_id = fragment
    return base64.b64encode(msg.SerializeToString()).decode()


def test_each_estimate_chart_gives_its_last_step_its_time_and_the_wait_since_the_request():
    now = time.monotonic()
    frames = [(now + 1.0, chart_frame([(f"run-a {W}", np.arange(0, 500)), ("run-a held out", np.arange(0, 900))])),
              (now + 1.2, chart_frame([("Losses", np.arange(0, 5000))], basic=True)),  # not the estimate
              (now + 3.1, chart_frame([(f"run-a {W}", np.arange(0, 70_000, 100))], basic=True))]  # (4-byte ints)
    requests = rerun_requests([(now + 0.9, rerun_frame("estimate")), (now + 2.0, rerun_frame("estimate")),
                               (now + 2.5, rerun_frame("details"))])
    got = estimate_received(frames, W, most_frequent(requests))
    assert [r[0] for r in got] == [499, 69_900]
    # each chart is timed from the estimate's request before it, not from another fragment's
    assert np.allclose([r[2] for r in got], [0.1, 1.1])
    wall = time.time() - time.monotonic()
    assert abs(got[0][1] / 1000 - (now + 1.0 + wall)) < 0.05  # the machine's clock, in ms, as the pages record
    # a part written at step 600 first reached the page with the second chart: 0.5 s after it was written
    assert np.allclose(delays([(600, now + 2.6 + wall)], got), [0.5], atol=0.05)


def test_a_chart_with_no_request_before_it_has_no_wait_and_gaps_follow_the_most_frequent_fragment():
    now = time.monotonic()
    got = estimate_received([(now, chart_frame([(W, np.arange(3))]))], W, [now + 1])
    assert got[0][0] == 2 and got[0][2] is None
    sent = [(now + t, rerun_frame("live")) for t in (0, 2, 4.5, 6.5)] + [(now + 3, rerun_frame("details")),
                                                                         (now + 1, rerun_frame(""))]
    sent.append((now + 5, base64.b64encode(BackMsg(app_heartbeat=True).SerializeToString()).decode()))
    requests = rerun_requests(sent)
    assert requests == {"live": [now, now + 2, now + 4.5, now + 6.5], "details": [now + 3], "": [now + 1]}
    live = most_frequent(requests)
    assert np.allclose(refresh_gaps(live, start=now + 1, end=now + 10), [2.5, 2.0])
    assert np.allclose(refresh_gaps(live, start=now - 1, end=now + 5), [2.0, 2.5])  # the window's end holds
    assert np.allclose(refresh_gaps(live, start=now - 1, end=now + 10, breaks=[now + 3]), [2.0, 2.0])  # a reload


def test_a_refresh_with_no_chart_before_the_next_is_unanswered_and_counted_apart_when_it_came_with_another_part():
    asked = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    charts = [0.1, 2.1, 6.2, 9.9]  # none after 4.0: it went unanswered; 8.0's came late, just before 10.0
    others = [4.03, 8.5]  # the verdict asked for 30 ms after the estimate at 4.0
    assert unanswered(asked, charts, others, start=-1, end=11) == (5, 1, 1, 1)
    assert unanswered(asked, charts, [1.0], start=-1, end=11) == (5, 1, 0, 0)
    assert unanswered(asked, charts, others, start=5, end=11) == (2, 0, 0, 0)  # only requests in the window
    assert unanswered([], charts, others, start=0, end=1) == (0, 0, 0, 0)


def result(**over) -> dict:
    r = {"viewers": 16, "cpu_ms_per_s": 200.0, "idle": 8.0, "browser_cores": 1.3, "bench_cores": 0.06,
         "idle_cores": 0.4, "steal_cores": 0.0, "delay": (1.2, 2.6), "received": (float("nan"),) * 2,
         "turnaround": (float("nan"),) * 2, "gaps": (float("nan"),) * 2, "answers": [0, 0, 0, 0], "missed": 0,
         "parts": 59, "hidden": 0}
    return {**r, **over}


def test_the_table_without_the_capture_prints_dashes_for_what_only_the_frames_could_tell(capsys):
    print_table([result()], captured=False)
    header, rule, row = capsys.readouterr().out.strip().split("\n")
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert len(cells) == len(header.strip("|").split("|")) == rule.count("---")
    assert cells[:7] == ["16", "200 (idle 8)", "12.0", "1.30", "0.06", "0.40 / 0.00", "1.20 / 2.60"]
    assert cells[7:12] == ["–"] * 5 and "nan" not in row
    assert cells[12:] == ["0 of 944", "0"]  # parts missed of 16 × 59, pages hidden
    print_table([result(received=(1.0, 2.0), turnaround=(0.1, 0.5), gaps=(2.0, 2.5), answers=[29, 1, 3, 1])],
                captured=True)
    cells = [c.strip() for c in capsys.readouterr().out.strip().split("\n")[2].strip("|").split("|")]
    assert cells[7:12] == ["1.00 / 2.00", "0.10 / 0.50", "2.00 / 2.50", "1 of 29", "3 / 1"]


def test_the_machine_counters_read_idle_with_io_wait_and_steal_in_core_seconds():
    tick = os.sysconf("SC_CLK_TCK")
    got = machine_cpu(f"cpu  100 3 50 {10 * tick} {2 * tick} 0 9 {tick // 2} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
    assert got == {"idle": 12.0, "steal": 0.5}
    assert machine_cpu(f"cpu  100 3 50 {4 * tick} 0 0 9\n") == {"idle": 4.0, "steal": 0.0}  # no steal reported
    t0, before = time.monotonic(), machine_cpu()
    time.sleep(0.3)
    after, elapsed = machine_cpu(), time.monotonic() - t0
    n = os.cpu_count()
    assert after["idle"] - before["idle"] <= elapsed * n + 2 * n / tick  # cores that sat idle, at most all of them
    assert after["steal"] >= before["steal"] >= 0


def test_a_parent_pid_is_read_after_a_command_name_with_spaces_and_parentheses():
    assert parent_pid("5 (a) b) S 42 5 5 0 -1 4194560") == 42
    assert parent_pid(Path(f"/proc/{os.getpid()}/stat").read_text()) == os.getppid()
    assert driver_pids()[0] == os.getpid()
