"""The batch's promises, proven on the installed `screener` console script in subprocesses:
JSON Lines end to end, every line ending, worker crashes and stalls, signals, a parent killed
outright, the input protected from -o, clear errors instead of tracebacks."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import SCREENER, children, cohort, ok, screener, start, still_alive

def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(), newline="")))


# -- JSON Lines end to end ------------------------------------------------------------------------

JSONL = b'{"respondent_id": "a", "age_years": 40, "ferritin_ng_ml": 20}\n{"respondent_id": "b", "sex": "female"}\n'


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_json_lines_from_a_file_and_stdin_with_and_without_output_file(tmp_path, quiet):
    path = tmp_path / "in.jsonl"
    path.write_bytes(JSONL)
    to_stdout = ok(screener("batch", str(path), *quiet)).stdout
    assert [(r["row"], r["respondent_id"], r["status"]) for r in rows_of(to_stdout)] == [("1", "a", "ok"), ("2", "b", "ok")]
    assert ok(screener("batch", "-", *quiet, input=JSONL)).stdout == to_stdout
    out = tmp_path / "out.csv"
    ok(screener("batch", str(path), "-o", str(out), *quiet))
    assert out.read_bytes() == to_stdout
    ok(screener("batch", "-", "-o", str(out), "--format", "jsonl", *quiet, input=JSONL))
    assert [line.count(b'"status":"ok"') for line in out.read_bytes().splitlines()] == [1, 1]
    single = ok(screener("batch", "-", *quiet, input=JSONL.splitlines()[0])).stdout
    assert rows_of(single) == rows_of(to_stdout)[:1]


# -- line endings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("endings", [["\n"], ["\r"], ["\r\n"], ["\r", "\n", "\r\n"]])
def test_every_line_ending_gives_one_row_per_record(tmp_path, endings):
    records = [f'{{"respondent_id": "J{i}", "age_years": {30 + i}}}' for i in range(1, 4501)]
    text = "".join(record + endings[i % len(endings)] for i, record in enumerate(records))
    for jobs in ("1", "2"):
        rows = rows_of(ok(screener("batch", "-", "--jobs", jobs, "--quiet", input=text)).stdout)
        assert [r["respondent_id"] for r in rows] == [f"J{i}" for i in range(1, 4501)]
        assert [int(r["row"]) for r in rows] == list(range(1, 4501))
    lines = ["respondent_id,age_years"] + [f"C{i},{30 + i % 50}" for i in range(1, 4501)]
    text = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines))
    rows = rows_of(ok(screener("batch", "-", "--jobs", "2", "--quiet", input=text)).stdout)
    assert [r["respondent_id"] for r in rows] == [f"C{i}" for i in range(1, 4501)]


# -- crashes and stalls ---------------------------------------------------------------------------

def cr_cohort(path: Path, rows: int) -> Path:
    """Quoted cells holding a lone CR, CRLF or LF, the way a spreadsheet writes a line break in a cell."""
    lines = ["respondent_id,age_years,medications"]
    for i in range(1, rows + 1):
        medicine = ['"sertraline\rferrous sulfate"', '"a\r\nb"', '"x\ny"', "", '"=cmd|x\r=y"'][i % 5]
        lines.append(f"R{i},{20 + i % 60},{medicine}")
    path.write_text("\r\n".join(lines) + "\r\n", newline="")
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_worker_crash_on_a_file_with_cr_cells_changes_no_byte(tmp_path, jobs):
    path = cr_cohort(tmp_path / "in.csv", 3000)
    clean = ok(screener("batch", str(path), "--jobs", jobs, "--quiet")).stdout
    assert len(rows_of(clean)) == 3000
    marker = tmp_path / "crashed"
    crashed = ok(screener("batch", str(path), "--jobs", jobs,
                          env={"SCREENER_TEST_CRASH_ROW": "2222", "SCREENER_TEST_CRASH_ONCE": str(marker)}))
    assert marker.exists(), "the worker did not crash: the test proves nothing"
    assert b"worker process(es) died" in crashed.stderr
    assert crashed.stdout == clean


def test_a_row_that_always_crashes_is_the_only_row_that_changes(tmp_path):
    path = cr_cohort(tmp_path / "in.csv", 300)
    clean = rows_of(ok(screener("batch", str(path), "--quiet")).stdout)
    rows = rows_of(ok(screener("batch", str(path), "--quiet", env={"SCREENER_TEST_CRASH_ROW": "123"})).stdout)
    assert [r["row"] for r in rows] == [str(i) for i in range(1, 301)]
    assert rows[122]["status"] == "error" and rows[122]["respondent_id"] == "R123"
    assert rows[:122] == clean[:122] and rows[123:] == clean[123:]


def test_a_stalled_worker_is_treated_like_a_dead_one(tmp_path):
    path = cohort(tmp_path / "in.csv", 40)
    result = ok(screener("batch", str(path), "--jobs", "1", "--worker-timeout", "3",
                         env={"SCREENER_TEST_HANG_ROW": "17"}, timeout=90))
    rows = rows_of(result.stdout)
    assert [r["row"] for r in rows] == [str(i) for i in range(1, 41)]
    assert rows[16]["status"] == "error"
    assert "made no progress for 3 s" in rows[16]["errors"]
    assert all(r["status"] == "ok" for i, r in enumerate(rows) if i != 16)


# -- signals --------------------------------------------------------------------------------------

def mid_run(folder: Path) -> tuple[subprocess.Popen, set[int]]:
    """A batch run under way (its output half written, a worker stalled) and its worker processes."""
    path = cohort(folder / "in.csv", 6000)
    process = start("batch", str(path), "-o", str(folder / "out.csv"), "--jobs", "2",
                    env={"SCREENER_TEST_HANG_ROW": "5000"})
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in folder.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    time.sleep(0.5)
    workers = children(process.pid)
    assert workers, "no worker process was found"
    return process, workers


@pytest.mark.parametrize("signum, code, name", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP"),
                                                 (signal.SIGINT, 130, None)])
def test_a_signal_ends_the_run_leaving_no_file_and_no_worker(tmp_path, signum, code, name):
    process, workers = mid_run(tmp_path)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    message = f"stopped by {name}: no output written" if name else "interrupted: no output written"
    assert message in stderr.decode() and b"Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    assert not still_alive(workers, after=2)


def test_workers_exit_when_the_parent_is_killed_outright(tmp_path):
    process, workers = mid_run(tmp_path)
    process.kill()
    process.communicate(timeout=30)
    assert not still_alive(workers, after=1.5)


@pytest.mark.parametrize("delay", [0.2, 0.25, 0.3, 0.35, 0.4, 0.5])
def test_ctrl_c_while_the_program_loads_is_no_traceback(tmp_path, delay):
    """From the moment the program's own code runs (the interpreter's start-up before it is not
    the program's), Ctrl-C ends it with exit 130 and one line, never a traceback or a crash."""
    path = cohort(tmp_path / "in.csv", 10)
    process = start("batch", str(path), "-o", str(tmp_path / "out.csv"))
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr, stderr.decode()
    assert process.returncode in (0, 130), stderr  # 0: it finished first
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


