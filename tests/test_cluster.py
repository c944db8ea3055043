"""`screener batch --cluster`: a Dask LocalCluster gives the bytes of a local run, over several
CSV files and a Parquet file, when a worker is killed mid-run, and stops naming the rows of a
partition that keeps failing. Run on the installed console script in subprocesses."""

from __future__ import annotations

import os
import signal
import time
import pytest

pytest.importorskip("distributed", reason="the Dask tests need pip install 'screener[dask]'")
pytest.importorskip("pyarrow.parquet", reason="the Parquet tests need pyarrow")

from helpers import children, cohort, ok, screener, start, still_alive, to_parquet  # noqa: E402

from screener.io.cluster import address, partitions  # noqa: E402
from screener.io.csv_input import Chunk, InputError  # noqa: E402


def test_a_local_cluster_scores_several_files_and_parquet_like_a_local_run(tmp_path):
    first, second = cohort(tmp_path / "a.csv", 25_000), cohort(tmp_path / "b.csv", 3_001)
    parquet = to_parquet(second, tmp_path / "c.parquet")
    local = ok(screener("batch", str(first), str(second), str(second), "--quiet")).stdout
    clustered = ok(screener("batch", str(tmp_path / "[ab].csv"), str(parquet), "--quiet", "--cluster", "local[2]"))
    assert clustered.stdout == local
    rows = local.decode().splitlines()
    assert len(rows) == 1 + 25_000 + 2 * 3_001 and rows[-1].startswith("31002,R3001,ok")
    jsonl = ok(screener("batch", str(first), str(parquet), "--format", "jsonl", "--quiet", "--cluster", "local[2]"))
    assert jsonl.stdout == ok(screener("batch", str(first), str(second), "--format", "jsonl", "--quiet")).stdout


def test_a_worker_killed_mid_run_changes_no_byte(tmp_path):
    path = cohort(tmp_path / "in.csv", 60_000)
    expected = ok(screener("batch", str(path), "--quiet")).stdout
    out = tmp_path / "out.csv"
    mark = tmp_path / "hanging"
    process = start("batch", str(path), "-o", str(out), "--quiet", "--cluster", "local[2]",
                    env={"SCREENER_TEST_HANG_ROW": "45000", "SCREENER_TEST_HANG_SECONDS": "3",
                         "SCREENER_TEST_HANG_MARK": str(mark)})
    deadline = time.monotonic() + 90
    while not mark.exists() or not mark.read_text():  # a worker is in the middle of the partition of row 45000
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    worker = int(mark.read_text())
    assert worker in children(process.pid)
    mark.unlink()
    os.kill(worker, signal.SIGKILL)
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert mark.exists(), "the partition of the killed worker was not run again"
    assert out.read_bytes() == expected


def test_sigterm_stops_a_cluster_run_and_its_workers(tmp_path):
    path = cohort(tmp_path / "in.csv", 60_000)
    mark = tmp_path / "hanging"
    process = start("batch", str(path), "-o", str(tmp_path / "out.csv"), "--cluster", "local[2]",
                    env={"SCREENER_TEST_HANG_ROW": "45000", "SCREENER_TEST_HANG_MARK": str(mark)})
    deadline = time.monotonic() + 90
    while not mark.exists():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    workers = children(process.pid)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143 and b"stopped by SIGTERM: no output written" in stderr, stderr.decode()
    # (Not checked here: what Dask's own worker processes may log while they are shut down mid-task.)
    assert not still_alive(workers, after=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hanging", "in.csv"]


def test_a_partition_that_keeps_failing_stops_the_run_naming_its_rows(tmp_path):
    path = cohort(tmp_path / "in.csv", 30_000)
    out = tmp_path / "out.csv"
    result = ok(screener("batch", str(path), "-o", str(out), "--cluster", "local[1]",
                         env={"SCREENER_TEST_CRASH_ROW": "25000"}, timeout=240), code=1)
    assert f"stopped: {path}: rows 20001-30000 could not be scored on the cluster".encode() in result.stderr
    assert b"no output written" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_cluster_addresses():
    assert address("local[3]") == (None, 3)
    assert address("dask://scheduler:8786") == ("tcp://scheduler:8786", 0)
    assert address("tls://10.0.0.1:8786") == ("tls://10.0.0.1:8786", 0)
    for wrong in ("local[0]", "local", "spark://x", "dask://"):
        with pytest.raises(InputError, match="--cluster"):
            address(wrong)


def test_partitions_group_whole_chunks_of_one_input_in_order():
    chunks = [Chunk(1 + 10 * i, 10, f"t{i}\n") for i in range(9)]
    tasks = [(0 if i < 7 else 1, f"settings{0 if i < 7 else 1}", chunk) for i, chunk in enumerate(chunks)]
    groups = list(partitions(tasks, rows=25))
    assert [(index, settings, [c.start_row for c in group]) for index, settings, group in groups] == [
        (0, "settings0", [1, 11, 21]), (0, "settings0", [31, 41, 51]), (0, "settings0", [61]),
        (1, "settings1", [71, 81])]


def test_a_wrong_cluster_address_is_a_usage_error_before_any_output(tmp_path):
    from helpers import invoke

    path = cohort(tmp_path / "in.csv", 10)
    result = invoke(["batch", str(path), "-o", str(tmp_path / "out.csv"), "--cluster", "spark://x"], code=2)
    assert "--cluster spark://x: expected local[N] or dask://HOST:PORT" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
