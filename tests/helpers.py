"""Shared test helpers: every CLI run checks its exit code and that no exception escaped.

click's CliRunner catches exceptions and keeps them in `result.exception`; a test that reads
only stdout cannot see a crash. `invoke` fails the test when the exit code differs from the
one expected, or when anything but a clean `sys.exit` ended the command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from screener.ui.cli import main


def invoke(args: list[str], *, code: int = 0, input: str | bytes | None = None,
           env: dict[str, str] | None = None, runner: CliRunner | None = None) -> Result:
    """Run `screener ARGS` in-process; assert the exit code and that no exception escaped."""
    result = (runner or CliRunner()).invoke(main, args, input=input, env=env)
    check(result, code)
    return result


def check(result: Result, code: int) -> None:
    """Fail unless the run ended by sys.exit (or returned) with `code`."""
    escaped: Any = result.exception
    if escaped is not None and not isinstance(escaped, SystemExit):
        details = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(escaped)
        raise AssertionError(f"an exception escaped the command:\n{details}\nstderr:\n{result.stderr}")
    assert result.exit_code == code, (
        f"exit code {result.exit_code}, expected {code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")


def typed_lines(answers: dict[str, str]) -> list[str]:
    """The lines a person types to answer `screener ask` in order (blank where `answers` has nothing)."""
    from screener.core.questionnaire import default_questionnaire

    questionnaire = default_questionnaire()
    given: dict = {}
    out = []
    while todo := [q for q in questionnaire.applicable(given) if q.id not in given]:
        question = todo[0]
        text = answers.get(question.id, "")
        out.append(text)
        given = questionnaire.effective({**given, question.id: questionnaire.check(question, text, given).value})
    return out


# -- the installed console script in a subprocess ------------------------------------------------

SCREENER = str(Path(sys.executable).with_name("screener"))


def _default_signals() -> None:
    """Started in the background, a test run may have SIGINT ignored; the child gets the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def screener(*args: str, env: dict[str, str] | None = None, input: str | bytes | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([SCREENER, *args], input=input.encode() if isinstance(input, str) else input,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=timeout,
                          preexec_fn=_default_signals)


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([SCREENER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, preexec_fn=_default_signals)


def ok(result: subprocess.CompletedProcess, code: int = 0) -> subprocess.CompletedProcess:
    assert result.returncode == code, result.stderr.decode()
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def cohort(path: Path, rows: int, ending: str = "\n") -> Path:
    lines = ["respondent_id,age_years,ferritin_ng_ml,medications"]
    lines += [f"R{i},{20 + i % 60},{5 + i % 200},{'sertraline' if i % 3 == 0 else ''}" for i in range(1, rows + 1)]
    path.write_text(ending.join(lines) + ending, newline="")
    return path


def children(pid: int) -> set[int]:
    """Live child processes of `pid` (zombies count as gone)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def still_alive(pids: set[int], after: float) -> list[int]:
    """The processes of `pids` still alive `after` seconds from now (sooner when all are gone)."""
    deadline = time.monotonic() + after
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def to_parquet(source: Path, target: Path) -> Path:
    """The rows of a `cohort` CSV file as Parquet with typed columns (numbers as numbers, blanks as nulls)."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(csv.DictReader(source.open(newline="")))
    columns = {name: [row[name] or None for row in rows] for name in rows[0]}
    columns["age_years"] = [int(v) for v in columns["age_years"]]
    columns["ferritin_ng_ml"] = [float(v) for v in columns["ferritin_ng_ml"]]
    pq.write_table(pa.table(columns), target, row_group_size=700)
    return target
