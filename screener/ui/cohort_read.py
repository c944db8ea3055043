"""Reading the output of `screener batch` for the cohort report, one result at a time.

Either format of `batch` is read: JSON Lines (one full report per line, detected by its first
`{`) or the CSV (`row, respondent_id, status, errors, warnings` and one column of codes per
finding kind). The file is hashed (SHA-256) as it is read, so the hash in the run record names
exactly the bytes that were counted. Nothing is kept from one line to the next.

A line that is not a result of `batch` stops the reading with `ResultsError`, naming the line
and what is wrong, never its content.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

import orjson

from ..core.models import KIND_ORDER
from ..io.batch_output import COLUMNS, KIND_COLUMNS
from ..io.csv_input import FIELD_LIMIT

STATUSES = frozenset({"ok", "invalid", "error"})
KINDS = frozenset(KIND_ORDER)
BOM = b"\xef\xbb\xbf"
BUFFER = 1 << 20  # a report line is about 17 kB: a larger buffer reads lines 3-4 times faster
_STR = frozenset({str})
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # a finding code, as rulebook.yaml writes them
_PROBLEM_SPLIT = re.compile(r"; (?=[\w().\-]+: )")  # "field: reason; field: reason" (reasons may hold "; ")


class ResultsError(Exception):
    """The results cannot be read, or a line is not a result of `screener batch`."""


@dataclass(slots=True)
class Result:
    """One respondent's result: what the cohort report counts."""

    line: int
    row: int
    status: str
    errors: list[tuple[str, str]]  # (field, message), for rows not scored
    warnings: list[tuple[str, str]]
    codes: dict[str, str]  # finding code -> kind, each code once
    answers: dict[str, Any] | None  # the validated answers (JSON Lines only)
    stamp: tuple[str, str, str] | None  # tool version, rulebook version, rulebook SHA-256 (JSON Lines only)


class Results:
    """The results file: `format` ("jsonl" or "csv") is known once it is open; `sha256`,
    `size` and `lines` once it has been read to the end."""

    def __init__(self, path: str):
        self.name = "stdin" if path == "-" else Path(path).name
        self._label = "stdin" if path == "-" else path
        self._own = path != "-"  # stdin is left open
        try:
            self._handle: IO[bytes] = _stdin() if path == "-" else open(path, "rb", buffering=BUFFER)  # noqa: SIM115
        except OSError as exc:
            raise ResultsError(f"{self._label}: cannot read: {exc.strerror or type(exc).__name__}") from None
        self._digest = hashlib.sha256()
        self.size = self.lines = 0
        self._lines = self._raw_lines()
        self._first: list[bytes] = []  # lines read to tell the format, given again to the reader
        self._codes: set[str] = set()  # finding codes seen so far
        try:
            self.format = self._detect()
        except BaseException:
            self.close()
            raise

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def close(self) -> None:
        if self._own:
            self._handle.close()

    def __enter__(self) -> Results:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _detect(self) -> str:
        """JSON Lines when the first line that is not blank starts with "{", else CSV."""
        for line in self._lines:
            self._first.append(line)
            start = (line.removeprefix(BOM) if len(self._first) == 1 else line).lstrip()
            if start:
                return "jsonl" if start.startswith(b"{") else "csv"
        raise ResultsError(f"{self._label}: the file is empty; expected the output of `screener batch`")

    def _raw_lines(self) -> Iterator[bytes]:
        """The file's lines as bytes, hashed as they are read."""
        update = self._digest.update
        try:
            for line in self._handle:
                update(line)
                self.size += len(line)
                self.lines += 1
                yield line
        except OSError as exc:
            raise ResultsError(f"{self._label}: cannot read: {exc.strerror or exc}") from None

    def _all_lines(self) -> Iterator[bytes]:
        yield from self._first
        self._first = []
        yield from self._lines

    def _error(self, line: int, what: str) -> ResultsError:
        kind = "one report of `screener batch --format jsonl` per line" if self.format == "jsonl" else \
            "the CSV output of `screener batch`"
        return ResultsError(f"{self._label}: line {line}: {what}; expected {kind}")

    def __iter__(self) -> Iterator[Result]:
        return self._jsonl() if self.format == "jsonl" else self._csv()

    # -- JSON Lines -----------------------------------------------------------------------------

    def _jsonl(self) -> Iterator[Result]:
        for number, line in enumerate(self._all_lines(), 1):
            if number == 1:
                line = line.removeprefix(BOM)
            if len(line) < 4 and not line.strip():
                continue  # a blank line (a trailing line break, an editor's extra line)
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise self._error(number, f"not valid JSON ({exc.msg})") from None
            try:
                result = _from_report(data, number)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise self._error(number, _report_problem(data)) from None
            if not self._codes.issuperset(result.codes):
                self._check_codes(result)
            yield result

    def _check_codes(self, result: Result) -> None:
        for code in result.codes:
            if not _CODE.match(code):
                raise self._error(result.line, "a finding code is not lower-case letters, digits and _")
            self._codes.add(code)

    # -- CSV ------------------------------------------------------------------------------------

    def _csv(self) -> Iterator[Result]:
        limit = csv.field_size_limit(2 * FIELD_LIMIT)  # batch writes cells of up to FIELD_LIMIT characters
        try:
            yield from self._csv_rows()
        finally:
            csv.field_size_limit(limit)

    def _csv_rows(self) -> Iterator[Result]:
        reader = csv.reader(self._text_lines())
        try:
            header = next((cells for cells in reader if cells), None)
        except csv.Error as exc:
            raise self._error(1, f"not CSV ({exc})") from None
        if header is None or tuple(cell.strip() for cell in header) != COLUMNS:
            raise ResultsError(f"{self._label}: not the output of `screener batch`: expected JSON Lines reports, "
                               f"or CSV with the columns {', '.join(COLUMNS)}")
        kinds = list(KIND_COLUMNS)
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                raise self._error(reader.line_num, f"not CSV ({exc})") from None
            if cells is None:
                return
            number = reader.line_num
            if not any(cells):
                continue
            if len(cells) != len(COLUMNS):
                raise self._error(number, f"has {len(cells)} cells but the header has {len(COLUMNS)}")
            row, status = cells[0], cells[2]
            if not row.isdigit() or int(row) < 1:
                raise self._error(number, "its row is not a row number")
            if status not in STATUSES:
                raise self._error(number, "its status is not ok, invalid or error")
            codes = {code: kind for kind, cell in zip(kinds, cells[5:]) for code in cell.split("; ") if code}
            result = Result(number, int(row), status, _problems(cells[3]), _problems(cells[4]), codes, None, None)
            if not self._codes.issuperset(codes):
                self._check_codes(result)
            yield result

    def _text_lines(self) -> Iterator[str]:
        for number, line in enumerate(self._all_lines(), 1):
            try:
                yield line.removeprefix(BOM).decode() if number == 1 else line.decode()
            except UnicodeDecodeError:
                raise self._error(number, "not UTF-8 text") from None


