"""The pieces bench/browser.py (and bench/observer.py) drive: a Streamlit server, headless Chromium with a
record of when each Plotly chart was first drawn and of every byte that arrived, and TensorBoard."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]

# When each Plotly chart was first drawn (performance.now(), ms from navigation) and its trace names. It looks at
# every animation frame until stop_recording(): left running, that look cost a page ~80 ms of CPU per second,
# which 16 pages on 2 cores cannot spare (python -m bench.viewers measured mostly this, before).
RECORD_CHARTS = """
window.__drawn = {}; window.__recording = true;
(function poll() {
  document.querySelectorAll('.js-plotly-plot').forEach(el => {
    if (!el.__wid) el.__wid = String(Math.random());
    if (!window.__drawn[el.__wid] && el._fullData && el._fullData.length && el.querySelector('.main-svg')) {
      window.__drawn[el.__wid] = {t: performance.now(), names: (el.data || []).map(t => t.name || '')};
    }
  });
  if (window.__recording) requestAnimationFrame(poll);
})();
"""
CHART_WITH = ("m => { const d = Object.values(window.__drawn || {}).find(d => d.names.some(n => n.includes(m)));"
              " return d ? d.t : null; }")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its threads so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`streamlit run SCRIPT [-- args]` on a free loopback port with the project's settings."""

    def __init__(self, script_and_args: list[str], env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        script, *rest = script_and_args
        self.cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(self.port),
                    "--server.headless", "true", "--browser.gatherUsageStats", "false", *rest]
        self.env = {**os.environ, **(env or {})}

    def __enter__(self) -> "Server":
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return self
            except OSError:
                time.sleep(0.3)
        self.proc.kill()
        raise RuntimeError(f"streamlit did not start: {self.cmd}")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


class LivePage:
    def __init__(self, page, counters: dict):
        self.page, self.counters = page, counters

    def wait_chart(self, marker: str, timeout_ms: int = 120_000) -> float:
        """Seconds from navigation until a chart with a trace named like `marker` was first drawn."""
        handle = self.page.wait_for_function(CHART_WITH, arg=marker, timeout=timeout_ms, polling=50)
        return handle.json_value() / 1000

    def wait_all_drawn(self, quiet_s: float = 1.5, timeout_s: float = 120) -> float:
        """Seconds from navigation until the last chart was drawn, once the page is idle and nothing new came."""
        deadline, last, since = time.time() + timeout_s, None, time.time()
        while time.time() < deadline:
            state = self.page.evaluate("""() => ({n: document.querySelectorAll('.js-plotly-plot').length,
                drawn: Object.values(window.__drawn || {}).map(d => d.t),
                busy: !!document.querySelector('[data-testid="stStatusWidget"]')})""")
            key = (state["n"], len(state["drawn"]), state["busy"])
            if key != last:
                last, since = key, time.time()
            elif not state["busy"] and state["n"] <= len(state["drawn"]) and time.time() - since >= quiet_s:
                return max(state["drawn"]) / 1000 if state["drawn"] else float("nan")
            time.sleep(0.1)
        raise TimeoutError("the page did not settle")

    def stop_recording(self) -> None:
        """No more looking for new charts at every frame (wait_chart and wait_all_drawn need it until then)."""
        self.page.evaluate("window.__recording = false")

    def ws_bytes(self) -> int:
        return self.counters["ws"]

    def wait_x_at_least(self, marker: str, step: int, timeout_s: float = 60) -> float:
        """time.time() when a trace named like `marker` first shows an x value >= step."""
        js = """([m, s]) => [...document.querySelectorAll('.js-plotly-plot')].some(el => (el._fullData || [])
            .some(t => (t.name || '').includes(m) && t.x && t.x.length && Number(t.x[t.x.length - 1]) >= s))"""
        self.page.wait_for_function(js, arg=[marker, step], timeout=timeout_s * 1000, polling=50)
        return time.time()


