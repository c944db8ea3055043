"""Headers and values of other people's files, mapped onto the canonical intake fields.

Without a mapping file, a header matches a field when both agree ignoring case, spaces and
punctuation ("Ferritin NG/mL" matches `ferritin_ng_ml`). A mapping file (YAML) adds:

    columns:            # header -> field id (headers are matched the same forgiving way)
      Record ID: respondent_id
      Ferritin (ng/mL): ferritin_ng_ml
    missing: [-999, NA, UNK]      # cells that mean "not answered" (only these: no default list)
    unknown: [-888]               # cells that mean "answered: don't know"
    values:             # per field: the file's answer -> the canonical answer
      sex: {1: female, 2: male, 3: other}
    checkboxes:         # REDCap checkbox exports: meds___1, meds___2, ... = 1 (ticked) or 0
      meds:
        field: medications
        codes: {1: sertraline, 2: ferrous sulfate}
    decimal_comma: true # number cells such as 12,5 mean 12.5 (European exports)

Every value in the file is read as text (`No`, `Off`, `01` stay as written; YAML would
otherwise turn them into false and 1), because it is compared with the text of a cell.
Codes apply to CSV cells and to JSON Lines answers alike (a JSON number -999 is the code -999).

`ColumnPlan` is what a worker needs to turn one row of cells into answers; it is plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .intake import FIELDS, UNKNOWN, clean_value

_PUNCT = re.compile(r"[^0-9a-z]+")
_CHECKBOX = re.compile(r"^(.+?)___(.+)$")
_DECIMAL_COMMA = re.compile(r"^(\s*[+-]?\d*),(\d)")
_NUMBER_FIELDS = frozenset(name for name, spec in FIELDS.items() if spec.kind in ("number", "integer"))
SECTIONS = ("columns", "missing", "unknown", "values", "checkboxes", "decimal_comma")
TICKED, UNTICKED = frozenset({"1", "checked", "yes"}), frozenset({"0", "unchecked", "no"})


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the entry."""


def normalise(header: str) -> str:
    """The form headers are compared in: lower case, letters and digits only."""
    return _PUNCT.sub("", header.lower())


_CANONICAL = {normalise(name): name for name in FIELDS}


@dataclass(frozen=True)
class Checkbox:
    field: str
    codes: dict[str, str]


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)      # normalised header -> field
    missing: frozenset[str] = frozenset()                      # lower-cased cell texts
    unknown: frozenset[str] = frozenset()
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> lower-cased answer -> answer
    checkboxes: dict[str, Checkbox] = field(default_factory=dict)  # normalised prefix -> checkbox
    decimal_comma: bool = False

    @property
    def recodes(self) -> bool:
        """Whether `recode` can change an answer at all (if not, answers pass as they are)."""
        return bool(self.missing or self.unknown or self.values or self.decimal_comma)

    def recode(self, name: str, answer: Any) -> Any:
        """One answer through the codes: MISSING for a missing code, "unknown" for an unknown
        code, the canonical answer for a value label, a decimal point for a decimal comma."""
        if isinstance(answer, str):
            token = answer.strip().lower()
        elif isinstance(answer, (int, float)) and not isinstance(answer, bool):  # JSON numbers: -999, 1
            token = str(int(answer)) if isinstance(answer, float) and answer.is_integer() else str(answer)
        else:
            return answer
        if token in self.missing:
            return MISSING
        if token in self.unknown:
            return "unknown"
        labels = self.values.get(name)
        if labels is not None and token in labels:
            return labels[token]
        if self.decimal_comma and isinstance(answer, str) and name in _NUMBER_FIELDS:
            return _DECIMAL_COMMA.sub(r"\1.\2", answer, count=1)
        return answer


