"""Reading REDCap exports with the column plan derived from a data dictionary (`batch
--redcap-dictionary`): the one `screener export --format redcap` wrote, or a site's own edited copy.

The dictionary becomes a `Mapping` (mapping.py), so a REDCap export is read exactly as any
mapped file: each field's variable name (raw export) and label (label export) are its headers;
radio and dropdown choices map code and label onto the Intake's answer (matched through the
Intake grammar: by code, else by label); checkbox fields of a list field are read from their
`var___code` (raw) or `Label (choice=...)` (label) columns; the choice UNK / "Don't know" (and the
REDCap missing-data code UNK in any field) is "don't know"; `redcap_*` and `*_complete` columns
(and their label forms) are ignored. Fields that are no intake field, and choices that match no
answer, are reported and ignored (a cell holding such a choice is then a row error).
"""

from __future__ import annotations

import csv
import io
import re

from ..core.intake import FIELDS, AnswerError, clean_value
from ..core.questionnaire import Questionnaire
from ..core.skiplogic import DONT_KNOW
from .mapping import Checkbox, Mapping, MappingError, normalise, read_bounded
from .redcap import DONT_KNOW_LABEL

NEEDED = ("Variable / Field Name", "Field Type", "Field Label", "Choices, Calculations, OR Slider Labels")
IGNORED = (re.compile(r"^redcap_"), re.compile(r"_complete$"), re.compile(
    r"^(complete\?|event name|repeat instrument|repeat instance|data access group|survey identifier|"
    r"survey timestamp|.* timestamp)$", re.IGNORECASE))
MAX_BYTES = 4 << 20


def _rows(path: str) -> list[dict[str, str]]:
    try:
        raw = read_bounded(path, MAX_BYTES, "is it a data dictionary?")
    except MappingError as exc:
        raise MappingError(f"{path}: {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [h for h in NEEDED if h not in (reader.fieldnames or [])]
    if missing:
        raise MappingError(f"{path}: not a REDCap data dictionary: no column {missing[0]!r}")
    return list(reader)


def split_choices(text: str) -> list[tuple[str, str]]:
    """REDCap's "code, label | code, label" (a label may hold commas)."""
    pairs = []
    for part in text.split("|"):
        code, _, label = part.strip().partition(",")
        if code.strip():
            pairs.append((code.strip(), label.strip() or code.strip()))
    return pairs


def _answer(name: str, code: str, label: str) -> str | None:
    """The intake answer a choice stands for: its label, else its code, read by the Intake grammar."""
    spec = FIELDS[name]
    for text in (label, code):
        try:
            value = clean_value(spec, text)
        except (AnswerError, ValueError):
            continue
        if spec.kind == "yesno":
            return "yes" if value else "no"
        if spec.kind == "choice":
            return value
    return None


def dictionary_mapping(path: str, questionnaire: Questionnaire) -> tuple[Mapping, list[str]]:
    """The Mapping a data dictionary describes, and notes on what it cannot map (extra fields, choices)."""
    by_name = {q.redcap: q.id for q in questionnaire.questions}
    columns: dict[str, str] = {}
    labels: dict[str, list[str]] = {}
    values: dict[str, dict[str, str]] = {}
    boxes: dict[str, Checkbox] = {}
    labelled: dict[str, Checkbox] = {}
    notes: list[str] = []
    for number, row in enumerate(_rows(path), 1):
        var = (row.get("Variable / Field Name") or "").strip()
        kind = (row.get("Field Type") or "").strip().lower()
        if not var or kind in ("descriptive", "calc"):
            continue
        name = by_name.get(var) or (var if var in FIELDS else None)
        if name is None:
            notes.append(f"{path}: row {number}: field {var!r} is not an intake field; its column is ignored")
            continue
        columns[normalise(var)] = name
        label = normalise(row.get("Field Label") or "")
        if label:
            labels.setdefault(label, []).append(name)
        choices = split_choices(row.get("Choices, Calculations, OR Slider Labels") or "")
        if kind == "yesno":
            choices = [("1", "Yes"), ("0", "No")]
        if kind == "checkbox":
            if FIELDS[name].kind != "list":
                notes.append(f"{path}: row {number}: {var} is a checkbox field but {name} is not a list; ignored")
                continue
            boxes[normalise(var)] = Checkbox(name, {code.lower(): lab for code, lab in choices})
            if label:
                labelled[label] = Checkbox(name, {lab.lower(): lab for _, lab in choices})
            continue
        table: dict[str, str] = {}
        for code, text in choices:
            if code.upper() == DONT_KNOW or text.lower() == DONT_KNOW_LABEL.lower():
                continue  # "don't know": Mapping.unknown
            answer = _answer(name, code, text)
            if answer is None:
                notes.append(f"{path}: row {number}: choice {code} of {var} matches no answer of {name}; "
                              "cells holding it are errors")
                continue
            table[code.lower()] = table[text.lower()] = answer
        if table:
            values[name] = table
    for label, names in labels.items():
        if len(names) == 1 and label not in columns:
            columns[label] = names[0]
        elif len(names) > 1:
            notes.append(f"{path}: fields {', '.join(names)} share a label; a label export cannot tell them apart")
    unknown = frozenset({DONT_KNOW.lower(), DONT_KNOW_LABEL.lower()})
    return Mapping(columns, frozenset(), unknown, values, boxes, False, labelled, IGNORED), notes
