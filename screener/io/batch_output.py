"""Batch output: the CSV columns of the contract, JSON Lines reports, safe cells, atomic files.

CSV columns: `row`, `respondent_id`, `status` (ok | invalid | error), `errors` and `warnings`
("field: reason" joined by "; "), then one column per finding kind holding codes joined by "; ".
Cells are quoted when they hold a comma, a quote, CR or LF, so no reader sees extra rows.
Text that a spreadsheet would run as a formula (a cell, or any line within a cell, starting
with = + - @ tab or CR, or their full-width forms) gets a leading apostrophe; numbers such as
-3 are left alone.
"""

from __future__ import annotations

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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width = + - @
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BREAK = re.compile(r"(\r\n|\r|\n)")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def safe_cell(text: str) -> str:
    """Escape a text cell against spreadsheet formula injection, at the start of each of its lines
    (numbers such as -3 stay numbers)."""
    if "\r" in text or "\n" in text:
        parts = _BREAK.split(text)  # lines at even positions, the breaks between them at odd ones
        text = "".join(_safe_line(part) if i % 2 == 0 else part for i, part in enumerate(parts))
        return "'" + text if text.startswith("\r") else text
    return _safe_line(text)


def _safe_line(text: str) -> str:
    if text and text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_line(cells: Iterable[object]) -> str:
    """One CSV line: cells quoted when they hold a comma, a quote, CR or LF (the csv module
    leaves a lone CR unquoted, and a reader then sees two rows)."""
    return ",".join(_quoted(str(cell)) for cell in cells) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def text_cell(text: str) -> str:
    """A text cell as it is written: escaped against formulas (`safe_cell`), then quoted if need be."""
    return _quoted(safe_cell(text))


# A text cell that `text_cell` may change: everything else is written as it is.
NEEDS_CARE = r'[,"\r\n]|^[=+\-@\t\uff1d\uff0b\uff0d\uff20]'


def problems_text(problems: Iterable[dict[str, str]]) -> str:
    return "; ".join(f"{p['field']}: {p['message']}" for p in problems)


class CsvRows:
    """Formats output rows into CSV text, one chunk at a time."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def add(self, row: int, respondent_id: str, status: str, errors: str, warnings: str,
            kinds: list[str] | None = None) -> None:
        """One row; `kinds` holds the five kind cells (codes joined by "; ") in KIND_COLUMNS order."""
        self._lines.append(",".join([str(row), text_cell(respondent_id), status, text_cell(errors), text_cell(warnings),
                                     *map(_quoted, kinds or _NO_KINDS)]) + "\n")

    def take(self) -> str:
        text = "".join(self._lines)
        self._lines.clear()
        return text


def _stat(path: str | Path) -> os.stat_result | None:
    """The file a path names (links followed), or None when there is none."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


_OWN_STREAMS = re.compile(r"^/(dev/(stdout|stderr|fd/\d+)|proc/self/fd/\d+)$")


def _stream(path: Path, target: os.stat_result | None) -> bool:
    """A device, a named pipe, or one of the process's own streams (/dev/stdout, /dev/fd/N,
    whatever they point to): written to in place, never replaced."""
    if target is not None and not stat.S_ISREG(target.st_mode):
        return True
    return target is not None and bool(_OWN_STREAMS.match(str(path)))


def _same(target: os.stat_result, path: str) -> bool:
    other = _stat(path)
    return other is not None and (other.st_dev, other.st_ino) == (target.st_dev, target.st_ino)


def header_line() -> str:
    return csv_line(COLUMNS)


class OutputError(InputError):
    """The output cannot be written (a missing folder, no permission, a full disk)."""


class AtomicOutput:
    """Text output to stdout ('-' or None), or to a temporary file renamed into place on commit.

    An interrupted or failed run removes the temporary file: the final name either holds a
    complete output or is left as it was. A target that is not a regular file (a device such
    as /dev/null, a named pipe, or /dev/stdout whatever it points to) is written to directly,
    since it cannot be replaced. Refused
    with OutputError before anything is written: a target that is one of the `protected` files
    (the input, by any path or hard link) and a symbolic link to a file (replacing it would
    break the link or write somewhere the name does not say). Raises OutputError when writing fails.
    """

    def __init__(self, path: str | None, protected: Iterable[str] = ()):
        self.name = "stdout" if path in (None, "-") else str(path)
        self.path = None if path in (None, "-") else Path(path)  # type: ignore[arg-type]
        self.temp: Path | None = None
        try:
            if self.path is None:
                self.handle: IO[str] = sys.stdout
                return
            target = _stat(self.path)
            if target is not None and any(_same(target, other) for other in protected):
                raise OutputError(f"{self.name}: this is the input file; write the output to another file")
            if self.path.is_symlink() and not _stream(self.path, target):
                raise OutputError(f"{self.name}: is a symbolic link; give the path of the file itself "
                                  "(screener does not write through links to files)")
            if _stream(self.path, target):
                self.handle = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115 (closed on commit)
            else:
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


def write_atomically(text: str, path: str | None, protected: Iterable[str] = ()) -> None:
    """All of `text` to `path` (or stdout) through an AtomicOutput: complete, or not there at all."""
    output = AtomicOutput(path, protected)
    try:
        output.write(text)
        output.commit()
    except BaseException:
        output.discard()
        raise