class Browser:
    def __init__(self, link_mbit: float | None = None):
        """`link_mbit`: every page's traffic over an emulated link of that many Mbit/s each way and 40 ms
        (Chromium's network emulation), as for a viewer on another machine; None: as fast as the machine."""
        self.link_mbit = link_mbit

    def __enter__(self) -> "Browser":
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        return self

    def __exit__(self, *exc) -> None:
        self.browser.close()
        self._pw.stop()

    @contextlib.contextmanager
    def page(self, url: str, viewport=(1400, 1800), keep_frames_over: int | None = None, capture: bool = True):
        """A fresh context (cold cache) on `url`, counting HTTP and websocket bytes; with `keep_frames_over`, it
        also keeps every binary websocket frame larger than that many bytes, and every one the page sends, with
        CDP's time for it (monotonic, time.monotonic()'s clock on Linux). Blink reports a page's websocket frames
        from its renderer, as the renderer takes them off (or puts them on) the connection: a frame received is
        timed before the page's scripts handle it, but after any wait for a busy renderer. `capture=False`: none of
        this (no DevTools network events, which copy every frame to this process; the counters stay empty); with
        the browser's `link_mbit`, the events still come, uncounted (the emulation needs them on)."""
        ctx = self.browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        ctx.add_init_script(RECORD_CHARTS)
        page = ctx.new_page()
        counters = {"http": 0, "ws": 0, "frames": [], "sent": [], "sockets": []}
        if capture or self.link_mbit:
            self._watch_network(ctx, page, counters, keep_frames_over, capture)
        page.goto(url, wait_until="commit")
        try:
            yield LivePage(page, counters)
        finally:
            ctx.close()

    def _watch_network(self, ctx, page, counters: dict, keep_frames_over: int | None, count: bool) -> None:
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        if self.link_mbit:
            rate = self.link_mbit * 1e6 / 8  # bytes per second
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 40,
                                                          "downloadThroughput": rate, "uploadThroughput": rate})
        if not count:
            return
        cdp.on("Network.loadingFinished",
               lambda e: counters.__setitem__("http", counters["http"] + e["encodedDataLength"]))

        def frame_received(e: dict) -> None:
            binary, payload = e["response"]["opcode"] == 2, e["response"]["payloadData"]
            size = len(payload) * 3 // 4 if binary else len(payload)  # (binary frames come base64-encoded)
            counters["ws"] += size
            if binary and keep_frames_over is not None and size > keep_frames_over:
                counters["frames"].append((e["timestamp"], payload))

        cdp.on("Network.webSocketFrameReceived", frame_received)
        if keep_frames_over is not None:  # and every binary frame the page sends (its rerun requests among them)
            cdp.on("Network.webSocketFrameSent", lambda e: counters["sent"].append(
                (e["timestamp"], e["response"]["payloadData"])) if e["response"]["opcode"] == 2 else None)
            # when each websocket was opened: a second one is a new session (the page reloaded)
            cdp.on("Network.webSocketWillSendHandshakeRequest", lambda e: counters["sockets"].append(e["timestamp"]))

    def load(self, url: str, marker: str) -> dict:
        """One cold load: seconds to the chart named like `marker`, to every chart, and the bytes received."""
        with self.page(url) as p:
            chart = p.wait_chart(marker)
            every = p.wait_all_drawn()
            return {"chart": chart, "every": max(every, chart), "http": p.counters["http"], "ws": p.counters["ws"]}

    def fresh_then_reloaded(self, url: str, shown) -> tuple[float, float]:
        """`shown(live_page)` (seconds from the navigation's start to what it waits for) in a fresh context, then
        after a reload in that context (the browser's cache warm, as for a user coming back)."""
        with self.page(url, viewport=(1400, 1000)) as p:
            fresh = shown(p)
            p.page.goto(url, wait_until="commit")  # (the init script records the new page's charts afresh)
            return fresh, shown(p)

    def load_tensorboard(self, logdir: Path, tag: str = "w_estimate") -> float | None:
        """Seconds from navigation until TensorBoard's line for `tag` is on screen, on a cold load (its own server).

        The signal: with the tag loaded (polled on /data/plugin/scalars/tags, so the server's reading of the event
        file is not counted, as the Monitor's server has its run cached too), open the time-series dashboard with
        SVG rendering and wait for a `path` with data inside a scalar card's `line-chart` (the grid and axes are
        `line` elements, and the WebGL canvas exists before any data is drawn)."""
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--port",
                                 str(port), "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 300
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/data/plugin/scalars/tags", timeout=2) as r:
                        if tag.encode() in r.read():
                            break
                except OSError:
                    pass
                time.sleep(0.3)
            else:
                return None
            ctx = self.browser.new_context(viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}/?forceSVG=true#timeseries", wait_until="commit")
            try:
                handle = page.wait_for_function(TENSORBOARD_LINE, timeout=120_000, polling=50)
                return handle.json_value() / 1000
            except Exception:  # noqa: BLE001  (TensorBoard's markup changes between versions)
                return None
            finally:
                ctx.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)


