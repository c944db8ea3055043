"""FHIR R4: the questionnaire as a Questionnaire resource (responses: fhir_response).

Export (`questionnaire_resource`): one group item per section (linkId = the section id), one
item per question (linkId = the canonical field id), the record identifier left out (it is the
QuestionnaireResponse's `identifier`). Yes/no questions that allow "don't know" are choice
items with the codings of the value set yesnodontknow (Y, N, asked-unknown); the others are
boolean. Units are questionnaire-unit UCUM codings, ranges minValue/maxValue, a soft range an
SDC targetConstraint (warning), help a child display item with itemControl "help", LOINC codes
the item's code. Skip logic: enableWhen with enableBehavior, or an SDC enableWhenExpression
(FHIRPath) for the derived facts (skiplogic).
"""

from __future__ import annotations

from typing import Any

from ..core.questionnaire import Question, Questionnaire
from ..core.skiplogic import DONT_KNOW, Test

EXT = "http://hl7.org/fhir/StructureDefinition/"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
ITEM_CONTROL = "http://hl7.org/fhir/questionnaire-item-control"
FHIR_TYPES = {"integer": "integer", "number": "decimal", "choice": "choice", "list": "string", "text": "string"}


# -- export ---------------------------------------------------------------------------------------

def resource_id(questionnaire: Questionnaire) -> str:
    """The resource id (FHIR ids allow letters, digits, '-' and '.')."""
    return questionnaire.id.replace("_", "-")


def questionnaire_resource(questionnaire: Questionnaire) -> dict[str, Any]:
    """The questionnaire as an R4 Questionnaire resource (plain JSON data)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for question in questionnaire.items:
        groups.setdefault(question.section, []).append(_item(question, questionnaire))
    name = "".join(part.capitalize() for part in questionnaire.id.replace("-", "_").split("_"))
    return {
        "resourceType": "Questionnaire",
        "id": resource_id(questionnaire),
        "url": questionnaire.url,
        "version": questionnaire.version,
        "name": name,
        "title": questionnaire.title,
        "status": "active",
        "subjectType": ["Patient"],
        "item": [{"linkId": section, "type": "group", "text": questionnaire.sections[section], "item": items}
                 for section, items in groups.items()],
    }


def item_type(question: Question) -> str:
    """The FHIR item type of a question."""
    if question.spec.kind == "yesno":
        return "choice" if question.dont_know else "boolean"
    return FHIR_TYPES[question.spec.kind]


def _item(question: Question, questionnaire: Questionnaire) -> dict[str, Any]:
    spec = question.spec
    item: dict[str, Any] = {"linkId": question.id}
    extensions = []
    if question.ucum:
        extensions.append({"url": EXT + "questionnaire-unit", "valueCoding": _unit_coding(question, questionnaire)})
    value_key = "valueInteger" if spec.kind == "integer" else "valueDecimal"
    for bound, limit in (("minValue", spec.minimum), ("maxValue", spec.maximum)):
        if limit is not None:
            extensions.append({"url": EXT + bound, value_key: _number(spec.kind, limit)})
    if spec.soft_range:
        lo, hi = spec.soft_range
        extensions.append({"url": EXT + "targetConstraint", "extension": [
            {"url": "key", "valueId": f"{question.id.replace('_', '-')}-usual"},
            {"url": "severity", "valueCode": "warning"},
            {"url": "expression", "valueExpression": {"language": "text/fhirpath", "expression":
                f"answer.value.all($this >= {_number(spec.kind, lo)} and $this <= {_number(spec.kind, hi)})"}},
            {"url": "human", "valueString": f"outside the usual range {lo:g}-{hi:g} {spec.unit}; please check"}]})
    if question.skip is not None and question.skip.derived:
        extensions.append({"url": SDC + "sdc-questionnaire-enableWhenExpression",
                           "valueExpression": {"language": "text/fhirpath", "expression": question.skip.fhirpath}})
    if extensions:
        item["extension"] = extensions
    if question.loinc:
        item["code"] = [{"system": LOINC, "code": question.loinc[0]}]
    item["text"] = question.text
    item["type"] = item_type(question)
    if question.skip is not None and not question.skip.derived:
        item["enableWhen"] = [_enable_when(test, questionnaire) for test in question.skip.tests]
        item["enableBehavior"] = question.skip.behavior
    if question.required:
        item["required"] = True
    if spec.kind == "list":
        item["repeats"] = True
    options = answer_codings(question, questionnaire)
    if options:
        item["answerOption"] = [{"valueCoding": coding} for coding in options]
    item["item"] = [{"linkId": f"{question.id}.help", "text": question.help, "type": "display", "extension": [
        {"url": EXT + "questionnaire-itemControl", "valueCodeableConcept": {"coding": [
            {"system": ITEM_CONTROL, "code": "help", "display": "Help-Button"}]}}]}]
    return item


def _number(kind: str, value: float) -> int | float:
    return int(value) if kind == "integer" or float(value).is_integer() and kind != "number" else float(value)


def _unit_coding(question: Question, questionnaire: Questionnaire) -> dict[str, str]:
    entry = questionnaire.codes["ucum"][question.spec.unit]
    return {"system": UCUM, "code": entry["code"], "display": entry["display"]}


def choice_system(question: Question, questionnaire: Questionnaire) -> str:
    """The code system of a choice question's codes: a published one (codes.yaml) or the questionnaire's own."""
    own = questionnaire.url.rsplit("/Questionnaire/", 1)[0] + f"/CodeSystem/{question.id.replace('_', '-')}"
    return questionnaire.codes["systems"].get(question.id, own)


def answer_codings(question: Question, questionnaire: Questionnaire) -> list[dict[str, str]]:
    """The answerOption codings of a choice item (yes/no/don't know, or the choices)."""
    table = questionnaire.codes["yesnodontknow"]
    dont_know = [dict(table["dont_know"])] if question.dont_know else []
    if question.spec.kind == "yesno":
        return [dict(table["yes"]), dict(table["no"]), *dont_know] if question.dont_know else []
    if question.spec.kind == "choice":
        system = choice_system(question, questionnaire)
        return [{"system": system, "code": code, "display": display} for code, display in question.choices] + dont_know
    return []


def coding_for(question: Question, questionnaire: Questionnaire, value: Any) -> dict[str, str]:
    """The coding of an answer (True, False, a choice code or DONT_KNOW) to a choice item."""
    table = questionnaire.codes["yesnodontknow"]
    if value == DONT_KNOW:
        return dict(table["dont_know"])
    if question.spec.kind == "yesno":
        return dict(table["yes" if value else "no"])
    display = dict(question.choices)[value]
    return {"system": choice_system(question, questionnaire), "code": value, "display": display}


def _enable_when(test: Test, questionnaire: Questionnaire) -> dict[str, Any]:
    target = questionnaire[test.question]
    out: dict[str, Any] = {"question": test.question, "operator": test.operator}
    if test.operator == "exists":
        out["answerBoolean"] = bool(test.answer)
    elif item_type(target) == "choice":
        out["answerCoding"] = coding_for(target, questionnaire, test.answer)
    elif item_type(target) == "boolean":
        out["answerBoolean"] = bool(test.answer)
    elif target.spec.kind == "integer":
        out["answerInteger"] = int(test.answer)
    elif target.spec.kind == "number":
        out["answerDecimal"] = float(test.answer)
    else:
        out["answerString"] = str(test.answer)
    return out