MISSING = object()  # `Mapping.recode`: the answer is a missing-data code (not answered)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raises MappingError with a plain message."""
    import yaml

    name = str(path)
    try:
        # BaseLoader: every scalar stays the text it is (no Yes/No/Off -> bool, no 01 -> 1)
        data = yaml.load(Path(path).read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)  # noqa: S506
    except OSError as exc:
        raise MappingError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"{name}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None or data == "":
        data = {}
    if not isinstance(data, dict):
        raise MappingError(f"{name}: expected a mapping with {', '.join(SECTIONS)}")
    extra = set(data) - set(SECTIONS)
    if extra:
        raise MappingError(f"{name}: unknown section(s) {sorted(extra)}; expected {', '.join(SECTIONS)}")

    def field_id(value: Any, where: str) -> str:
        if value not in FIELDS:
            raise MappingError(f"{name}: {where}: {value!r} is not an intake field")
        return str(value)

    def table(value: Any, where: str) -> dict[Any, Any]:
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise MappingError(f"{name}: {where} must be a mapping")
        return value

    def tokens(value: Any, where: str) -> frozenset[str]:
        if value is None or value == "":
            return frozenset()
        if not isinstance(value, list):
            raise MappingError(f"{name}: {where} must be a list")
        return frozenset(str(token).strip().lower() for token in value)

    columns = {normalise(str(header)): field_id(target, f"columns: {header}")
               for header, target in table(data.get("columns"), "columns").items()}
    values: dict[str, dict[str, str]] = {}
    for target, answers in table(data.get("values"), "values").items():
        values[field_id(target, "values")] = {
            str(label).strip().lower(): str(answer) for label, answer in table(answers, f"values: {target}").items()}
    checkboxes = {}
    for prefix, spec in table(data.get("checkboxes"), "checkboxes").items():
        spec = table(spec, f"checkboxes: {prefix}")
        target = field_id(spec.get("field", "medications"), f"checkboxes: {prefix}: field")
        if FIELDS[target].kind != "list":
            raise MappingError(f"{name}: checkboxes: {prefix}: {target} is not a list field")
        codes = {str(code).strip().lower(): str(label) for code, label in table(spec.get("codes"), f"checkboxes: {prefix}: codes").items()}
        if not codes:
            raise MappingError(f"{name}: checkboxes: {prefix}: give the codes, e.g. codes: {{1: sertraline}}")
        bad = [label for label in codes.values() if re.search(r"[;,\n]", label)]
        if bad:
            raise MappingError(f"{name}: checkboxes: {prefix}: a label may not contain ';' or ',': {bad[0]!r}")
        checkboxes[normalise(str(prefix))] = Checkbox(target, codes)
    decimal_comma = str(data.get("decimal_comma", "false")).strip().lower()
    if decimal_comma not in ("true", "false", "yes", "no"):
        raise MappingError(f"{name}: decimal_comma must be true or false")
    return Mapping(columns, tokens(data.get("missing"), "missing"), tokens(data.get("unknown"), "unknown"),
                   values, checkboxes, decimal_comma in ("true", "yes"))


