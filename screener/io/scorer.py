"""Scoring chunks of whole records, in a worker process: read the rows again, map the columns
(`mapping`), validate every row with the Intake model's own rules (`cached_intake`), score the
valid ones with the worker's own `Screener`, and format the output rows. Invalid rows are kept,
with their errors; blank lines are counted, not output. Used by `batch` (local worker processes)
and by `cluster` (Dask workers) alike, so both give the same bytes.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..core.models import Report
from .batch_output import KIND_COLUMNS, CsvRows, problems_text
from .csv_input import FIELD_LIMIT, Chunk, csv_records, split_lines
from .mapping import ColumnPlan, Mapping, map_keys

CHUNK_ROWS = 2000
ROW = "(row)"  # the "field" of a problem with the row itself


@dataclass(frozen=True)
class Settings:
    """What a worker needs to read an input's chunks (plain data, sent with each task)."""

    input_format: str
    delimiter: str
    plan: ColumnPlan | None
    mapping: Mapping | None
    output: str
    engine: str


@dataclass
class Tally:
    rows: int = 0   # respondents: one output row each
    blank: int = 0  # blank lines: no respondent, no output row
    ok: int = 0
    invalid: int = 0
    error: int = 0
    warned: int = 0
    per_row: int = 0  # rows the columnar engine left to the row-by-row path (inputs it does not cover)
    verified: int = 0  # --verify-sample: records scored again with durable-rules
    differed: list[int] = field(default_factory=list)  # row numbers whose output durable-rules did not confirm
    findings: Counter = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.rows += other.rows
        self.blank += other.blank
        self.ok += other.ok
        self.invalid += other.invalid
        self.error += other.error
        self.warned += other.warned
        self.per_row += other.per_row
        self.verified += other.verified
        self.differed += other.differed
        self.findings.update(other.findings)

    def lines(self, top: int = 5) -> list[str]:
        out = [f"rows: {self.rows}, ok: {self.ok}, invalid: {self.invalid}, error: {self.error}, "
               f"with warnings: {self.warned}, blank lines skipped: {self.blank}"]
        if self.findings:
            common = ", ".join(f"{code} ({count})" for code, count in self.findings.most_common(top))
            out.append(f"most frequent findings: {common}")
        if self.verified:
            out.append(f"verified: {self.verified} sampled rows scored again with durable-rules, "
                       f"{len(self.differed)} differ")
        return out


@dataclass
class Row:
    row: int
    respondent_id: str
    answers: dict[str, Any] | None
    problems: list[tuple[str, str]]
    blank: bool = False  # a wholly blank line: not a respondent


def _blank(row: int) -> Row:
    return Row(row, str(row), None, [], blank=True)


# -- reading rows (workers, and the parent for rows that killed a worker) -------------------------

def read_rows(settings: Settings, chunk: Chunk) -> list[Row]:
    """The chunk's records as rows; a wholly blank line (or a record of empty cells) is marked blank."""
    if settings.input_format == "jsonl":
        return [_json_row(settings, chunk.start_row + i, line) for i, line in enumerate(split_lines(chunk.text))]
    plan = settings.plan
    assert plan is not None
    rows = []
    for i, cells in enumerate(csv.reader(io.StringIO(chunk.text, newline=""), delimiter=settings.delimiter)):
        row = chunk.start_row + i
        if not (cells and cells[0].strip()) and not any(cell.strip() for cell in cells):  # the first cell decides most
            rows.append(_blank(row))
        elif len(cells) != plan.width:
            rows.append(_ragged_row(plan, row, cells))
        else:
            answers, problems = plan.answers(cells)
            rows.append(Row(row, _respondent_id(answers) or str(row), answers, problems))
    return rows


def _ragged_row(plan: ColumnPlan, row: int, cells: list[str]) -> Row:
    """A row with too many or too few cells: invalid, with its respondent id when its column is there."""
    problem = f"has {len(cells)} cell{'s' if len(cells) != 1 else ''} but the header has {plan.width}"
    if any("\n" in cell or "\r" in cell for cell in cells):
        problem += "; a quoted cell holds a line break: is a quote misplaced?"
    fitted = (cells + [""] * plan.width)[: plan.width]
    return Row(row, _respondent_id(plan.answers(fitted)[0]) or str(row), None, [(ROW, problem)])


