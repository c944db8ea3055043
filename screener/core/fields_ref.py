"""The field reference people prepare their files from (docs/fields.md, `screener fields`).

Generated from the Intake model (types, units, ranges, choices, the answer grammar) and the
questionnaire (labels, skip logic, FHIR linkIds, LOINC codes, REDCap names), so it cannot
drift from either: a test fails when the committed docs/fields.md is stale.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass

from .intake import FIELD_LIST, NO, NONE_WORDS, UNKNOWN, YES, FieldSpec, accepted_units
from .questionnaire import Question, Questionnaire
from .skiplogic import describe

DOC = "docs/fields.md"
HINT = FIELD_LIST  # what messages that point to the list say
KINDS = {"yesno": "yes/no", "integer": "whole number", "number": "number", "choice": "choice",
         "list": "list of text", "text": "text"}


@dataclass(frozen=True)
class FieldRef:
    id: str
    label: str
    type: str
    unit: str
    accepted_units: list[str]
    range: str
    usual_range: str
    choices: list[str]
    accepted_answers: str
    asked_when: str
    fhir_link_id: str
    loinc: list[str]
    redcap_name: str
    redcap_type: str


def _fmt(number: float | None) -> str:
    return "" if number is None else str(int(number)) if float(number).is_integer() else f"{number:g}"


def _answers(question: Question) -> str:
    spec, kind = question.spec, question.spec.kind
    unsure = "; don't know: " + ", ".join(sorted(UNKNOWN)) if question.allows_unsure else ""
    if kind == "yesno":
        return f"yes: {', '.join(sorted(YES))}; no: {', '.join(sorted(NO))}{unsure} (any case)"
    if kind == "choice":
        return f"the code or the label, or an unambiguous start of either, any case{unsure}"
    if kind in ("integer", "number"):
        whole = "a whole number" if kind == "integer" else "a number with a decimal point"
        units = f", optionally with a unit ({', '.join(accepted_units(spec))})" if spec.unit or accepted_units(spec) else ""
        return f"{whole}{units}; blank if not known"
    if kind == "list":
        return (f"names separated by , ; or line breaks (a JSON array in JSON); "
                f"{', '.join(sorted(NONE_WORDS))} = none taken")
    return "any text"


def reference(questionnaire: Questionnaire) -> list[FieldRef]:
    """One entry per intake field, in the order the questionnaire asks them."""
    from .skiplogic import DONT_KNOW

    out = []
    for question in questionnaire.questions:
        spec: FieldSpec = question.spec
        choices = [f"{code} = {label}" for code, label in question.choices]
        if question.dont_know and spec.kind == "choice":
            choices.append(f"{DONT_KNOW} = don't know (REDCap; FHIR asked-unknown)")
        when = "always" if question.ask_when is None else describe(question.ask_when)
        if question.skip is not None and question.skip.derived:
            when += " (derived: FHIR enableWhenExpression, REDCap contains(); see the export)"
        out.append(FieldRef(
            question.id, question.text, KINDS[spec.kind], spec.unit or "",
            [u for u in accepted_units(spec) if u != (spec.unit or "").lower().replace(" ", "")],
            f"{_fmt(spec.minimum)}-{_fmt(spec.maximum)}" if spec.minimum is not None or spec.maximum is not None else "",
            f"{_fmt(spec.soft_range[0])}-{_fmt(spec.soft_range[1])}" if spec.soft_range else "",
            choices, _answers(question), "always (the record identifier)" if question.identifier else when,
            "" if question.identifier else question.id, list(question.loinc), question.redcap,
            _redcap_type(question)))
    return out


def _redcap_type(question: Question) -> str:
    kind = question.spec.kind
    if kind == "yesno":
        return "radio (1, 0, UNK)" if question.dont_know else "yesno"
    return {"choice": "radio", "list": "notes", "integer": "text (integer)", "number": "text (number)"}.get(kind, "text")


# -- formats --------------------------------------------------------------------------------------

def as_json(refs: list[FieldRef]) -> str:
    return json.dumps([asdict(r) for r in refs], indent=2, ensure_ascii=False) + "\n"


def as_csv(refs: list[FieldRef]) -> str:
    """A blank template: one header per field id, in the questionnaire's order."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([r.id for r in refs])
    return out.getvalue()


def as_text(refs: list[FieldRef]) -> str:
    lines = []
    for r in refs:
        unit = f" ({r.unit})" if r.unit else ""
        lines.append(f"{r.id}: {r.type}{unit}" + (f", {r.range}" if r.range else "") + f" - asked {r.asked_when}")
        if r.choices:
            lines.append(f"    choices: {'; '.join(r.choices)}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(refs: list[FieldRef], questionnaire: Questionnaire) -> str:
    lines = ["# Intake fields", "",
             "Generated by `screener fields --format markdown` from the Intake model and "
             f"`questionnaires/{questionnaire.id}.yaml`; do not edit by hand.", "",
             "These are the field ids that `screener score` reads from JSON, that `screener batch` expects as CSV "
             "headers (`screener fields --format csv` prints a blank template), that the FHIR export uses as "
             "linkIds and (where it is short enough) the REDCap export as variable names. A blank answer is "
             "\"not answered\"; out-of-range numbers are errors, numbers outside the usual range warnings.", "",
             f"Questionnaire `{questionnaire.url}` version {questionnaire.version}.", ""]
    by_id = {q.id: q for q in questionnaire.questions}
    for section, title in questionnaire.sections.items():
        rows = [r for r in refs if by_id[r.id].section == section]
        if not rows:
            continue
        lines += [f"## {title}", "",
                  "| field | label | type, unit | range | choices | accepted answers | asked when | FHIR linkId, "
                  "LOINC | REDCap |", "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            unit = f", {r.unit}" if r.unit else ""
            others = f" (also {', '.join(r.accepted_units)})" if r.accepted_units else ""
            span = r.range + (f"; usually {r.usual_range}" if r.usual_range else "")
            loinc = f", LOINC {' / '.join(r.loinc)}" if r.loinc else ""
            cells = [f"`{r.id}`", r.label, f"{r.type}{unit}{others}", span, "; ".join(r.choices), r.accepted_answers,
                     r.asked_when, (f"`{r.fhir_link_id}`" if r.fhir_link_id else "identifier") + loinc,
                     f"`{r.redcap_name}` {r.redcap_type}"]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def render(questionnaire: Questionnaire, fmt: str) -> str:
    refs = reference(questionnaire)
    if fmt == "markdown":
        return as_markdown(refs, questionnaire)
    return {"json": as_json, "csv": as_csv, "text": as_text}[fmt](refs)
