"""REDCap: the questionnaire as a data dictionary (the 18 columns of REDCap's CSV, in order).

Also `records_csv`: answers as REDCap's raw or label export of that dictionary (the examples and
the tests use it). One form, named by the questionnaire id; the record identifier first; one row per question, its
section's title as the Section Header of the first row of a section. Yes/no questions are
`radio` with `1, Yes | 0, No | UNK, Don't know` where "don't know" is allowed (else `yesno`),
choices `radio` with the Intake codes (and `UNK, Don't know`), numbers `text` with validation
`integer` or `number` and the hard range as min/max enforced by `@FORCE-MINMAX`, the medicine
list `notes` (one per line). The unit, the usual range and the help text go in the Field Note;
skip logic in the Branching Logic (skiplogic). Deterministic: the same file gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ..core.questionnaire import Question, Questionnaire
from ..core.skiplogic import DONT_KNOW

HEADERS = ("Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
           "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
           "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
           "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
           "Matrix Ranking?", "Field Annotation")
DONT_KNOW_LABEL = "Don't know"
YES_NO = (("1", "Yes"), ("0", "No"))
VALIDATION = {"integer": "integer", "number": "number"}


def field_type(question: Question) -> str:
    """The REDCap field type of a question."""
    kind = question.spec.kind
    if kind == "yesno":
        return "radio" if question.dont_know else "yesno"
    return {"choice": "radio", "list": "notes"}.get(kind, "text")


def choices(question: Question) -> list[tuple[str, str]]:
    """(code, label) of a radio field: yes/no as 1/0, the Intake's choice codes, UNK for don't know."""
    kind = question.spec.kind
    pairs = list(YES_NO) if kind == "yesno" else list(question.choices) if kind == "choice" else []
    if pairs and question.dont_know:
        pairs.append((DONT_KNOW, DONT_KNOW_LABEL))
    return pairs if field_type(question) == "radio" else []


def _fmt(number: float | None) -> str:
    return "" if number is None else str(int(number)) if float(number).is_integer() else str(number)


def field_note(question: Question) -> str:
    spec = question.spec
    parts = []
    if spec.unit:
        parts.append(f"Unit: {spec.unit}.")
    if spec.soft_range:
        parts.append(f"Usually {_fmt(spec.soft_range[0])}-{_fmt(spec.soft_range[1])} {spec.unit or ''}".rstrip() + ".")
    if spec.kind == "list":
        parts.append('One medicine per line, or "none".')
    parts.append(question.help)
    return " ".join(parts)


def dictionary_rows(questionnaire: Questionnaire) -> list[dict[str, str]]:
    """The data dictionary as rows keyed by the 18 headers."""
    rows = []
    seen_sections: set[str] = set()
    for question in questionnaire.questions:
        spec = question.spec
        header = "" if question.section in seen_sections else questionnaire.sections[question.section]
        seen_sections.add(question.section)
        ranged = spec.kind in ("integer", "number")
        row = dict.fromkeys(HEADERS, "")
        row.update({
            "Variable / Field Name": question.redcap,
            "Form Name": questionnaire.id,
            "Section Header": header,
            "Field Type": field_type(question),
            "Field Label": question.text,
            "Choices, Calculations, OR Slider Labels": " | ".join(f"{c}, {label}" for c, label in choices(question)),
            "Field Note": field_note(question),
            "Text Validation Type OR Show Slider Number": VALIDATION.get(spec.kind, ""),
            "Text Validation Min": _fmt(spec.minimum) if ranged else "",
            "Text Validation Max": _fmt(spec.maximum) if ranged else "",
            "Identifier?": "y" if question.identifier else "",
            "Branching Logic (Show field only if...)": question.skip.redcap if question.skip else "",
            "Required Field?": "y" if question.required else "",
            "Field Annotation": "@FORCE-MINMAX" if ranged and (spec.minimum is not None or spec.maximum is not None)
            else "",
        })
        rows.append(row)
    return rows


def to_csv(rows: list[dict[str, Any]], headers: tuple[str, ...] | list[str]) -> str:
    """Rows as CSV text (quoted where needed, LF line ends)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(headers), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def dictionary_csv(questionnaire: Questionnaire) -> str:
    """The REDCap data dictionary as CSV text."""
    return to_csv(dictionary_rows(questionnaire), HEADERS)


# -- records (what REDCap exports; used to make the examples and by the tests) --------------------

def _cell(question: Question, value: Any, labels: bool) -> str:
    kind = question.spec.kind
    if value is None:
        return ""
    if value == "unknown" and kind != "text":
        return DONT_KNOW_LABEL if labels and question.dont_know else DONT_KNOW
    if isinstance(value, bool):
        return ("Yes" if value else "No") if labels else ("1" if value else "0")
    if kind == "choice":
        return dict(question.choices)[value] if labels else value
    if isinstance(value, list):
        return "\n".join(value) or "none"
    return _fmt(value) if isinstance(value, (int, float)) else str(value)


def records_csv(people: list[dict[str, Any]], questionnaire: Questionnaire, labels: bool = False) -> str:
    """Answers as a REDCap export of the exported dictionary, raw (codes, variable names) or with
    labels (labels as headers and values); fields hidden by branching logic are blank, as REDCap
    leaves them, and the form's completion status column is there as in a real export."""
    from ..core.parse import parse_intake

    status = "Complete?" if labels else f"{questionnaire.id}_complete"
    headers = [q.text if labels else q.redcap for q in questionnaire.questions] + [status]
    rows = []
    for number, answers in enumerate(people, 1):
        parsed = parse_intake(answers)
        if parsed.intake is None:
            raise ValueError(f"person {number}: " + "; ".join(p.redacted for p in parsed.errors))
        given = questionnaire.effective(parsed.intake.answers())
        row = {h: _cell(q, given.get(q.id), labels) for h, q in zip(headers, questionnaire.questions)}
        row[status] = "Complete" if labels else "2"
        rows.append(row)
    return to_csv(rows, headers)
