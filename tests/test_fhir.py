"""The FHIR R4 Questionnaire export: it validates (fhir.resources R4B models and the invariants that
library does not check), and its enableWhen / enableWhenExpression enable exactly the questions the
questionnaire's own skip logic asks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from answer_sets import Q, answer_sets, asked
from fhirpathpy import evaluate as fhirpath
from fhirpathpy.models import models
from helpers import invoke
from hypothesis import given, settings

from screener.io.fhir import questionnaire_resource

RESOURCE = questionnaire_resource(Q)
# UCUM codes of the intake units (interop.md), the only ones an export may use
UCUM = {"a", "wk", "h", "d/wk", "{drinks}/d", "{drinks}/wk", "kg/m2", "ng/mL", "%", "g/dL", "cm", "kg",
        "mL/min/{1.73_m2}"}
ANSWER_TYPES = {"boolean": {"answerBoolean"}, "integer": {"answerInteger"}, "decimal": {"answerDecimal"},
                "choice": {"answerCoding"}, "string": {"answerString"}}
VALUE_TYPES = {"integer": "valueInteger", "decimal": "valueDecimal"}


def walk(items: list[dict], depth: int = 0) -> list[tuple[dict, int]]:
    """Every item of the tree in document order, with its depth."""
    out = []
    for item in items:
        out.append((item, depth))
        out += walk(item.get("item", []), depth + 1)
    return out


ITEMS = [item for item, _ in walk(RESOURCE["item"])]
BY_LINK = {item["linkId"]: item for item in ITEMS}
QUESTIONS = [item for item in ITEMS if item["type"] not in ("group", "display")]


def test_the_export_validates_against_the_r4b_models():
    from fhir.resources.R4B.questionnaire import Questionnaire

    model = Questionnaire.model_validate(RESOURCE)
    assert model.status == "active" and model.url == Q.url and model.version == Q.version
    assert json.loads(model.model_dump_json())["item"][0]["linkId"] == "about"


def test_link_ids_are_unique_across_the_tree_and_groups_and_display_items_are_well_formed():
    links = [item["linkId"] for item in ITEMS]
    assert len(links) == len(set(links))
    for item in ITEMS:
        if item["type"] == "group":
            assert item.get("item"), item["linkId"]  # que-1: a group has children
        if item["type"] == "display":
            assert "item" not in item and "required" not in item
    assert [item["linkId"] for item in RESOURCE["item"]] == list(dict.fromkeys(q.section for q in Q.items))
    assert {item["linkId"] for item in QUESTIONS} == {q.id for q in Q.items}  # the record id is not an item
    assert "respondent_id" not in BY_LINK


def test_every_enable_when_points_back_to_an_earlier_item_with_an_answer_of_its_type():
    order = [item["linkId"] for item in ITEMS]
    for item in QUESTIONS:
        conditions = item.get("enableWhen", [])
        if conditions:
            assert item["enableBehavior"] in ("all", "any"), item["linkId"]  # que-12 (always given)
        for condition in conditions:
            target = BY_LINK.get(condition["question"])
            assert target is not None and target is not item, item["linkId"]
            assert order.index(target["linkId"]) < order.index(item["linkId"])
            answer = {key for key in condition if key.startswith("answer")}
            if condition["operator"] == "exists":
                assert answer == {"answerBoolean"}  # que-7
            else:
                assert answer == ANSWER_TYPES[target["type"]], (item["linkId"], condition)
                if target["type"] == "choice":
                    assert condition["answerCoding"] in [o["valueCoding"] for o in target["answerOption"]]


def test_items_carry_units_ranges_codes_and_help():
    for item in QUESTIONS:
        question = Q[item["linkId"]]
        extensions = {ext["url"].rsplit("/", 1)[1]: ext for ext in item.get("extension", [])}
        if question.spec.unit:
            unit = extensions["questionnaire-unit"]["valueCoding"]
            assert unit["system"] == "http://unitsofmeasure.org" and unit["code"] in UCUM
        if item["type"] in VALUE_TYPES:
            key = VALUE_TYPES[item["type"]]
            assert extensions["minValue"][key] == question.spec.minimum
            assert extensions["maxValue"][key] == question.spec.maximum
        if item["type"] == "choice":
            assert all(set(o) == {"valueCoding"} for o in item["answerOption"])
        [help_item] = item["item"]
        assert help_item["type"] == "display" and help_item["text"] == question.help
        control = help_item["extension"][0]["valueCodeableConcept"]["coding"][0]
        assert control["code"] == "help"
    ferritin = BY_LINK["ferritin_ng_ml"]
    assert ferritin["code"] == [{"system": "http://loinc.org", "code": "2276-4"}]
    assert {BY_LINK[k]["code"][0]["code"] for k in ("tsat_percent", "hemoglobin_g_dl", "bmi", "height_cm",
                                                     "weight_kg")} == {"2502-3", "718-7", "39156-5", "8302-2",
                                                                       "29463-7"}
    assert "targetConstraint" in {e["url"].rsplit("/", 1)[1] for e in ferritin["extension"]}
    assert BY_LINK["medications"]["repeats"] is True and BY_LINK["medications"]["type"] == "string"


def test_dont_know_is_the_asked_unknown_coding_and_pregnancy_has_three_conditions():
    codes = [o["valueCoding"]["code"] for o in BY_LINK["urge_to_move"]["answerOption"]]
    assert codes == ["Y", "N", "asked-unknown"]
    assert [o["valueCoding"]["code"] for o in BY_LINK["sex"]["answerOption"]] == ["female", "male", "other"]
    pregnant = BY_LINK["pregnant"]
    assert pregnant["enableBehavior"] == "all"
    assert [(c["question"], c["operator"]) for c in pregnant["enableWhen"]] == [
        ("sex", "="), ("age_years", ">="), ("age_years", "<=")]
    assert pregnant["enableWhen"][1]["answerInteger"] == 12
    derived = [item["linkId"] for item in QUESTIONS if any("enableWhenExpression" in e["url"]
                                                            for e in item.get("extension", []))]
    assert derived == ["dopaminergic_worsening", "impulse_control_symptoms", "started_after_new_drug"]
    assert all("enableWhen" not in BY_LINK[link] for link in derived)


def test_export_command_writes_the_same_bytes_each_time(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    invoke(["export", "--format", "fhir", "-o", str(first)])
    invoke(["export", "--format", "fhir", "-o", str(second)])
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text(encoding="utf-8")) == RESOURCE
    assert invoke(["export", "--format", "fhir"]).stdout == first.read_text(encoding="utf-8")


# -- the differential test: an independent reading of enableWhen --------------------------------------

def fhir_answers(item: dict, value: Any) -> list[dict]:
    """An answer as a FHIR form would store it, read off the exported item alone."""
    if item["type"] == "choice":
        code = {True: "Y", False: "N", "unsure": "asked-unknown"}.get(value, value)
        return [{"valueCoding": o["valueCoding"]} for o in item["answerOption"] if o["valueCoding"]["code"] == code]
    if item["type"] == "string":
        return [{"valueString": name} for name in value] or [{"valueString": "none"}]
    return [{{"boolean": "valueBoolean", "integer": "valueInteger", "decimal": "valueDecimal"}[item["type"]]: value}]


def _holds(condition: dict, answers: list[dict]) -> bool:
    """One enableWhen (FHIR R4 semantics: `!=` is true when no answer equals, so when unanswered)."""
    op = condition["operator"]
    if op == "exists":
        return bool(answers) == condition["answerBoolean"]
    wanted = next(v for k, v in condition.items() if k.startswith("answer"))
    values = [next(iter(a.values())) for a in answers]
    if isinstance(wanted, dict):  # codings compare by system and code
        values = [(v["system"], v["code"]) for v in values]
        wanted = (wanted["system"], wanted["code"])
    if op == "=":
        return wanted in values
    if op == "!=":
        return wanted not in values
    compare = {">": float.__gt__, "<": float.__lt__, ">=": float.__ge__, "<=": float.__le__}[op]
    return any(compare(float(v), float(wanted)) for v in values)


def fhir_enabled(answers: dict[str, Any]) -> set[str]:
    """The questions a FHIR form enables, in document order, answers to disabled items absent."""
    response: dict = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": []}
    given: dict[str, list[dict]] = {}
    enabled = set()
    for group in RESOURCE["item"]:
        stored: list[dict] = []
        response["item"].append({"linkId": group["linkId"], "item": stored})
        for item in group["item"]:
            expression = [e["valueExpression"]["expression"] for e in item.get("extension", [])
                          if e["url"].endswith("enableWhenExpression")]
            if expression:
                on = fhirpath(response, expression[0], {"resource": response}, models["r4"]) == [True]
            elif "enableWhen" in item:
                results = [_holds(c, given.get(c["question"], [])) for c in item["enableWhen"]]
                on = all(results) if item["enableBehavior"] == "all" else any(results)
            else:
                on = True
            if on:
                enabled.add(item["linkId"])
                if item["linkId"] in answers:
                    given[item["linkId"]] = fhir_answers(item, answers[item["linkId"]])
                    stored.append({"linkId": item["linkId"], "answer": given[item["linkId"]]})
    return enabled


@settings(max_examples=150, deadline=None)
@given(answer_sets())
def test_fhir_enable_when_enables_exactly_the_questions_the_skip_logic_asks(answers):
    assert fhir_enabled(answers) == asked(answers)


@pytest.mark.parametrize("answers, on, off", [
    ({"age_years": 30, "sex": "female", "pregnant": "unsure"}, {"weeks_postpartum"}, {"pregnancy_trimester"}),
    ({"age_years": 56, "sex": "female"}, set(), {"pregnant", "weeks_postpartum"}),
    ({"urge_to_move": "unsure"}, {"leg_swelling"}, {"symptom_days_per_week"}),
    ({"medications": ["Sinemet 25/100"]}, {"dopaminergic_worsening", "impulse_control_symptoms",
                                            "started_after_new_drug"}, set()),
    ({"medications": ["none"]}, set(), {"dopaminergic_worsening", "impulse_control_symptoms",
                                        "started_after_new_drug"}),
    ({"kidney_disease": "transplant"}, {"egfr_ml_min"}, set()),
    ({"kidney_disease": "dialysis"}, set(), {"egfr_ml_min"}),
    ({"height_cm": 170.0, "weight_kg": 70.0}, set(), {"bmi"}),
])
def test_known_cases_of_the_fhir_skip_logic(answers, on, off):
    enabled = fhir_enabled(answers)
    assert on <= enabled and not off & enabled
    assert enabled == asked(answers)
