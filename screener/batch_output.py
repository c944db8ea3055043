"""Batch output: the CSV columns of the contract, JSON Lines reports, safe cells, atomic files.

CSV columns: `row`, `respondent_id`, `status` (ok | invalid | error), `errors` and `warnings`
("field: reason" joined by "; "), then one column per finding kind holding codes joined by "; ".
Text cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) get a
leading apostrophe; numbers such as -3 are left alone.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterable

from .csv_input import InputError

KIND_COLUMNS = {"contributor": "contributors", "primary_indicator": "primary_indicators", "mimic": "mimics",
                "data_gap": "data_gaps", "alert": "alerts"}
COLUMNS = ("row", "respondent_id", "status", "errors", "warnings", *KIND_COLUMNS.values())
_NO_KINDS = [""] * len(KIND_COLUMNS)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(text: str) -> str:
    """Escape a text cell against spreadsheet formula injection (numbers stay numbers)."""
    if text and text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def problems_text(problems: Iterable[dict[str, str]]) -> str:
    return "; ".join(f"{p['field']}: {p['message']}" for p in problems)


class CsvRows:
    """Formats output rows into CSV text, one chunk at a time."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def add(self, row: int, respondent_id: str, status: str, errors: str, warnings: str,
            kinds: list[str] | None = None) -> None:
        """One row; `kinds` holds the five kind cells (codes joined by "; ") in KIND_COLUMNS order."""
        self._writer.writerow([row, safe_cell(respondent_id), status, safe_cell(errors), safe_cell(warnings),
                               *(kinds or _NO_KINDS)])

    def take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def header_line() -> str:
    return ",".join(COLUMNS) + "\n"


class OutputError(InputError):
    """The output cannot be written (a missing folder, no permission, a full disk)."""


class AtomicOutput:
    """Text output to stdout ('-' or None), or to a temporary file renamed into place on commit.

    An interrupted or failed run removes the temporary file: the final name either holds a
    complete output or is left as it was. A symbolic link is followed (the file it points to is
    replaced); a target that is not a regular file (a device such as /dev/null, a named pipe) is
    written to directly, since it cannot be replaced. Raises OutputError when writing fails.
    """

    def __init__(self, path: str | None):
        self.name = "stdout" if path in (None, "-") else str(path)
        self.path = None if path in (None, "-") else Path(path)  # type: ignore[arg-type]
        self.temp: Path | None = None
        try:
            if self.path is None:
                self.handle: IO[str] = sys.stdout
            elif self.path.exists() and not stat.S_ISREG(self.path.stat().st_mode):
                self.handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed on commit)
            else:
                self.path = Path(os.path.realpath(self.path))
                fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)
                self.temp = Path(name)
                self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise self._error(exc) from None

    def _error(self, exc: OSError) -> OutputError:
        return OutputError(f"{self.name}: cannot write: {exc.strerror or exc}")

    def write(self, text: str) -> None:
        try:
            self.handle.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from None

    def commit(self) -> None:
        try:
            self.handle.flush()
            if self.path is None:
                return
            if self.temp is not None:
                os.fsync(self.handle.fileno())
            self.handle.close()
            if self.temp is not None:
                os.replace(self.temp, self.path)
                self.temp = None
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from None

    def discard(self) -> None:
        """Give up: close the output and remove the temporary file (errors closing it are moot now)."""
        if self.path is None:
            return
        try:
            self.handle.close()
        except OSError:
            pass
        finally:
            if self.temp is not None:
                self.temp.unlink(missing_ok=True)
                self.temp = None
