"""The JSON report is a versioned contract: the JSON Schema shipped in the package
(`screener schema report`) accepts every report screener writes (ok, invalid, error, with
findings, batch JSON Lines) and refuses reports that break it."""

from __future__ import annotations

import copy
import json
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from helpers import invoke
from jsonschema import Draft202012Validator

from screener.core.intake import FIELDS
from screener.core.parse import parse_intake
from screener.core.models import REPORT_SCHEMA_VERSION, Report
from screener.core.paths import schemas_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
BATCH = ROOT / "tests" / "fixtures" / "batch"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(invoke(["schema", "report"]).stdout)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid(validator: Draft202012Validator, report: dict) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(report)]
    assert not errors, errors


def test_the_command_prints_the_shipped_schema_of_this_version():
    printed = invoke(["schema", "report"]).stdout
    assert printed == (schemas_dir() / "report.schema.json").read_text(encoding="utf-8")
    assert json.loads(printed)["properties"]["schema_version"]["const"] == REPORT_SCHEMA_VERSION
    assert invoke(["schema", "nope"], code=2).exit_code == 2


def test_the_schema_and_the_report_template_ship_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = config["package-data"]["screener.data"]
    assert config["package-dir"]["screener.data"] == "."
    for shipped in [*(ROOT / "schemas").iterdir(), *(ROOT / "templates").iterdir()]:
        relative = shipped.relative_to(ROOT).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in globs), relative


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_score_json_reports_with_findings_are_valid(validator, path):
    report = json.loads(invoke(["score", str(path), "--format", "json"]).stdout)
    assert report["findings"] and report["created"] and report["answers"]
    assert_valid(validator, report)


def test_invalid_and_error_reports_are_valid(validator, durable):
    invalid = durable.screen_parsed(parse_intake({"ferritin_ng_ml": "abc", "sex": "x"}))
    assert invalid.status == "invalid"
    assert_valid(validator, json.loads(invalid.to_json()))
    error = Report(respondent_id="7", row=7, status="error", errors=[{"field": "(row)", "message": "worker died"}],
                   rulebook=durable.rulebook.stamp)
    assert_valid(validator, json.loads(error.to_json()))


def test_every_batch_json_lines_report_is_valid(validator, tmp_path):
    out = tmp_path / "reports.jsonl"
    invoke(["batch", str(BATCH / "out_of_range.csv"), "-o", str(out), "--format", "jsonl", "--quiet", "--jobs", "1"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["status"] for line in lines} == {"ok", "invalid"}
    for line in lines:
        assert line["created"] is None  # batch output is the same for the same input
        assert_valid(validator, line)


def test_unknown_answers_and_every_answer_kind_are_valid(validator, durable):
    answers = {"respondent_id": "unknown", "age_years": 30, "sex": "Female", "pregnant": "unsure", "bmi": "31.5",
               "kidney_disease": "dialysis", "medications": "none", "ferritin_ng_ml": "unknown"}
    report = json.loads(durable.screen_parsed(parse_intake(answers)).to_json())
    assert report["answers"]["pregnant"] == "unknown" and report["answers"]["medications"] == []
    assert_valid(validator, report)


def test_criteria_of_every_status_are_valid(validator, durable):
    no_urge = json.loads(durable.screen_parsed(parse_intake({"urge_to_move": "no", "worse_at_rest": "yes"})).to_json())
    unsure = json.loads(durable.screen_parsed(parse_intake({"urge_to_move": "yes", "worse_at_rest": "unsure",
                                                            "cramps_hard_knotted_muscle": "yes"})).to_json())
    statuses = {c["status"] for report in (no_urge, unsure) for c in report["criteria"]["criteria_1_4"]}
    assert statuses == {"met", "not_met", "unknown", "not_applicable"}
    assert unsure["criteria"]["mimics"] == ["leg_cramps"] and unsure["criteria"]["mimic_questions_unanswered"]
    for report in (no_urge, unsure):
        assert_valid(validator, report)


BROKEN = {
    "no tool": lambda r: r.pop("tool"),
    "another version": lambda r: r.update(schema_version="0.9"),
    "a date without its zone": lambda r: r.update(created="2025-06-01T14:03:00"),
    "an unknown answer field": lambda r: r["answers"].update(shoe_size=9),
    "an answer out of range": lambda r: r["answers"].update(age_years=200),
    "a choice that is not a code": lambda r: r["answers"].update(sex="Female"),
    "a finding without sources": lambda r: r["findings"][0].update(sources=[]),
    "a source without its status": lambda r: r["findings"][0]["sources"][0].pop("verified"),
    "an unknown kind": lambda r: r["findings"][0].update(kind="hint"),
    "ok with errors": lambda r: r["errors"].append({"field": "x", "message": "y"}),
    "an extra field": lambda r: r.update(score=3),
    "criterion 5 as an answer": lambda r: r["criteria"]["items"].update({"5_no_mimic_reported": False}),
    "a criterion status that is not a status": lambda r: r["criteria"]["criteria_1_4"][0].update(status="no"),
    "a fifth criterion among 1-4": lambda r: r["criteria"]["criteria_1_4"].append(
        {"number": 5, "field": "urge_to_move", "status": "met", "answer": True}),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_reports_are_refused(validator, name):
    report = json.loads(invoke(["score", str(EXAMPLES[0]), "--format", "json"]).stdout)
    broken = copy.deepcopy(report)
    BROKEN[name](broken)
    assert not validator.is_valid(broken), name


def test_the_answers_part_follows_the_intake_model(validator):
    answers = validator.schema["$defs"]["answers"]["properties"]
    assert list(answers) == list(FIELDS)
    expected = {"text": "string", "yesno": "boolean", "integer": "integer", "number": "number", "list": "array"}
    for name, spec in FIELDS.items():
        shape = answers[name] if spec.kind == "text" else answers[name]["anyOf"][0]
        if spec.kind == "choice":
            assert shape["enum"] == list(spec.choices), name
        else:
            assert shape["type"] == expected[spec.kind], name
        if spec.kind in ("integer", "number"):
            assert (shape.get("minimum"), shape.get("maximum")) == (spec.minimum, spec.maximum), name