# A scalar card's line drawn: an SVG path with a long `d` inside a line-chart (grid and axes are <line>s).
TENSORBOARD_LINE = """() => { const paths = document.querySelectorAll('scalar-card line-chart svg path, line-chart svg path');
    for (const p of paths) { const d = p.getAttribute('d') || ''; if (d.length > 200) return performance.now(); }
    return null; }"""


def tensorboard_version() -> str:
    try:
        from importlib.metadata import version

        return version("tensorboard")
    except Exception:  # noqa: BLE001
        return "not installed"


def write_tensorboard(logdir: Path, steps: int = 1_000_000) -> Path | None:
    """The 1,000,000-step fixture series as a TensorBoard event file (None without the package)."""
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.compat.proto import event_pb2, summary_pb2
    except ImportError:
        return None
    from tests.fixtures import metrics_frame

    w = EventFileWriter(str(logdir / "big"))
    df = metrics_frame(steps)
    for step, wall, value in zip(df["step"], df["time"], df["w_estimate"]):
        summ = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="w_estimate", simple_value=float(value))])
        w.add_event(event_pb2.Event(step=int(step), wall_time=float(wall), summary=summ))
    w.close()
    return logdir



def processes(program: bytes, parent: int | None = None) -> list[int]:
    """The pids of every process whose command names `program` (in its first word), started by `parent` if given."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and program in (proc / "cmdline").read_bytes().split(b"\0")[0] \
                    and (parent is None or parent_pid((proc / "stat").read_text()) == parent):
                pids.append(int(proc.name))
        except (OSError, IndexError, ValueError):  # gone, or a kernel thread's empty command line
            continue
    return pids


def chromium_pids() -> list[int]:
    """Every Chromium process on the machine (the pages' renderers and their browser)."""
    return processes(b"chromium")


def machine_cpu(stat: str | None = None) -> dict[str, float]:
    """Core-seconds so far of the whole machine, from /proc/stat (or its text `stat`): "idle" (with I/O wait) and
    "steal" (time the hypervisor gave this VM's virtual cores to another guest: a busy host shows here, not in any
    process; 0 where the kernel does not report it)."""
    stat = Path("/proc/stat").read_text() if stat is None else stat
    fields = [int(x) for x in stat.split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return {"idle": (fields[3] + fields[4]) / tick, "steal": (fields[7] if len(fields) > 7 else 0) / tick}


def parent_pid(stat: str) -> int:
    """The parent's pid in a /proc/PID/stat line (after the command's name, which may hold spaces and parentheses)."""
    return int(stat.rsplit(")", 1)[1].split()[1])


def driver_pids() -> list[int]:
    """This process and Playwright's driver (a Node process it started), or this process alone if no driver is
    found: the benchmark's own CPU, beside the browser's and the server's."""
    return [os.getpid(), *processes(b"node", parent=os.getpid())]


def renice_chromium(nice: int) -> None:
    """Set every thread of every Chromium process to niceness `nice` (Linux's niceness is per thread, and Chromium
    sets its processes' own at start, so a niceness given at launch does not last); threads started later inherit
    it from the thread that starts them."""
    for pid in chromium_pids():
        with contextlib.suppress(OSError):  # gone meanwhile
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
