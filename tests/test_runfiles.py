import os
import socket
import subprocess
import sys
import time
import warnings

import pandas as pd
import pytest

from wgan_watch.runs import runfiles as rf


def metrics_frame(steps, w=0.0):
    return pd.DataFrame({"step": steps, "time": [time.time()] * len(steps), "w_estimate": [w] * len(steps)})


def test_reader_keeps_last_row_for_a_repeated_step(tmp_path):
    w = rf.PartWriter(tmp_path / "metrics", rf.METRIC_COLUMNS)
    w.write(metrics_frame([1, 2, 3], w=1.0))
    w.write(metrics_frame([3, 4], w=2.0))  # step 3 again, as after a resume
    df = rf.read_metrics(tmp_path)
    assert df["step"].tolist() == [1, 2, 3, 4]
    assert df.loc[df.step == 3, "w_estimate"].item() == 2.0
    assert list(df.columns) == list(rf.METRIC_COLUMNS)


def test_torn_part_is_skipped_with_a_warning(tmp_path):
    w = rf.PartWriter(tmp_path / "metrics", rf.METRIC_COLUMNS)
    w.write(metrics_frame([1, 2]))
    good = w.write(metrics_frame([3]))
    data = good.read_bytes()
    (tmp_path / "metrics" / "part-000003.parquet").write_bytes(data[: len(data) // 2])
    problems = []
    with pytest.warns(UserWarning, match="part-000003"):
        df = rf.read_metrics(tmp_path, problems)
    assert df["step"].tolist() == [1, 2, 3]
    assert len(problems) == 1


def test_merge_bounds_parts_and_keeps_rows(tmp_path):
    w = rf.PartWriter(tmp_path / "m", rf.METRIC_COLUMNS, max_parts=4)
    for s in range(1, 11):
        w.write(metrics_frame([s]))
    assert len(rf.part_files(tmp_path / "m")) <= 4
    assert rf.read_table(tmp_path / "m", rf.METRIC_COLUMNS)["step"].tolist() == list(range(1, 11))
    w.merge(keep_through_step=6)
    assert rf.read_table(tmp_path / "m", rf.METRIC_COLUMNS)["step"].tolist() == list(range(1, 7))
    assert w.write(metrics_frame([7])).name > rf.part_files(tmp_path / "m")[0].name


def test_a_reader_that_listed_the_parts_before_a_merge_loses_no_rows_and_reports_nothing(tmp_path):
    w = rf.PartWriter(tmp_path / "m", rf.METRIC_COLUMNS, max_parts=100)
    for s in range(1, 6):
        w.write(metrics_frame([s]))
    listed = rf.part_files(tmp_path / "m")  # the reader lists ...
    w.merge()  # ... the trainer merges and deletes the older parts ...
    problems = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = rf.read_parts(listed, rf.METRIC_COLUMNS, problems)  # ... the reader reads what it listed
    assert df["step"].tolist() == [1, 2, 3, 4, 5] and problems == []
    assert not listed[0].exists()


def test_merges_leave_big_parts_alone_so_their_cost_does_not_grow_with_the_run(tmp_path):
    w = rf.PartWriter(tmp_path / "m", rf.METRIC_COLUMNS, max_parts=4, big_rows=5)
    for s in range(1, 8):
        w.write(metrics_frame([s]))
    first = rf.part_files(tmp_path / "m")[0]
    assert len(rf.read_part(first, rf.METRIC_COLUMNS)) >= 5  # became big
    stamp = first.stat().st_mtime_ns
    for s in range(8, 61):
        w.write(metrics_frame([s]))
    assert first.exists() and first.stat().st_mtime_ns == stamp  # never rewritten
    parts = rf.part_files(tmp_path / "m")
    assert len(parts) <= 60 // 5 + 4
    assert rf.read_table(tmp_path / "m", rf.METRIC_COLUMNS)["step"].tolist() == list(range(1, 61))
    w.merge(keep_through_step=33)  # a resume: every part is cut back
    assert rf.read_table(tmp_path / "m", rf.METRIC_COLUMNS)["step"].tolist() == list(range(1, 34))


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    rf.atomic_write_json(tmp_path / "a.json", {"x": 1})
    rf.atomic_write_json(tmp_path / "a.json", {"x": 2})
    assert os.listdir(tmp_path) == ["a.json"]
    assert rf.read_json(tmp_path / "a.json") == {"x": 2}


def test_a_write_that_dies_half_way_leaves_the_old_file_whole(tmp_path, monkeypatch):
    """The atomic rename: until the new file is complete on disk, readers see the old one."""
    import os

    from wgan_watch.runs import atomic

    path = tmp_path / "status.json"
    rf.atomic_write_json(path, {"state": "running", "pad": "x" * 10_000})

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError):
        rf.atomic_write_json(path, {"state": "finished", "pad": "y" * 10_000})
    monkeypatch.undo()
    assert rf.read_json(path) == {"state": "running", "pad": "x" * 10_000}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temporary file left


def test_tolerant_json_reader(tmp_path):
    (tmp_path / "s.json").write_text("{broken")
    assert rf.read_json(tmp_path / "s.json") is None
    (tmp_path / "s.json").write_text("[1, 2]")
    assert rf.read_json(tmp_path / "s.json") is None
    assert rf.read_json(tmp_path / "missing.json") is None


def test_running_run_whose_process_is_gone_is_lost(tmp_path):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    rf.write_status(tmp_path, state="running", pid=p.pid)
    assert rf.effective_state(rf.read_json(tmp_path / "status.json")) == "lost"
    rf.write_status(tmp_path, state="running", pid=os.getpid())
    assert rf.effective_state(rf.read_json(tmp_path / "status.json")) == "running"
    rf.write_status(tmp_path, state="finished", pid=p.pid)
    assert rf.effective_state(rf.read_json(tmp_path / "status.json")) == "finished"
    # a run on another host is judged by its heartbeat
    st = {"state": "running", "pid": 1, "host": "elsewhere", "updated_at": time.time() - 3600}
    assert rf.effective_state(st) == "lost"
    st["updated_at"] = time.time()
    assert rf.effective_state(st) == "running"
    assert rf.effective_state(None) == "unknown"


def test_lock_refuses_a_second_trainer_and_takes_over_a_stale_one(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        rf.atomic_write_json(tmp_path / "trainer.lock", {"pid": sleeper.pid, "host": socket.gethostname()})
        with pytest.raises(rf.RunLockedError, match=str(sleeper.pid)):
            rf.acquire_lock(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
    rf.acquire_lock(tmp_path)  # the holder is dead now: stale lock taken over
    assert rf.read_json(tmp_path / "trainer.lock")["pid"] == os.getpid()
    rf.release_lock(tmp_path)
    assert not (tmp_path / "trainer.lock").exists()


@pytest.mark.parametrize("name", ["..", "../x", "a/b", "/etc", "", ".hidden", "a\\b", "x" * 200])
def test_run_names_that_lead_outside_are_refused(tmp_path, name):
    with pytest.raises(ValueError):
        rf.resolve_run(tmp_path, name)


def test_symlink_leading_outside_is_not_listed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "config.json").write_text("{}")
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "evil").symlink_to(outside)
    (runs / "good").mkdir()
    (runs / "good" / "config.json").write_text("{}")
    assert rf.list_runs(runs) == ["good"]
    with pytest.raises(ValueError):
        rf.resolve_run(runs, "evil")


def test_control_round_trip(tmp_path):
    assert rf.read_control(tmp_path) is None
    rf.write_control(tmp_path, "stop")
    assert rf.read_control(tmp_path) == "stop"


def test_a_served_stop_is_cleared_and_a_newer_one_kept(tmp_path):
    rf.write_control(tmp_path, "stop")
    rf.write_status(tmp_path, state="stopped")  # the old process wrote this after it obeyed
    rf.clear_served_control(tmp_path)
    assert rf.read_control(tmp_path) is None
    rf.write_control(tmp_path, "stop")  # asked again after that: for the next process
    rf.clear_served_control(tmp_path)
    assert rf.read_control(tmp_path) == "stop"


def test_runs_are_listed_newest_first_by_their_status_not_their_folder(tmp_path):
    """A live run rewrites status.json; its folder's own time changes only when a file is added."""
    for name, status_age, folder_age in (("old_status_new_folder", 300, 0), ("live", 10, 400),
                                         ("config_only", 200, 400)):
        run = tmp_path / name
        run.mkdir()
        written = run / ("config.json" if name == "config_only" else "status.json")
        written.write_text("{}")
        now = time.time()
        os.utime(written, (now - status_age, now - status_age))
        os.utime(run, (now - folder_age, now - folder_age))
    (tmp_path / "not_a_run").mkdir()
    assert rf.list_runs(tmp_path) == ["live", "config_only", "old_status_new_folder"]
