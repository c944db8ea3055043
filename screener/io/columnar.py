"""The columnar batch backend: a chunk of CSV rows scored column by column, in a worker process.

The same workers, chunks, retries and atomic output as the row-by-row engines (`batch`,
`workers`); only the worker's handler differs. A chunk is read into a frame of text columns
(polars' CSV reader, when every quoted cell is whole on its line; Python's csv module for a
chunk with a quoted line break, a lone CR or a ragged line), validated by column
(`core.columnar_intake`), its medications
matched by column (`core.columnar_lexicon`), every rule evaluated as one boolean column
(`core.columnar_rules`), and the output rows formatted by column, byte for byte as the
row-by-row path writes them. Blank lines are counted, ragged rows are invalid with their
reason, exactly as `scorer.read_rows` treats them.

What the columnar path does not cover is scored by the row-by-row durable-rules path (the
same bytes), and counted (`Tally.per_row`): JSON Lines and Parquet inputs, mapping files with
checkboxes or several columns for one field, and chunks of one record (the record-by-record
retry after a worker died, where the fixed cost of a columnar pass per row would be wasted).
JSON Lines output (full reports) is built row by row from the rules fired by column and the
row's validated values, never validating again. polars is imported here and only here in
`screener.io`, in the worker process (never by the parent: forking a process that runs polars
threads can deadlock the child, so a parent that has loaded polars starts its workers from a fork server).
"""

from __future__ import annotations

import csv
import gc
import io
import os
import re
from dataclasses import replace
from typing import Any

from .batch_output import KIND_COLUMNS, NEEDS_CARE, text_cell
from .csv_input import FIELD_LIMIT, Chunk
from .mapping import MISSING
from .scorer import ChunkScorer, Row, Settings, Tally, _ragged_row, _TestFault


_RULE = "rule:"      # fired flags are the columns "rule:IRON-001", ...
_ROW_NUMBER = "__row"
_BLANK = r"^[\s\x1c-\x1f]*$"  # what str.strip() removes: Unicode white space and the separators \x1c-\x1f
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


