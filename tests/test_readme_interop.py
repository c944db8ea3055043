"""The README's REDCap and FHIR walk-throughs: the commands it shows are there and run, from the
export to scored results and the cohort report."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import invoke

from screener.core.questionnaire import default_questionnaire
from screener.io.fhir_response import response_resource

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = ROOT / "examples" / "redcap"


def test_the_redcap_commands_run_from_export_to_the_cohort_report(tmp_path):
    for command in ("screener export --format redcap -o dictionary.csv",
                    "screener batch export.csv --redcap-dictionary dictionary.csv -o results.csv",
                    "screener report results.csv -o cohort.html"):
        assert command in README.split("## Using screener with REDCap")[1].split("## Using screener with FHIR")[0]
    dictionary, results, page = tmp_path / "dictionary.csv", tmp_path / "results.csv", tmp_path / "cohort.html"
    invoke(["export", "--format", "redcap", "-o", str(dictionary)])
    invoke(["batch", str(EXAMPLES / "export-labels.csv"), "--redcap-dictionary", str(dictionary), "-o", str(results),
            "--quiet", "--jobs", "1"])
    assert results.read_text(encoding="utf-8").count(",ok,") == 40
    invoke(["report", str(results), "-o", str(page)])
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_fhir_commands_run_from_export_to_scored_results(tmp_path):
    section = README.split("## Using screener with FHIR")[1].split("## Reports")[0]
    for command in ("screener export --format fhir -o questionnaire.json", "screener score response.json",
                    "screener batch responses.ndjson -o results.csv", "screener batch bundle.json -o results.csv"):
        assert command in section
    invoke(["export", "--format", "fhir", "-o", str(tmp_path / "questionnaire.json")])
    questionnaire = default_questionnaire()
    people = [json.loads(line) for line in (EXAMPLES / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    responses = [response_resource(person, questionnaire) for person in people]
    (tmp_path / "response.json").write_text(json.dumps(responses[0]), encoding="utf-8")
    report = json.loads(invoke(["score", str(tmp_path / "response.json"), "--format", "json"]).stdout)
    assert report["status"] == "ok" and report["respondent_id"] == people[0]["respondent_id"]
    (tmp_path / "responses.ndjson").write_text("".join(json.dumps(r) + "\n" for r in responses), encoding="utf-8")
    invoke(["batch", str(tmp_path / "responses.ndjson"), "-o", str(tmp_path / "results.csv"), "--quiet", "--jobs", "1"])
    assert (tmp_path / "results.csv").read_text(encoding="utf-8").count(",ok,") == 40