# -- files protected, clear errors ----------------------------------------------------------------

def test_output_naming_the_input_by_any_path_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    path = cohort(tmp_path / "in.csv", 20)
    before = path.read_bytes()
    os.link(path, tmp_path / "hard.csv")
    (tmp_path / "soft.csv").symlink_to(path)
    for target in (str(path), str(tmp_path / "x" / ".." / "in.csv"), str(tmp_path / "hard.csv"),
                   str(tmp_path / "soft.csv")):
        result = ok(screener("batch", str(path), "-o", target), code=2)
        assert b"this is the input file" in result.stderr or b"symbolic link" in result.stderr
        assert path.read_bytes() == before
    relative = subprocess.run([SCREENER, "batch", "in.csv", "-o", "./x/../in.csv"], cwd=tmp_path, capture_output=True)
    assert relative.returncode == 2 and b"this is the input file" in relative.stderr
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_an_unquoted_cell_over_the_field_limit_is_a_clear_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("respondent_id,age_years,medications\nR1,40,x\nR2,41," + "y" * (11 * 1024 * 1024) + "\n")
    result = ok(screener("batch", str(path), "-o", str(tmp_path / "out.csv")), code=2)
    assert b"row 2: a cell holds more than" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_quote_closing_lines_later_is_pointed_out_by_row(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('respondent_id,age_years,medications\nR1,40,"sertraline\nR2,41,x\nR3,42,y"\nR4,43,\n')
    result = ok(screener("batch", str(path)))
    assert [r["respondent_id"] for r in rows_of(result.stdout)] == ["R1", "R4"]
    assert b"row 1 (lines 2-4): a quoted cell runs over several lines" in result.stderr


def test_more_jobs_than_chunks_start_one_worker(tmp_path):
    from screener.io.workers import OrderedPool

    pool = OrderedPool(8, lambda: (lambda task: task * 2), (), lambda task: [task], lambda task, reason: None)
    assert [parts for _, parts in pool.map([21])] == [[42]]
    assert pool.started == 1


def _open_ends() -> list[str]:
    """What this process's file descriptors point to (a socket or pipe by its inode)."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return out


def test_a_worker_holds_no_end_of_any_pipe_but_its_own():
    """Else a worker whose parent died would wait for ever on a pipe it keeps open itself."""
    from screener.io.workers import OrderedPool

    pool = OrderedPool(3, lambda: (lambda task: _open_ends()), (), lambda task: [task], lambda task, reason: None)
    results = pool.map(range(6))
    seen = []
    for _, [ends] in results:
        parent_ends = {os.readlink(f"/proc/self/fd/{worker.conn.fileno()}") for worker in pool.workers}
        assert len(parent_ends) == len(pool.workers) >= 1
        assert not parent_ends & set(ends)
        seen.append(ends)
    assert len(seen) == 6


def test_the_output_file_is_readable_by_its_owner_only(tmp_path):
    path = cohort(tmp_path / "in.csv", 5)
    ok(screener("batch", str(path), "-o", str(tmp_path / "out.csv"), "--quiet"))
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o600


def test_only_the_process_own_streams_under_dev_are_written_in_place(tmp_path):
    from screener.io.batch_output import _stream

    regular = os.stat(cohort(tmp_path / "in.csv", 1))
    assert _stream(Path("/dev/stdout"), regular) and _stream(Path("/dev/fd/1"), regular)
    assert not _stream(Path("/dev/shm/results.csv"), regular)  # a file there is replaced atomically
    assert not _stream(Path("/dev/stdout"), None)
