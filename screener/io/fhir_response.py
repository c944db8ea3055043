"""FHIR R4 QuestionnaireResponses: read as answers (`score`, `batch`), and written from answers.

Reading (`response_answers`): the answers of a QuestionnaireResponse as the Intake model reads
them, through the Intake grammar: a Coding by its code (Y/N -> yes/no, asked-unknown ->
unknown, a choice by its code), a Quantity as "value unit" (the UCUM code read back through
codes.yaml), a repeated string as a list, the identifier as respondent_id. Answers to items
that the questionnaire's own skip logic disables are ignored, as FHIR ignores answers to
disabled items (the skip logic and the exported enableWhen agree: tests/test_fhir.py).
Problems name the linkId and the reason, never an answer.
"""

from __future__ import annotations

from typing import Any

from ..core.intake import FIELDS, accepted_units, split_unit
from ..core.parse import parse_intake
from ..core.questionnaire import Question, Questionnaire
from ..core.skiplogic import DONT_KNOW
from .fhir import UCUM, coding_for, item_type


class FhirError(ValueError):
    """A resource that cannot be read as answers; the message names the item, never an answer."""


# -- answers -> QuestionnaireResponse ----------------------------------------------------------------

def response_resource(answers: dict[str, Any], questionnaire: Questionnaire) -> dict[str, Any]:
    """One respondent's answers (an answers file) as a completed QuestionnaireResponse.

    Answers are validated by the Intake model first (ValueError naming the fields); a number given
    with another unit ("67 pmol/L") becomes a Quantity in that unit, others plain values.
    """
    parsed = parse_intake(answers)
    if parsed.intake is None:
        raise ValueError("; ".join(problem.redacted for problem in parsed.errors))
    typed = parsed.intake.answers()
    given = questionnaire.effective(typed)
    groups: dict[str, list[dict[str, Any]]] = {}
    for question in questionnaire.items:
        if question.id in given:
            value = _answers(question, questionnaire, answers[question.id], given[question.id])
            groups.setdefault(question.section, []).append({"linkId": question.id, "answer": value})
    resource: dict[str, Any] = {"resourceType": "QuestionnaireResponse",
                                "questionnaire": f"{questionnaire.url}|{questionnaire.version}",
                                "status": "completed"}
    if "respondent_id" in typed:
        resource["identifier"] = {"value": str(typed["respondent_id"])}
    resource["item"] = [{"linkId": s, "item": items} for s in questionnaire.sections if (items := groups.get(s))]
    return resource


def _answers(question: Question, questionnaire: Questionnaire, raw: Any, value: Any) -> list[dict[str, Any]]:
    kind = question.spec.kind
    if value == "unknown" and kind != "text":
        if not question.dont_know:
            raise ValueError(f"{question.id}: \"don't know\" has no coded form here; leave the answer out")
        return [{"valueCoding": coding_for(question, questionnaire, DONT_KNOW)}]
    if kind == "list":
        return [{"valueString": name} for name in value] or [{"valueString": "none"}]
    if item_type(question) == "choice":
        return [{"valueCoding": coding_for(question, questionnaire, value)}]
    if kind == "yesno":
        return [{"valueBoolean": value}]
    if kind in ("integer", "number") and isinstance(raw, str):
        number, unit = split_unit(question.spec, raw.strip())
        if unit is not None and unit != question.spec.unit.lower().replace(" ", ""):  # type: ignore[union-attr]
            code = _ucum_code(questionnaire, unit)
            return [{"valueQuantity": {"value": number, "unit": unit, "system": UCUM, "code": code}}]
    if kind == "integer":
        return [{"valueInteger": int(value)}]
    if kind == "number":
        return [{"valueDecimal": value}]
    return [{"valueString": str(value)}]


def _ucum_code(questionnaire: Questionnaire, unit_key: str) -> str:
    for name, entry in questionnaire.codes["ucum"].items():
        if name.lower().replace(" ", "") == unit_key:
            return entry["code"]
    raise ValueError(f"the unit {unit_key!r} has no UCUM code in codes.yaml")


# -- QuestionnaireResponse -> answers ----------------------------------------------------------------