class ColumnarScorer:
    """Scores chunks by column in a worker process (one per input; not thread-safe)."""

    def __init__(self, settings: Settings):
        os.environ.setdefault("POLARS_MAX_THREADS", "1")  # one thread per worker process: workers use the cores
        import polars as pl

        from ..core.columnar_intake import ColumnValidator
        from ..core.columnar_lexicon import LIST_FIELD, ColumnLexicon
        from ..core.columnar_rules import compile_rules, first_codes, item_bits
        from ..core.rulebook import default_rulebook

        gc.set_threshold(50_000, 20, 100)
        csv.field_size_limit(FIELD_LIMIT)
        self.pl = pl
        self.settings = settings
        self.fault = _TestFault.from_environment()
        self._well_quoted: re.Pattern[str] | None = None
        plan = settings.plan
        self.fallback: ChunkScorer | None = None
        mapping = settings.mapping if plan is None else plan.mapping
        recode = None
        if mapping is not None and mapping.recodes:
            def recode(name: str, text: str) -> str | None:
                answer = mapping.recode(name, text)
                return None if answer is MISSING else answer
        self.validator = ColumnValidator(recode)
        self.covered = settings.input_format == "csv" and plan is not None and not plan.duplicates \
            and not plan.checkboxes and self.validator.usable
        if not self.covered:
            return
        self.plan = plan
        self.screener: Any = None
        self.rulebook = rulebook = default_rulebook()
        self.stamp = rulebook.stamp
        self.bits = item_bits(rulebook.lexicon.classes)
        self.lexicon = ColumnLexicon(rulebook.lexicon, self.bits, self.validator.outcome)
        self.list_field = LIST_FIELD
        ordered = sorted(rulebook.rules, key=lambda rule: rule.id)
        self.rules = compile_rules([(_RULE + rule.id, rule.condition) for rule in ordered],
                                   {"medication_classes": self.bits})
        self.kinds = [first_codes([(rule.id, rule.code) for rule in ordered if rule.kind == kind], _RULE).alias(column)
                      for kind, column in KIND_COLUMNS.items()]
        self.rule_columns = [_RULE + rule.id for rule in ordered]
        ranks = {kind: i for i, kind in enumerate(KIND_COLUMNS)}
        self.kind_rank = {rule.code: ranks[rule.kind] for rule in ordered}
        self.codes: dict[str, list[str]] = {rule.code: [] for rule in ordered}
        for rule in ordered:
            self.codes[rule.code].append(_RULE + rule.id)
        self.codes_need_care = any(_needs_care(code) for code in self.codes)

    def __call__(self, chunk: Chunk) -> tuple[str, Tally]:
        if self.fault:
            for row in range(chunk.start_row, chunk.start_row + chunk.count):
                self.fault.trip(row)
        if not self.covered or chunk.count == 1:  # one record: a retry after a worker failure, or a tiny file
            text, tally = self.durable(chunk)
            if not self.covered:  # an input the columnar engine does not read: said in a note
                tally.per_row += tally.rows
            return text, tally
        text, tally = self.score(chunk)
        if chunk.verify:
            self.verify(chunk, text, tally)
        return text, tally

    def durable(self, chunk: Chunk) -> tuple[str, Tally]:
        """The chunk scored row by row with durable-rules (built on first use)."""
        if self.fallback is None:
            self.fallback = ChunkScorer(replace(self.settings, engine="durable"))
        return self.fallback(chunk)

    def verify(self, chunk: Chunk, text: str, tally: Tally) -> None:
        """--verify-sample: score `chunk.verify` random records again with durable-rules; the row
        numbers whose output differs go into `tally.differed` (never their answers)."""
        import random

        from .csv_input import split_lines
        from .scorer import split_records

        records = split_lines(chunk.text) if '"' not in chunk.text else [part.text for part in
                                                                         split_records(self.settings, chunk)]
        written = "\n" + text
        for i in sorted(random.Random(chunk.start_row).sample(range(len(records)), min(chunk.verify, len(records)))):
            expected = self.durable(Chunk(chunk.start_row + i, 1, records[i]))[0]
            tally.verified += 1
            if expected and ("\n" + expected) not in written:  # a blank line has no output row in either
                tally.differed.append(chunk.start_row + i)

    # -- reading ------------------------------------------------------------------------------

    def cells(self, chunk: Chunk) -> tuple[Any, list[Row], int]:
        """(frame of the chunk's answer texts by field with its row numbers, ragged rows, blank lines)."""
        pl = self.pl
        width, delimiter = self.plan.width, self.settings.delimiter
        text = chunk.text
        if "\r" in text and text.count("\r") == text.count("\r\n"):
            text = text.replace("\r\n", "\n")  # a CRLF within a quoted cell fails the quote check below
        names = [f"c{i}" for i in range(width)]
        frame = None
        lines = text.count("\n") + (not text.endswith("\n"))
        quoted = '"' in text
        # Text without a lone CR, each quoted cell whole on its line and quoted as a whole, with the
        # header's number of delimiters (outside quotes) in all: polars reads it as the csv module
        # does, and refuses a line with too many cells, so no line has too few either.
        lone_cr = "\r" in text
        inside = self._quoted_delimiters(text) if quoted and not lone_cr else 0
        if inside is not None and not lone_cr and lines == chunk.count \
                and text.count(delimiter) - inside == (width - 1) * lines:
            # The last line gets its line break: without one, polars drops a trailing empty cell.
            whole = text if text.endswith("\n") else text + "\n"
            try:
                frame = pl.read_csv(whole.encode(), has_header=False, new_columns=names, separator=delimiter,
                                    quote_char='"' if quoted else None, schema={name: pl.String for name in names})
            except pl.exceptions.PolarsError:  # a line with too many cells: the csv module reads the chunk
                frame = None
        if frame is not None and frame.height == chunk.count:
            frame = frame.with_columns(pl.int_range(chunk.start_row, chunk.start_row + frame.height,
                                                    dtype=pl.Int64).alias(_ROW_NUMBER))
            ragged: list[Row] = []
        else:
            frame, ragged = self._parsed(chunk, names)
        first = pl.col(names[0])
        maybe_blank = first.is_null() | first.str.contains(_BLANK)
        candidates = frame.filter(maybe_blank)
        blanks = 0
        if candidates.height:
            blank = maybe_blank & pl.all_horizontal(pl.col(n).is_null() | pl.col(n).str.contains(_BLANK) for n in names)
            blanks = candidates.filter(blank).height
            if blanks:
                frame = frame.filter(~blank)
        fields = frame.select(pl.col(_ROW_NUMBER), *(pl.col(f"c{column}").alias(name) for column, name in self.plan.fields))
        return fields, ragged, blanks

    def _quoted_delimiters(self, text: str) -> int | None:
        """The delimiters inside quoted cells, when every line with a quote is a row of plain and
        wholly quoted cells (a cell such as "a, b" with any inner quote doubled); None otherwise (the
        csv module reads it)."""
        if self._well_quoted is None:
            d = re.escape(self.settings.delimiter)
            cell = f'(?:[^"{d}]*|"(?:[^"]|"")*")'
            self._well_quoted = re.compile(f"{cell}(?:{d}{cell})*")
        inside = 0
        for line in text.split("\n"):
            if '"' in line:
                if not self._well_quoted.fullmatch(line):
                    return None
                inside += line.count(self.settings.delimiter) - _QUOTED.sub("", line).count(self.settings.delimiter)
        return inside

    def _parsed(self, chunk: Chunk, names: list[str]) -> tuple[Any, list[Row]]:
        """The chunk read by Python's csv module, as `scorer.read_rows` reads it (the rare chunk)."""
        pl = self.pl
        plan = self.plan
        rows: list[list[str | None]] = []
        numbers: list[int] = []
        ragged: list[Row] = []
        reader = csv.reader(io.StringIO(chunk.text, newline=""), delimiter=self.settings.delimiter)
        for i, cells in enumerate(reader):
            row = chunk.start_row + i
            if not any(cell.strip() for cell in cells):
                rows.append([None] * plan.width)  # a blank line: counted with the others
            elif len(cells) != plan.width:
                ragged.append(_ragged_row(plan, row, cells))
                continue
            else:
                rows.append([cell or None for cell in cells])
            numbers.append(row)
        frame = pl.DataFrame(rows, schema={name: pl.String for name in names}, orient="row")
        return frame.with_columns(pl.Series(_ROW_NUMBER, numbers, pl.Int64)), ragged

    # -- scoring ------------------------------------------------------------------------------

    def score(self, chunk: Chunk) -> tuple[str, Tally]:
        pl = self.pl
        from ..core.columnar_intake import ERRORS, WARNINGS

        fields, ragged, blanks = self.cells(chunk)
        tally = Tally(blank=blanks)
        reports = self.settings.output == "jsonl"
        checked = self.validator.validate(fields, unknown=reports, problems=reports)
        meds = fields[self.list_field] if self.list_field in fields.columns else \
            pl.Series(self.list_field, [None] * fields.height, pl.String)
        facts = pl.concat([checked, self.lexicon.facts(meds)], how="horizontal")
        fired = facts.lazy().select(*self.rules).collect()
        ok = checked[ERRORS] == ""
        respondent = checked["respondent_id"].fill_null(fields[_ROW_NUMBER].cast(pl.String)) \
            if "respondent_id" in checked.columns else fields[_ROW_NUMBER].cast(pl.String)
        if reports:
            return self._reports(fields, checked, fired, respondent, meds, ragged, tally), tally
        kinds = fired.select(self.kinds)
        if self.codes_need_care:
            kinds = kinds.select(self._careful(kinds[name]) for name in kinds.columns)
        out = pl.DataFrame({
            _ROW_NUMBER: fields[_ROW_NUMBER], "respondent_id": self._careful(respondent),
            "status": pl.select(pl.when(ok).then(pl.lit("ok")).otherwise(pl.lit("invalid"))).to_series(),
            "errors": self._careful(checked[ERRORS]),
            "warnings": self._careful(pl.select(pl.when(ok).then(checked[WARNINGS]).otherwise(pl.lit(""))).to_series()),
        }).with_columns(pl.when(ok).then(kinds[name]).otherwise(pl.lit("")).alias(name) for name in kinds.columns)
        lines = out.select(_ROW_NUMBER, pl.concat_str(pl.col(_ROW_NUMBER).cast(pl.String), pl.exclude(_ROW_NUMBER),
                                                      separator=",").alias("line"))
        tally.rows = out.height + len(ragged)
        tally.ok = int(ok.sum())
        tally.invalid = out.height - tally.ok + len(ragged)
        tally.warned = int((ok & (checked[WARNINGS] != "")).sum())
        tally.findings.update(self._findings(fired.filter(ok)))
        return self._text(lines, ragged), tally

    def _reports(self, fields: Any, checked: Any, fired: Any, respondent: Any, meds: Any, ragged: list[Row],
                 tally: Tally) -> str:
        """JSON Lines: one full report per row, built from the rules fired by column and the row's
        validated values (the Intake is assembled, not validated again; its facts are derived from it)."""
        from ..core.columnar_intake import DERIVED_BMI, ERRORS, UNKNOWN, WARNINGS, decoded
        from ..core.facts import build_facts
        from ..core.intake import FIELDS, Intake
        from ..core.models import Report
        from ..core.screening import Screener

        if self.screener is None:
            self.screener = Screener(self.rulebook, "reference")  # its engine is not used here
        names = [name for name, spec in FIELDS.items() if spec.kind != "list"]
        rule_ids = [column[len(_RULE):] for column in fired.columns]
        lines = []
        values = checked.select(*names, ERRORS, WARNINGS, UNKNOWN, DERIVED_BMI).iter_rows(named=True)
        for row, rid, given, hits, cell in zip(fields[_ROW_NUMBER], respondent, values, fired.iter_rows(), meds):
            if given[ERRORS]:
                report = Report(respondent_id=rid, row=row, status="invalid", errors=decoded(given[ERRORS]),
                                rulebook=self.stamp)
                tally.invalid += 1
            else:
                answers = {name: given[name] for name in names if given[name] is not None}
                if given[DERIVED_BMI]:  # the intake holds the answers; the facts derive BMI again
                    del answers["bmi"]
                listed = self.validator.outcome(self.list_field, cell)[0] if cell is not None else None
                if listed is not None:
                    answers[self.list_field] = list(listed)
                intake = Intake.model_construct(**answers, unknown_fields=frozenset(filter(None, given[UNKNOWN].split(","))))
                warnings = decoded(given[WARNINGS])
                report = self.screener.report(intake, build_facts(intake, self.rulebook.lexicon),
                                              {rule_id for rule_id, hit in zip(rule_ids, hits) if hit},
                                              {"row": row, "respondent_id": rid, "warnings": warnings})
                tally.ok += 1
                tally.warned += bool(warnings)
                tally.findings.update({finding.code for finding in report.findings})
            lines.append((row, report.to_json(indent=False) + "\n"))
        for bad in ragged:
            report = Report(respondent_id=bad.respondent_id, row=bad.row, status="invalid",
                            errors=[{"field": f, "message": m} for f, m in bad.problems], rulebook=self.stamp)
            lines.append((bad.row, report.to_json(indent=False) + "\n"))
        tally.rows = fields.height + len(ragged)
        tally.invalid += len(ragged)
        return "".join(line for _, line in sorted(lines, key=lambda item: item[0]))

    def _findings(self, fired: Any) -> dict[str, int]:
        """Rows per finding code, in the order the row-by-row path first meets them (row by row, kind
        by kind, code by code), so that ties in the summary come out in the same order."""
        pl = self.pl
        found = fired.select(pl.any_horizontal(columns).alias(code) for code, columns in self.codes.items())
        counts = found.sum().row(0, named=True)
        firsts = found.select(pl.all().arg_max()).row(0, named=True)
        order = []
        for code, count in counts.items():
            if count:
                row = fired.row(firsts[code], named=True)
                first_rule = min(i for i, column in enumerate(self.rule_columns) if column in self.codes[code] and row[column])
                order.append(((firsts[code], self.kind_rank[code], first_rule), code))
        return {code: counts[code] for _, code in sorted(order)}

    def _careful(self, column: Any) -> Any:
        """A text column as `text_cell` writes each cell (most cells need nothing)."""
        pl = self.pl
        care = column.str.contains(NEEDS_CARE).fill_null(False)
        texts = column.filter(care).unique().to_list()
        if not texts:
            return column
        return pl.select(pl.when(care).then(column.replace_strict(texts, [text_cell(t) for t in texts], default=None))
                         .otherwise(column)).to_series().alias(column.name)

    def _text(self, lines: Any, ragged: list[Row]) -> str:
        """The output lines in row order: the scored rows, and the ragged rows in their places."""
        body = lines["line"].to_list()
        if not ragged:
            return "\n".join(body) + "\n" if body else ""
        from .batch_output import CsvRows, problems_text

        extra = CsvRows()
        placed = []
        for row in ragged:
            extra.add(row.row, row.respondent_id, "invalid", problems_text([{"field": f, "message": m}
                                                                             for f, m in row.problems]), "")
            placed.append((row.row, extra.take()))
        merged = sorted([*zip(lines[_ROW_NUMBER].to_list(), (line + "\n" for line in body)), *placed])
        return "".join(line for _, line in merged)


def _needs_care(text: str) -> bool:
    return text_cell(text) != text