@dataclass(frozen=True)
class ColumnPlan:
    """How the columns of one file become answers (plain data, sent once to each worker)."""

    width: int
    fields: tuple[tuple[int, str], ...]               # (column, field) for plain columns
    checkboxes: tuple[tuple[int, str, str, str], ...]  # (column, header, field, label)
    duplicates: dict[str, tuple[int, ...]]            # field -> columns, when given by several
    mapping: Mapping
    unmapped: tuple[str, ...]                          # headers that map to nothing

    @property
    def matched(self) -> int:
        return len(self.fields) + len(self.checkboxes)

    def answers(self, cells: list[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Cells of one row -> (answers by field id, problems as (field, reason)).

        A blank cell (or a mapped missing code) is "not answered" and left out; a cell of spaces
        only is cleaned to "not answered" by the Intake model.
        """
        mapping = self.mapping
        recodes = mapping.recodes
        if not (recodes or self.duplicates or self.checkboxes):
            return {name: cells[column] for column, name in self.fields if cells[column]}, []
        answers: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for column, name in self.fields:
            cell = cells[column]
            if not cell or cell.isspace():
                continue
            if recodes:
                cell = mapping.recode(name, cell)
                if cell is MISSING:
                    continue
            if name in answers:
                if not same_answer(name, cell, answers[name]):
                    columns = ", ".join(str(c + 1) for c in self.duplicates[name])
                    problems.append((name, f"given in several columns ({columns}) with different answers"))
                continue
            answers[name] = cell
        if self.checkboxes:
            self._tick(cells, answers, problems)
        return answers, problems

    def _tick(self, cells: list[str], answers: dict[str, Any], problems: list[tuple[str, str]]) -> None:
        """Ticked boxes become list items, added to the field's own column if there is one.

        All boxes unticked (0) with nothing else given is "not answered": an export cannot tell
        "none of these" from a skipped question. Ticked boxes are kept even when the field's own
        column says "unknown" (the ticked medications are known).
        """
        ticked: dict[str, list[str]] = {}
        for column, header, name, label in self.checkboxes:
            token = cells[column].strip().lower()
            if not token or token in self.mapping.missing:
                continue
            if token in TICKED:
                ticked.setdefault(name, []).append(label)
            elif token in UNTICKED:
                ticked.setdefault(name, [])
            else:
                problems.append((name, f"checkbox column {header!r} holds something other than 1 or 0"))
        for name, labels in ticked.items():
            given = answers.get(name)
            if given is not None and str(given).strip().lower() in UNKNOWN:
                if labels:
                    answers[name] = "; ".join(labels)
                continue
            answers[name] = "; ".join([*labels, given] if given else labels)


def same_answer(name: str, first: Any, second: Any) -> bool:
    """Whether two answers to one field agree: the same text (ignoring case and spaces), or the
    same value once cleaned ("10" and "10.0", "yes" and "1")."""
    if str(first).strip().lower() == str(second).strip().lower():
        return True
    spec = FIELDS.get(name)
    if spec is None:
        return False
    try:
        return clean_value(spec, first) == clean_value(spec, second)
    except ValueError:
        return False


def suggest(header: str) -> str | None:
    """The intake field an unmatched header probably means ("Age" -> age_years), if one stands out."""
    import difflib

    key = normalise(header)
    if len(key) < 3:
        return None
    starts = [name for norm, name in _CANONICAL.items() if norm.startswith(key)]
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(key, list(_CANONICAL), n=1, cutoff=0.75)
    return _CANONICAL[close[0]] if close else None


def field_for(header: str, mapping: Mapping | None) -> str | None:
    """The field a header (or JSON key) stands for: through the mapping, then by name."""
    key = normalise(header)
    return (mapping.columns.get(key) if mapping else None) or _CANONICAL.get(key)


def plan_columns(headers: list[str], mapping: Mapping | None = None) -> ColumnPlan:
    """Match each header to a field (or a checkbox) through the mapping, then by name."""
    mapping = mapping or Mapping()
    fields: list[tuple[int, str]] = []
    checkboxes: list[tuple[int, str, str, str]] = []
    unmapped: list[str] = []
    by_field: dict[str, list[int]] = {}
    for column, header in enumerate(headers):
        target = field_for(header, mapping)
        if target:
            fields.append((column, target))
            by_field.setdefault(target, []).append(column)
            continue
        box = _CHECKBOX.match(header.strip())
        spec = mapping.checkboxes.get(normalise(box.group(1))) if box else None
        label = spec.codes.get(box.group(2).strip().lower()) if spec and box else None
        if spec and label:
            checkboxes.append((column, header, spec.field, label))
        else:
            unmapped.append(header)
    duplicates = {name: tuple(cols) for name, cols in by_field.items() if len(cols) > 1}
    return ColumnPlan(len(headers), tuple(fields), tuple(checkboxes), duplicates, mapping, tuple(unmapped))


def map_keys(answers: dict[str, Any], mapping: Mapping | None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """JSON Lines: rename keys the way headers are matched; unknown keys are kept (and reported per row).

    The codes of the mapping apply to text and number answers as they do to CSV cells.
    """
    mapping = mapping or Mapping()
    recodes = mapping.recodes
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in answers.items():
        name = field_for(key, mapping) or key
        if recodes:
            value = mapping.recode(name, value)
            if value is MISSING:
                continue
        if name in out:
            if not same_answer(name, out[name], value):
                problems.append((name, "given under several keys with different answers"))
            continue
        out[name] = value
    return out, problems
