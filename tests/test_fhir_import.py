"""FHIR QuestionnaireResponses in: `score` reads one, `batch` a JSON Lines file or a Bundle of them;
answers to disabled items are ignored; the reports equal those of the same answers as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from answer_sets import Q
from helpers import invoke

from screener.io.fhir_response import response_answers, response_resource

ANSWERS = {"respondent_id": "P-17", "age_years": 34, "sex": "female", "urge_to_move": "yes", "worse_at_rest": "unsure",
           "relieved_by_movement": "yes", "worse_evening_night": "yes", "symptom_days_per_week": 4,
           "ferritin_ng_ml": "67 pmol/L", "tsat_percent": 15, "hemoglobin_g_dl": "118 g/L", "pregnant": "no",
           "kidney_disease": "unsure", "medications": ["sertraline 50 mg", "Sinemet 25/100"],
           "dopaminergic_worsening": "yes", "weight_kg": "150 lb", "height_cm": 165}
OTHERS = [{"respondent_id": "P-18", "age_years": 61, "sex": "male", "urge_to_move": "no", "medications": []},
          {"respondent_id": "P-19", "age_years": 29, "sex": "female", "pregnant": "yes", "pregnancy_trimester": 3,
           "ferritin_ng_ml": 12}]


def score(path: Path) -> str:
    """The JSON report, stamped with a fixed time so that two runs can be compared byte for byte."""
    return invoke(["score", str(path), "--format", "json"], env={"SOURCE_DATE_EPOCH": "1700000000"}).stdout


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_response_carries_coded_dont_know_and_a_quantity_in_the_unit_given():
    resource = response_resource(ANSWERS, Q)
    items = {i["linkId"]: i["answer"] for group in resource["item"] for i in group["item"]}
    assert items["worse_at_rest"] == [{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                                       "code": "asked-unknown", "display": "Don't know"}}]
    assert items["ferritin_ng_ml"] == [{"valueQuantity": {"value": 67.0, "unit": "pmol/l",
                                                          "system": "http://unitsofmeasure.org", "code": "pmol/L"}}]
    assert items["weight_kg"][0]["valueQuantity"]["code"] == "[lb_av]"
    assert items["medications"] == [{"valueString": "sertraline 50 mg"}, {"valueString": "Sinemet 25/100"}]
    assert resource["identifier"] == {"value": "P-17"} and resource["questionnaire"] == f"{Q.url}|{Q.version}"
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    QuestionnaireResponse.model_validate(resource)


def test_score_gives_the_same_report_for_the_response_as_for_the_answers(tmp_path):
    plain = _write(tmp_path / "answers.json", ANSWERS)
    response = _write(tmp_path / "response.json", response_resource(ANSWERS, Q))
    expected = score(plain)
    assert score(response) == expected
    report = json.loads(expected)
    assert report["respondent_id"] == "P-17"
    assert "augmentation" in {f["code"] for f in report["findings"]}


def test_answers_to_disabled_items_are_ignored(tmp_path):
    resource = response_resource({**OTHERS[0]}, Q)
    resource["item"].append({"linkId": "pregnancy", "item": [  # a man's answers to the pregnancy questions
        {"linkId": "pregnant", "answer": [{"valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v2-0136",
                                                           "code": "Y"}}]},
        {"linkId": "pregnancy_trimester", "answer": [{"valueInteger": 3}]}]})
    answers, problems = response_answers(resource, Q)
    assert problems == [] and "pregnant" not in answers and "pregnancy_trimester" not in answers
    assert score(_write(tmp_path / "r.json", resource)) == score(_write(tmp_path / "a.json", OTHERS[0]))


def test_a_decimal_answer_and_a_boolean_answer_are_read_too():
    resource = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
        {"linkId": "about", "item": [{"linkId": "age_years", "answer": [{"valueInteger": 40}]}]},
        {"linkId": "iron", "item": [{"linkId": "ferritin_ng_ml", "answer": [{"valueDecimal": 22.5}]},
                                    {"linkId": "taking_iron", "answer": [{"valueBoolean": True}]},
                                    {"linkId": "hemoglobin_g_dl",
                                     "answer": [{"valueQuantity": {"value": 120, "code": "g/L"}}]}]}]}
    answers, problems = response_answers(resource, Q)
    assert problems == []
    assert answers == {"age_years": 40, "ferritin_ng_ml": 22.5, "hemoglobin_g_dl": "120 g/L", "taking_iron": True}


@pytest.mark.parametrize("change, expected", [
    (lambda r: r["item"][0]["item"].append({"linkId": "shoe_size", "answer": [{"valueInteger": 9}]}),
     "shoe_size: is not an item of this questionnaire"),
    (lambda r: r["item"][0]["item"][0].update(answer=[{"valueInteger": 30}, {"valueInteger": 31}]),
     "age_years: has 2 answers; the item takes one"),
    (lambda r: r.update(questionnaire="http://example.org/Questionnaire/other|1"), "questionnaire: answers another"),
    (lambda r: r["item"][0]["item"][0].update(answer=[{"valueDate": "2020-01-01"}]),
     "age_years: valueDate is not an answer this item takes"),
    (lambda r: r["item"][0]["item"][0].update(answer=[{"valueInteger": 500}]), "age_years: out of range (0 to 120 years)"),
])
def test_bad_responses_exit_1_naming_the_item_and_the_reason(tmp_path, change, expected):
    resource = response_resource(OTHERS[0], Q)
    change(resource)
    result = invoke(["score", str(_write(tmp_path / "r.json", resource))], code=1)
    assert expected in result.stderr
    assert "P-18" not in result.stderr  # never an answer


def test_score_refuses_a_bundle_and_points_to_batch(tmp_path):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
    assert "screener batch" in invoke(["score", str(_write(tmp_path / "b.json", bundle))], code=1).stderr


def test_batch_reads_responses_as_json_lines_and_as_a_bundle_with_the_output_of_the_answers(tmp_path):
    people = [ANSWERS, *OTHERS]
    plain = tmp_path / "answers.jsonl"
    plain.write_text("".join(json.dumps(p) + "\n" for p in people), encoding="utf-8")
    responses = [response_resource(p, Q) for p in people]
    lines = tmp_path / "responses.ndjson"
    lines.write_text("".join(json.dumps(r) + "\n" for r in responses), encoding="utf-8")
    bundle = _write(tmp_path / "bundle.json", {"resourceType": "Bundle", "type": "collection",
                                                "entry": [{"resource": r} for r in responses]})
    for fmt in ("csv", "jsonl"):
        expected = invoke(["batch", str(plain), "--format", fmt, "--quiet", "--jobs", "1"]).stdout
        assert invoke(["batch", str(lines), "--format", fmt, "--quiet", "--jobs", "1"]).stdout == expected
        assert invoke(["batch", str(bundle), "--format", fmt, "--quiet", "--jobs", "1"]).stdout == expected
    assert ",P-19,ok," in expected or '"P-19"' in expected


def test_batch_marks_a_bad_response_invalid_and_goes_on(tmp_path):
    good = response_resource(OTHERS[0], Q)
    bad = {"resourceType": "Observation", "status": "final"}
    path = tmp_path / "mixed.ndjson"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    out = invoke(["batch", str(path), "--quiet", "--jobs", "1"]).stdout.splitlines()
    assert ",P-18,ok," in out[1] and "invalid" in out[2] and "expected a QuestionnaireResponse" in out[2]
