"""Worker processes that die: no row lost (signals and interruptions: test_reliability.py)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cohort(path: Path, rows: int) -> Path:
    lines = ["respondent_id,age_years,ferritin_ng_ml,medications"]
    lines += [f"R{i},{20 + i % 60},{5 + i % 200},{'sertraline' if i % 3 == 0 else ''}" for i in range(1, rows + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def batch(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "screener", "batch", *args], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=120, **kwargs)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_row_that_kills_its_worker_twice_gets_status_error_and_no_row_is_lost(tmp_path, jobs):
    path = cohort(tmp_path / "in.csv", 5000)
    clean = batch(str(path), "--jobs", jobs, "--quiet")
    assert clean.returncode == 0, clean.stderr
    result = batch(str(path), "--jobs", jobs, "--strict", env={"SCREENER_TEST_CRASH_ROW": "2345"})
    assert result.returncode == 1, result.stderr  # --strict: a row is not ok
    rows, expected = rows_of(result.stdout), rows_of(clean.stdout)
    assert [int(r["row"]) for r in rows] == list(range(1, 5001))
    bad = rows[2344]
    assert bad["status"] == "error" and bad["respondent_id"] == "R2345"
    assert bad["errors"].startswith("(row): the scoring process stopped unexpectedly (killed by signal SIGKILL)")
    assert rows[:2344] == expected[:2344] and rows[2345:] == expected[2345:]
    assert "rows: 5000, ok: 4999, invalid: 0, error: 1" in result.stderr
    assert "worker process(es) died" in result.stderr


def test_a_worker_that_dies_once_is_replaced_and_every_row_is_scored(tmp_path):
    path = cohort(tmp_path / "in.csv", 3000)
    clean = batch(str(path), "--jobs", "2", "--quiet")
    marker = tmp_path / "crashed-once"
    result = batch(str(path), "--jobs", "2", "--strict",
                   env={"SCREENER_TEST_CRASH_ROW": "2100", "SCREENER_TEST_CRASH_ONCE": str(marker)})
    assert marker.exists(), "the worker did not crash: the test proves nothing"
    assert result.returncode == 0, result.stderr
    assert result.stdout == clean.stdout


def test_json_lines_output_survives_a_dead_worker_too(tmp_path):
    path = cohort(tmp_path / "in.csv", 50)
    result = batch(str(path), "--format", "jsonl", "--jobs", "1", env={"SCREENER_TEST_CRASH_ROW": "7"})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 50
    assert '"status":"error"' in lines[6] and '"row":7' in lines[6]


def test_stdin_to_stdout_without_a_terminal_has_no_progress_bar(tmp_path):
    text = cohort(tmp_path / "in.csv", 20).read_text()
    result = batch("-", input=text)
    assert result.returncode == 0
    assert len(rows_of(result.stdout)) == 20
    assert "\x1b[" not in result.stderr and result.stderr.startswith("rows: 20")
    assert batch("-", "--quiet", input=text).stderr == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_disk_is_a_clear_error_not_a_traceback(tmp_path):
    path = cohort(tmp_path / "in.csv", 3000)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "screener", "batch", str(path), "--quiet"], stdout=full,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "stdout: cannot write: No space left on device" in result.stderr and "Traceback" not in result.stderr