def _json_row(settings: Settings, row: int, line: str) -> Row:
    if not line.strip():
        return _blank(row)
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Row(row, str(row), None, [(ROW, f"not valid JSON ({str(exc).split(':')[0]})")])
    if not isinstance(data, dict):
        return Row(row, str(row), None, [(ROW, "expected a JSON object of field: answer pairs")])
    if "resourceType" in data:  # a FHIR QuestionnaireResponse (one per line, or from a Bundle)
        from ..core.questionnaire import default_questionnaire
        from .fhir_response import response_answers

        answers, problems = response_answers(data, default_questionnaire())
        return Row(row, _respondent_id(answers) or str(row), answers, problems)
    if not any(value is not None and str(value).strip() for value in data.values()):
        return _blank(row)  # {} or only empty answers: like a CSV row of empty cells, no respondent
    answers, problems = map_keys(data, settings.mapping)
    return Row(row, _respondent_id(answers) or str(row), answers, problems)


def _respondent_id(answers: dict[str, Any]) -> str | None:
    value = answers.get("respondent_id")
    text = str(value).strip() if value is not None and not isinstance(value, (dict, list)) else ""
    return text or None


def split_records(settings: Settings, chunk: Chunk) -> list[Chunk]:
    """One chunk per record, each its exact text (to retry a chunk record by record)."""
    lines = split_lines(chunk.text)
    records = [[line] for line in lines] if settings.input_format == "jsonl" else \
        csv_records(lines, settings.delimiter)
    return [Chunk(chunk.start_row + i, 1, "".join(record)) for i, record in enumerate(records)]


# -- formatting --------------------------------------------------------------------------------

class _Formatter:
    def __init__(self, output: str, stamp: dict[str, str]):
        self.output, self.stamp = output, stamp
        self.csv = CsvRows()
        self.lines: list[str] = []

    def failed(self, row: Row, status: str, problems: list[dict[str, str]]) -> None:
        if self.output == "csv":
            self.csv.add(row.row, row.respondent_id, status, problems_text(problems), "")
        else:
            report = Report(respondent_id=row.respondent_id, row=row.row, status=status,  # type: ignore[arg-type]
                            errors=problems, rulebook=self.stamp)
            self.lines.append(report.to_json(indent=False))

    def text(self) -> str:
        if self.output == "csv":
            return self.csv.take()
        text = "".join(line + "\n" for line in self.lines)
        self.lines.clear()
        return text


def error_output(settings: Settings, stamp: dict[str, str], chunk: Chunk, reason: str) -> tuple[str, Tally]:
    """Rows that could not be scored at all: status "error" with the reason."""
    formatter, tally = _Formatter(settings.output, stamp), Tally()
    for row in read_rows(settings, chunk):
        if row.blank:
            tally.blank += 1
            continue
        formatter.failed(row, "error", [{"field": ROW, "message": reason}])
        tally.rows += 1
        tally.error += 1
    return formatter.text(), tally


# -- the worker's handler --------------------------------------------------------------------

