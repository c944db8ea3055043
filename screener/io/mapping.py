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
YAML anchors and aliases (&a, *a) are refused, and so are files over 1 MiB and deep nesting.

`ColumnPlan` is what a worker needs to turn one row of cells into answers; it is plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..core.intake import FIELDS, UNKNOWN, clean_value

_PUNCT = re.compile(r"[^0-9a-z]+")
_CHECKBOX = re.compile(r"^(.+?)___(.+)$")
_LABELLED = re.compile(r"^(.*\S)\s*\(choice=(.*)\)$")
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
    labelled: dict[str, Checkbox] = field(default_factory=dict)  # REDCap label export: "Label (choice=...)"
    ignore: tuple[re.Pattern[str], ...] = ()                     # headers left out without a note

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


MAX_BYTES = 1 << 20  # a mapping file is a few kilobytes of text
MAX_DEPTH = 8        # a correct file nests 4 deep: the document, checkboxes, meds, codes
ALIASES = "YAML anchors and aliases (&name, *name) are not allowed in a mapping file; write each value out"
_NO_KEY = object()   # a YAML mapping being read that waits for its next key


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raises MappingError with a plain message.

    Every message is `FILE: REASON` for the file as a whole (unreadable, too large, not YAML,
    anchors) and `FILE: mapping: SECTION: ...: REASON` for an entry in it.
    """
    try:
        return _sections(_read_yaml(path))
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from None


def _wrong(where: str, reason: str) -> MappingError:
    """The error for one entry: `mapping: WHERE: REASON` (load_mapping puts the file name first)."""
    return MappingError(f"mapping: {where}: {reason}" if where else f"mapping: {reason}")


def _at(where: str, key: str) -> str:
    """The place of `key` inside `where`, for messages (a long or odd key is shortened)."""
    part = key if len(key) <= 40 and key.isprintable() else _quote(key)
    return f"{where}: {part}" if where else part


def _quote(text: str) -> str:
    return repr(text[:40]) + ("..." if len(text) > 40 else "")


def _kind(value: Any) -> str:
    """A wrong value as a message shows it: "a list", "a mapping", "nothing" or the text itself."""
    kinds = {dict: "a mapping", list: "a list"}
    return kinds.get(type(value)) or ("nothing" if value is None or value == "" else _quote(str(value)))


def read_bounded(path: str | Path, limit: int, expected: str) -> bytes:
    """The bytes of a small file the run is configured by (a mapping, a data dictionary), refused
    when larger than `limit` (`expected` says what such a file is)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise MappingError(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise MappingError(f"larger than {limit >> 20} MiB; {expected}")
    return raw


def _read_yaml(path: str | Path) -> Any:
    """The file's single YAML document as dicts, lists and text; a bounded read and parse."""
    import yaml

    raw = read_bounded(path, MAX_BYTES, "a mapping file is a few kilobytes of text")
    try:
        # BaseLoader: every scalar stays the text it is (no Yes/No/Off -> bool, no 01 -> 1)
        return _plain(yaml.parse(raw.decode("utf-8-sig"), Loader=yaml.BaseLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"not valid YAML: {(str(exc).splitlines() or [type(exc).__name__])[0]}") from None


def _plain(events: Iterable[Any]) -> Any:
    """Dicts, lists and text from YAML parser events, as BaseLoader would build them.

    Anchors and aliases (the "billion laughs"), collections used as keys and nesting deeper
    than MAX_DEPTH are refused at the event that starts them, before anything is built.
    """
    import yaml

    root: Any = None
    documents = 0
    stack: list[list[Any]] = []  # open collections: [dict or list, place, a dict's pending key]
    for event in events:
        if getattr(event, "anchor", None) is not None:  # &name on a node, or an AliasEvent *name
            raise MappingError(ALIASES)
        if isinstance(event, yaml.DocumentStartEvent) and (documents := documents + 1) > 1:
            raise yaml.YAMLError("expected a single document in the stream")
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
        elif isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            node: Any = event.value if isinstance(event, yaml.ScalarEvent) else (
                {} if isinstance(event, yaml.MappingStartEvent) else [])
            where = ""
            if not stack:
                root = node
            elif isinstance(stack[-1][0], list):
                stack[-1][0].append(node)
                where = _at(stack[-1][1], f"item {len(stack[-1][0])}")
            elif stack[-1][2] is _NO_KEY:
                if not isinstance(node, str):
                    raise _wrong(stack[-1][1], f"keys must be text, got {_kind(node)} as a key")
                stack[-1][2] = node
            else:
                stack[-1][0][stack[-1][2]] = node
                where, stack[-1][2] = _at(stack[-1][1], stack[-1][2]), _NO_KEY
            if not isinstance(node, str):
                if len(stack) >= MAX_DEPTH:
                    raise _wrong(where, f"nested more than {MAX_DEPTH} levels deep")
                stack.append([node, where, _NO_KEY])
    return root


def _expect(value: Any, shape: type, where: str, what: str) -> Any:
    """`value` if it is a `shape` (str, list or dict; an empty entry is an empty list or dict)."""
    if shape is not str and (value is None or value == ""):
        return shape()
    if not isinstance(value, shape):
        raise _wrong(where, f"expected {what}, got {_kind(value)}")
    return value


def _only(table: dict[str, Any], keys: tuple[str, ...], where: str, what: str) -> dict[str, Any]:
    """A mapping whose keys are all among `keys` (sections, or the keys of a checkbox)."""
    extra = sorted(set(table) - set(keys))
    if extra:
        raise _wrong(where, f"unknown {what}(s) {extra}; expected {', '.join(keys)}")
    return table


def _field(value: Any, where: str) -> str:
    """An intake field id."""
    name = _expect(value, str, where, "a field id (text)")
    if name not in FIELDS:
        hint = suggest(name)
        raise _wrong(where, f"{name!r} is not an intake field" + (f" (did you mean {hint}?)" if hint else ""))
    return name


def _tokens(value: Any, where: str) -> frozenset[str]:
    """A list of cell texts, compared lower-cased."""
    items = _expect(value, list, where, "a list such as [NA, -999]")
    return frozenset(_expect(item, str, _at(where, f"item {i}"), "text").strip().lower()
                     for i, item in enumerate(items, 1))


def _codes(value: Any, where: str, what: str) -> dict[str, str]:
    """code -> text (an answer or a label); codes are compared lower-cased."""
    return {code.strip().lower(): _expect(text, str, _at(where, code), what)
            for code, text in _expect(value, dict, where, "a mapping of code: text").items()}


def _flag(value: Any, where: str) -> bool:
    word = _expect(value, str, where, "true or false").strip().lower()
    if word not in ("true", "false", "yes", "no"):
        raise _wrong(where, f"expected true or false, got {_kind(value)}")
    return word in ("true", "yes")


def _checkbox(spec: Any, where: str) -> Checkbox:
    spec = _only(_expect(spec, dict, where, "a mapping with field and codes"), ("field", "codes"), where, "key")
    target = _field(spec.get("field", "medications"), _at(where, "field"))
    if FIELDS[target].kind != "list":
        raise _wrong(_at(where, "field"), f"{target} is not a list field")
    codes = _codes(spec.get("codes"), _at(where, "codes"), "a label (text)")
    if not codes:
        raise _wrong(where, "give the codes, e.g. codes: {1: sertraline}")
    bad = [label for label in codes.values() if re.search(r"[;,\n]", label)]
    if bad:
        raise _wrong(_at(where, "codes"), f"a label may not contain ';' or ',': {bad[0]!r}")
    return Checkbox(target, codes)


def _sections(data: Any) -> Mapping:
    """The Mapping a file's plain data describes; MappingError names the entry that is wrong."""
    data = _only(_expect(data, dict, "", f"a mapping with the sections {', '.join(SECTIONS)}"),
                 SECTIONS, "", "section")
    tables = {name: _expect(data.get(name), dict, name, "a mapping (key: value)")
              for name in ("columns", "values", "checkboxes")}
    columns = {normalise(header): _field(target, _at("columns", header)) for header, target in tables["columns"].items()}
    values = {_field(target, "values"): _codes(answers, _at("values", target), "an answer (text)")
              for target, answers in tables["values"].items()}
    boxes = {normalise(prefix): _checkbox(spec, _at("checkboxes", prefix)) for prefix, spec in tables["checkboxes"].items()}
    return Mapping(columns, _tokens(data.get("missing"), "missing"), _tokens(data.get("unknown"), "unknown"),
                   values, boxes, _flag(data.get("decimal_comma", "false"), "decimal_comma"))


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
        box, boxes = _CHECKBOX.match(header.strip()), mapping.checkboxes
        if box is None and mapping.labelled:  # a REDCap label export: "Label (choice=Choice label)"
            box, boxes = _LABELLED.match(header.strip()), mapping.labelled
        spec = boxes.get(normalise(box.group(1))) if box else None
        label = spec.codes.get(box.group(2).strip().lower()) if spec and box else None
        if spec and label:
            checkboxes.append((column, header, spec.field, label))
        elif not any(pattern.search(header.strip()) for pattern in mapping.ignore):
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