def _stdin() -> IO[bytes]:
    """Standard input, with a large buffer when it is a file descriptor (the same one, left open)."""
    try:
        return open(sys.stdin.fileno(), "rb", buffering=BUFFER, closefd=False)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return sys.stdin.buffer


def _from_report(data: dict[str, Any], number: int) -> Result:
    """A result from one JSON report; KeyError, TypeError or ValueError when it is not one."""
    row, status = data["row"], data["status"]
    if type(row) is not int or row < 1 or status not in STATUSES:
        raise ValueError
    codes = {finding["code"]: finding["kind"] for finding in data["findings"]}
    if not KINDS.issuperset(codes.values()) or not _STR.issuperset(map(type, codes)):
        raise ValueError
    answers = data["answers"]
    if answers is not None and type(answers) is not dict or status == "ok" and answers is None:
        raise ValueError
    errors = [(problem["field"], problem["message"]) for problem in data["errors"]] if data["errors"] else []
    warnings = [(problem["field"], problem["message"]) for problem in data["warnings"]] if data["warnings"] else []
    rulebook = data["rulebook"]
    stamp = (str(data["tool"]["version"]), str(rulebook.get("version")), str(rulebook.get("sha256")))
    return Result(number, row, status, errors, warnings, codes, answers, stamp)


def _report_problem(data: Any) -> str:
    """What makes a JSON value not a batch report (the slow path, after the fast one failed)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    for key in ("row", "status", "findings", "errors", "warnings", "answers", "tool", "rulebook"):
        if key not in data:
            return f"has no '{key}'"
    if type(data["row"]) is not int or data["row"] < 1:
        return "its 'row' is not a row number"
    if data["status"] not in STATUSES:
        return "its 'status' is not ok, invalid or error"
    findings = data["findings"]
    if not isinstance(findings, list) or not all(
            isinstance(f, dict) and isinstance(f.get("code"), str) and f.get("kind") in KINDS for f in findings):
        return "its 'findings' are not findings with a code and a kind"
    if data["answers"] is None and data["status"] == "ok":
        return "a scored report without its answers (made by an older screener?)"
    if not isinstance(data["answers"], (dict, type(None))):
        return "its 'answers' are not an object"
    for key in ("errors", "warnings"):
        if not isinstance(data[key], list) or not all(isinstance(p, dict) and "field" in p and "message" in p
                                                      for p in data[key]):
            return f"its '{key}' are not a list of field and message"
    return "its 'tool' or 'rulebook' is not a version stamp"


def _problems(cell: str) -> list[tuple[str, str]]:
    """"field: reason; field: reason" from a CSV cell as (field, reason) pairs."""
    if not cell:
        return []
    out = []
    for part in _PROBLEM_SPLIT.split(cell):
        field, _, message = part.partition(": ")
        out.append((field, message) if message else ("(row)", part))
    return out
