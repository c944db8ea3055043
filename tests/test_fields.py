"""The field reference (docs/fields.md, `screener fields`): generated from the Intake model and the
questionnaire, committed up to date, and where every message about an unknown field points."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from helpers import invoke

from screener.core.fields_ref import render
from screener.core.intake import FIELDS
from screener.core.parse import parse_intake
from screener.core.questionnaire import default_questionnaire

ROOT = Path(__file__).resolve().parent.parent
Q = default_questionnaire()


def test_docs_fields_md_is_up_to_date():
    committed = (ROOT / "docs" / "fields.md").read_text(encoding="utf-8")
    assert committed == render(Q, "markdown"), "regenerate: screener fields --format markdown > docs/fields.md"


def test_every_field_is_listed_with_its_codes_and_names():
    entries = json.loads(invoke(["fields", "--format", "json"]).stdout)
    assert [e["id"] for e in entries] == [q.id for q in Q.questions] and set(FIELDS) == {e["id"] for e in entries}
    by_id = {e["id"]: e for e in entries}
    ferritin = by_id["ferritin_ng_ml"]
    assert ferritin["unit"] == "ng/mL" and "pmol/l" in ferritin["accepted_units"]
    assert ferritin["range"] == "0-100000" and ferritin["usual_range"] == "1-2000"
    assert ferritin["loinc"] == ["2276-4", "20567-4"] and ferritin["fhir_link_id"] == "ferritin_ng_ml"
    assert by_id["relieved_by_one_position_change"]["redcap_name"] == "position_change_relieves"
    assert by_id["pregnant"]["asked_when"] == "sex = female and age_years ≥ 12 and age_years ≤ 55"
    assert "don't know: unknown, unsure" in by_id["smoker"]["accepted_answers"]
    assert "derived" in by_id["dopaminergic_worsening"]["asked_when"]
    assert by_id["kidney_disease"]["choices"][0] == "none = No kidney disease"
    markdown = invoke(["fields", "--format", "markdown"]).stdout
    assert "| `bmi` |" in markdown and "LOINC 39156-5" in markdown
    assert "sleep_hours: number (hours), 0-24" in invoke(["fields"]).stdout


def test_the_csv_template_is_a_header_row_of_field_ids_that_batch_reads(tmp_path):
    text = invoke(["fields", "--format", "csv"]).stdout
    [header] = list(csv.reader(io.StringIO(text)))
    assert header == [q.id for q in Q.questions]
    filled = tmp_path / "intake.csv"
    row = {name: "" for name in header} | {"respondent_id": "S1", "age_years": "40", "ferritin_ng_ml": "30"}
    filled.write_text(text + ",".join(row[name] for name in header) + "\n", encoding="utf-8")
    result = invoke(["batch", str(filled), "--quiet", "--jobs", "1"])
    assert "unmatched" not in result.stderr and ",S1,ok," in result.stdout


@pytest.mark.parametrize("message", [
    parse_intake({"shoe_size_of_the_patient": 9}).errors[0].message,
])
def test_messages_about_unknown_fields_point_to_the_field_list(message):
    assert "docs/fields.md" in message and "screener fields" in message


def test_batch_without_a_matching_header_points_to_the_field_list(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("colour,shape\nred,round\n", encoding="utf-8")
    result = invoke(["batch", str(path)], code=2)
    assert "docs/fields.md" in result.stderr