def is_response(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "QuestionnaireResponse"


def response_answers(resource: Any, questionnaire: Questionnaire) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A QuestionnaireResponse as answers by field id, and problems as (field or linkId, reason).

    Answers to items the skip logic disables are dropped (FHIR ignores them).
    """
    if not is_response(resource):
        return {}, [("resourceType", "expected a QuestionnaireResponse")]
    problems: list[tuple[str, str]] = []
    wanted = resource.get("questionnaire")
    if wanted and str(wanted).split("|")[0] != questionnaire.url:
        problems.append(("questionnaire", f"answers another questionnaire; expected {questionnaire.url}"))
    if resource.get("status") in ("entered-in-error", "stopped"):
        problems.append(("status", f"is {resource['status']}; only a completed or in-progress response is scored"))
    answers: dict[str, Any] = {}
    _walk(resource.get("item") or [], questionnaire, answers, problems)
    identifier = resource.get("identifier")
    if isinstance(identifier, list):  # R5 and some servers: a list
        identifier = identifier[0] if identifier else None
    if isinstance(identifier, dict) and identifier.get("value") not in (None, ""):
        answers[questionnaire.record_id.id] = str(identifier["value"])
    return questionnaire.effective(answers), problems


def _walk(items: Any, questionnaire: Questionnaire, answers: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    if not isinstance(items, list):
        problems.append(("item", "expected a list of items"))
        return
    for item in items:
        link = str(item.get("linkId", "")) if isinstance(item, dict) else ""
        if not link:
            problems.append(("item", "an item without a linkId"))
            continue
        if link in questionnaire.sections or link.endswith(".help"):
            _walk(item.get("item") or [], questionnaire, answers, problems)
            continue
        if link not in questionnaire.index or questionnaire[link].identifier:
            problems.append((link, "is not an item of this questionnaire"))
            continue
        try:
            value = _value(questionnaire[link], item.get("answer") or [], questionnaire)
        except FhirError as exc:
            problems.append((link, str(exc)))
            continue
        if value is not None:
            answers[link] = value
        for answer in item.get("answer") or []:  # items nested under an answer
            if isinstance(answer, dict) and answer.get("item"):
                _walk(answer["item"], questionnaire, answers, problems)
        if item.get("item"):
            _walk(item["item"], questionnaire, answers, problems)


def _value(question: Question, answers: list[Any], questionnaire: Questionnaire) -> Any:
    values = [_one(question, answer, questionnaire) for answer in answers]
    if question.spec.kind == "list":
        return values or None
    if len(values) > 1:
        raise FhirError(f"has {len(values)} answers; the item takes one")
    return values[0] if values else None


def _one(question: Question, answer: Any, questionnaire: Questionnaire) -> Any:
    if not isinstance(answer, dict):
        raise FhirError("an answer must be an object with one value[x]")
    keys = [key for key in answer if key.startswith("value")]
    if len(keys) != 1:
        raise FhirError(f"an answer needs exactly one value[x], found {len(keys)}")
    key, value = keys[0], answer[keys[0]]
    if key == "valueCoding":
        code = value.get("code") if isinstance(value, dict) else None
        if not isinstance(code, str):
            raise FhirError("a valueCoding without a code")
        if code == "asked-unknown":
            return "unknown"
        return {"Y": "yes", "N": "no"}.get(code, code) if question.spec.kind == "yesno" else code
    if key == "valueQuantity":
        if not isinstance(value, dict) or not isinstance(value.get("value"), (int, float)):
            raise FhirError("a valueQuantity without a number")
        unit = value.get("code") or value.get("unit")
        return f"{value['value']} {_unit_name(question, unit, questionnaire)}" if unit else value["value"]
    if key in ("valueBoolean", "valueInteger", "valueDecimal", "valueString"):
        return value
    raise FhirError(f"{key} is not an answer this item takes")


def _unit_name(question: Question, unit: str, questionnaire: Questionnaire) -> str:
    """A UCUM code as the Intake grammar spells the unit ("ug/L" -> "µg/L"); else the code as given."""
    accepted = accepted_units(FIELDS[question.id])
    for name, entry in questionnaire.codes["ucum"].items():
        if entry["code"] == unit and name.lower().replace(" ", "") in accepted:
            return name
    return unit
