"""REDCap: the questionnaire as a data dictionary (the 18 columns of REDCap's CSV, in order).

One form, named by the questionnaire id; the record identifier first; one row per question, its
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