class ChunkScorer:
    """Scores chunks in a worker process: its own validator cache and its own engine.

    Building one tunes the process's garbage collector: scoring allocates millions of
    short-lived objects, and collecting cycles every 700 allocations (the default) spent about a
    fifth of a worker's time rescanning. (Not gc.freeze(): in a forked child it touches every
    inherited object and unshares its pages.)
    """

    def __init__(self, settings: Settings):
        from ..core.cached_intake import RowValidator
        from ..core.screening import Screener

        gc.set_threshold(50_000, 20, 100)
        csv.field_size_limit(FIELD_LIMIT)  # a spawned worker (Dask, Spark) has the default 128 KiB
        self.settings = settings
        self.screener = Screener(engine=settings.engine)  # type: ignore[arg-type]
        self.stamp = self.screener.rulebook.stamp
        self.validator = RowValidator()
        self.kinds = {rule.id: (rule.kind, rule.code) for rule in self.screener.rulebook.rules}
        self.order = {rule.id: i for i, rule in enumerate(sorted(self.screener.rulebook.rules, key=lambda r: r.id))}
        self.fault = _TestFault.from_environment()

    def __call__(self, chunk: Chunk) -> tuple[str, Tally]:
        formatter, tally = _Formatter(self.settings.output, self.stamp), Tally()
        entries: list[tuple[Row, Any, list[dict[str, str]]]] = []  # (row, intake or None, errors or warnings)
        for row in read_rows(self.settings, chunk):
            if self.fault:
                self.fault.trip(row.row)
            if row.blank:
                tally.blank += 1
                continue
            tally.rows += 1
            parsed = self.validator.parse(row.answers) if row.answers is not None else None
            errors = [{"field": f, "message": m} for f, m in row.problems]
            if parsed is not None:
                errors += [e.as_dict() for e in parsed.errors]
            if errors or parsed is None or parsed.intake is None:
                entries.append((row, None, errors))
                tally.invalid += 1
                continue
            warnings = [w.as_dict() for w in parsed.warnings]
            tally.ok += 1
            tally.warned += bool(warnings)
            entries.append((row, parsed.intake, warnings))
        intakes = [intake for _, intake, _ in entries if intake is not None]
        if self.settings.output == "csv":
            self._csv(entries, self.screener.fired(intakes) if intakes else [], formatter, tally)
        else:
            self._jsonl(entries, formatter, tally)
        return formatter.text(), tally

    def _csv(self, entries: list, fired: list, formatter: _Formatter, tally: Tally) -> None:
        results = iter(fired)
        for row, intake, notes in entries:
            if intake is None:
                formatter.failed(row, "invalid", notes)
                continue
            cells, found = self._codes(next(results)[1])
            tally.findings.update(found)
            formatter.csv.add(row.row, row.respondent_id, "ok", "", problems_text(notes), cells)

    def _codes(self, rule_ids: set[str]) -> tuple[list[str], tuple[str, ...]]:
        """The five kind cells (codes in rule order, joined by "; ") and the codes found."""
        codes: dict[str, list[str]] = {kind: [] for kind in KIND_COLUMNS}
        for rule_id in sorted(rule_ids, key=self.order.__getitem__):
            kind, code = self.kinds[rule_id]
            if code not in codes[kind]:
                codes[kind].append(code)
        return ["; ".join(found) for found in codes.values()], tuple(c for found in codes.values() for c in found)

    def _jsonl(self, entries: list, formatter: _Formatter, tally: Tally) -> None:
        scored = [(row, intake, notes) for row, intake, notes in entries if intake is not None]
        metas = [{"row": row.row, "respondent_id": row.respondent_id, "warnings": notes} for row, _, notes in scored]
        reports = iter(self.screener.screen_many([intake for _, intake, _ in scored], metas) if scored else [])
        for row, intake, notes in entries:
            if intake is None:
                formatter.failed(row, "invalid", notes)
                continue
            report = next(reports)
            tally.findings.update({f.code for f in report.findings})
            formatter.lines.append(report.to_json(indent=False))


Task = tuple[int, Settings, Chunk]  # (index of the input in the run, its settings, a chunk of it)


class Scorers:
    """A worker's scorers for a whole run, one per input (by its index), each built on first use."""

    def __init__(self) -> None:
        self.by_input: dict[int, Any] = {}

    def __call__(self, task: Task) -> tuple[str, Tally]:
        index, settings, chunk = task
        if index not in self.by_input:
            if settings.engine == "columnar":
                from .columnar import ColumnarScorer

                self.by_input[index] = ColumnarScorer(settings)  # type: ignore[assignment]
            else:
                self.by_input[index] = ChunkScorer(settings)
        return self.by_input[index](chunk)


def split_task(task: Task) -> list[Task]:
    """A task as one task per record (to retry it record by record)."""
    index, settings, chunk = task
    return [(index, settings, part) for part in split_records(settings, chunk)]


@dataclass
class _TestFault:
    """Test-only fault injection: make the worker die (or hang) on a chosen row.

    Off unless SCREENER_TEST_CRASH_ROW or SCREENER_TEST_HANG_ROW is set; with
    SCREENER_TEST_CRASH_ONCE=FILE the crash happens only while FILE does not exist yet;
    SCREENER_TEST_HANG_SECONDS sets how long the hang lasts (default 600), and
    SCREENER_TEST_HANG_MARK=FILE receives the hanging process's id when it starts.
    """

    crash_row: int | None
    hang_row: int | None
    once: str | None
    hang_seconds: float = 600.0
    hang_mark: str | None = None

    @classmethod
    def from_environment(cls) -> _TestFault | None:
        crash, hang = os.environ.get("SCREENER_TEST_CRASH_ROW"), os.environ.get("SCREENER_TEST_HANG_ROW")
        if not crash and not hang:
            return None
        return cls(int(crash) if crash else None, int(hang) if hang else None, os.environ.get("SCREENER_TEST_CRASH_ONCE"),
                   float(os.environ.get("SCREENER_TEST_HANG_SECONDS", 600)), os.environ.get("SCREENER_TEST_HANG_MARK"))

    def trip(self, row: int) -> None:
        if row == self.hang_row:
            if self.hang_mark:
                with open(self.hang_mark, "w") as mark:
                    mark.write(str(os.getpid()))
            time.sleep(self.hang_seconds)
        if row == self.crash_row:
            if self.once:
                if os.path.exists(self.once):
                    return
                open(self.once, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
