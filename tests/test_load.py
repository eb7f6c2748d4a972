"""The dashboard's incremental reader: appends new parts in place, rebuilds when the files say so."""

import pandas as pd

from wgan_watch.app import load
from tests.fixtures import metrics_frame
from wgan_watch.runs import runfiles as rf


def read(d):
    return load.metrics(d)[0]


def test_growing_table_matches_a_full_read_through_appends_resume_and_merge(tmp_path):
    d = tmp_path / "r"
    w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS, max_parts=6)
    w.write(metrics_frame(50))
    first = read(d)
    assert first["step"].tolist() == list(range(1, 51))
    for k in range(3):  # appends
        w.write(metrics_frame(10, start=51 + 10 * k, seed=k))
        pd.testing.assert_frame_equal(read(d), rf.read_metrics(d))
    assert first["step"].tolist() == list(range(1, 51))  # an earlier frame is not disturbed
    w.write(metrics_frame(20, start=61, seed=9))  # a resume: steps 61.. again, last write wins
    got = read(d)
    pd.testing.assert_frame_equal(got, rf.read_metrics(d))
    assert got["step"].is_unique and got["step"].max() == 80
    for k in range(5):  # enough parts to trigger a merge (files replaced, not appended)
        w.write(metrics_frame(5, start=81 + 5 * k))
    assert len(rf.part_files(d / "metrics")) <= 6
    pd.testing.assert_frame_equal(read(d), rf.read_metrics(d))
    assert read(d)["step"].tolist() == list(range(1, 106))


def test_unreadable_part_is_reported_once_appended(tmp_path):
    d = tmp_path / "r"
    w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS)
    w.write(metrics_frame(5))
    read(d)
    (d / "metrics" / "part-000002.parquet").write_bytes(b"PAR1 torn")
    w._seq = 2
    w.write(metrics_frame(5, start=6))
    df, problems = load.metrics(d)
    assert df["step"].tolist() == list(range(1, 11))
    assert any("part-000002" in p for p in problems)


def test_run_tables_key_names_exactly_the_parts_its_tables_hold(tmp_path, monkeypatch):
    """A part that arrives while a page reads a run is not in the key of what it read: a figure cached under a key
    naming that part would lack it until the next part came (for good, after a finished run's last part)."""
    d = tmp_path / "r"
    w = rf.PartWriter(d / "metrics", rf.METRIC_COLUMNS)
    w.write(metrics_frame(50))
    listed, real = [], load.signature

    def a_part_arrives_after_the_listing(folder):
        sig = real(folder)
        if folder.name == "metrics" and not listed:
            listed.append(w.write(metrics_frame(10, start=51)))
        return sig

    monkeypatch.setattr(load, "signature", a_part_arrives_after_the_listing)
    m, _, problems, key = load.run_tables(d)
    assert len(m) == 50 and problems == ()
    assert [name for name, *_ in key[1]] == ["part-000001.parquet"]
    m, _, _, newer = load.run_tables(d)
    assert len(m) == 60 and newer == load.run_key(d) != key
