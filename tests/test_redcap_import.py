"""REDCap exports in: `batch --redcap-dictionary` reads the raw and the label export of the exported
dictionary (or of a site's edited copy) to the same output as the same answers as JSON Lines."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from helpers import invoke

from screener.core.questionnaire import default_questionnaire
from screener.io.redcap import dictionary_csv, records_csv

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "examples" / "redcap"
Q = default_questionnaire()


def batch(*args: str) -> str:
    return invoke(["batch", *args, "--quiet", "--jobs", "1"]).stdout


def test_the_committed_examples_are_what_the_script_makes():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from make_redcap_examples import files
    finally:
        sys.path.remove(str(ROOT / "examples"))
    for name, text in files().items():
        assert (FOLDER / name).read_text(encoding="utf-8") == text, "regenerate: python examples/make_redcap_examples.py"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_raw_and_label_exports_give_the_output_of_the_json_lines_answers(fmt):
    dictionary = str(FOLDER / "dictionary.csv")
    expected = batch(str(FOLDER / "answers.jsonl"), "--format", fmt)
    assert batch(str(FOLDER / "export-raw.csv"), "--redcap-dictionary", dictionary, "--format", fmt) == expected
    assert batch(str(FOLDER / "export-labels.csv"), "--redcap-dictionary", dictionary, "--format", fmt) == expected
    assert expected.count("\n") > 30


def test_the_exports_hold_what_real_ones_hold():
    raw = list(csv.reader(io.StringIO((FOLDER / "export-raw.csv").read_text(encoding="utf-8"))))
    labels = list(csv.reader(io.StringIO((FOLDER / "export-labels.csv").read_text(encoding="utf-8"))))
    assert raw[0][0] == "respondent_id" and raw[0][-1] == "rls_intake_complete"
    assert labels[0][0] == Q.record_id.text and labels[0][-1] == "Complete?"
    column = raw[0].index("urge_to_move")
    assert {row[column] for row in raw[1:]} <= {"1", "0", "UNK", ""} and {"1", "0"} <= {r[column] for r in raw[1:]}
    assert {row[column] for row in labels[1:]} <= {"Yes", "No", "Don't know", ""}
    sex = raw[0].index("sex")
    assert {row[sex] for row in labels[1:]} <= {"Female", "Male", "Other"}


def _site_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A site's own dictionary: renamed labels, yes/no coded 1/2, sex as numbers, an extra field,
    medicines as a checkbox; and a raw export of it with redcap_* columns."""
    rows = list(csv.DictReader(io.StringIO(dictionary_csv(Q))))
    for row in rows:
        if row["Variable / Field Name"] == "urge_to_move":
            row["Field Label"] = "Urge to move the legs?"
            row["Choices, Calculations, OR Slider Labels"] = "1, Yes | 2, No | UNK, Don't know"
        if row["Variable / Field Name"] == "sex":
            row["Choices, Calculations, OR Slider Labels"] = "1, Female | 2, Male | 3, Other | 4, Prefer not to say"
        if row["Variable / Field Name"] == "medications":
            row["Field Type"] = "checkbox"
            row["Choices, Calculations, OR Slider Labels"] = "1, sertraline | 2, pramipexole | 3, ferrous sulfate"
    rows.append({**rows[-1], "Variable / Field Name": "visit_notes", "Field Label": "Notes", "Field Type": "notes",
                 "Section Header": "", "Branching Logic (Show field only if...)": ""})
    dictionary = tmp_path / "site-dictionary.csv"
    dictionary.write_text(json_free_csv(rows), encoding="utf-8")
    export = tmp_path / "site-export.csv"
    export.write_text(
        "respondent_id,redcap_event_name,age_years,sex,urge_to_move,medications___1,medications___2,"
        "medications___3,ferritin_ng_ml,visit_notes,rls_intake_complete\n"
        "S1,baseline_arm_1,52,1,1,1,0,1,18,first visit,2\n"
        "S2,baseline_arm_1,67,2,2,0,1,0,210,,2\n"
        "S3,baseline_arm_1,45,4,UNK,0,0,0,,,1\n", encoding="utf-8")
    return dictionary, export


def json_free_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_sites_edited_dictionary_maps_codes_labels_and_checkboxes(tmp_path):
    dictionary, export = _site_copy(tmp_path)
    result = invoke(["batch", str(export), "--redcap-dictionary", str(dictionary), "--format", "jsonl", "--jobs", "1"])
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in reports] == ["ok", "ok", "invalid"]
    first = reports[0]
    assert "drug_ssri" in {f["code"] for f in first["findings"]} and "iron_deficiency" in {f["code"] for f in first["findings"]}
    assert any(e["field"] == "sex" for e in reports[2]["errors"])  # "Prefer not to say" is no intake answer
    assert "visit_notes" in result.stderr and "is not an intake field" in result.stderr
    assert "choice 4 of sex matches no answer" in result.stderr
    assert "redcap_event_name" not in result.stderr and "rls_intake_complete" not in result.stderr
    assert "augmentation" not in {f["code"] for f in reports[1]["findings"]}  # pramipexole, no worsening answer
    assert {"medications_unrecognised"}.isdisjoint({f["code"] for f in reports[1]["findings"]})


def test_redcap_dictionary_and_mapping_cannot_be_combined(tmp_path):
    result = invoke(["batch", str(FOLDER / "export-raw.csv"), "--redcap-dictionary", str(FOLDER / "dictionary.csv"),
                     "--mapping", str(ROOT / "examples" / "spreadsheet-mapping.yaml")], code=2)
    assert "--redcap-dictionary" in result.stderr


def test_a_file_that_is_not_a_dictionary_stops_the_run(tmp_path):
    wrong = tmp_path / "x.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    result = invoke(["batch", str(FOLDER / "export-raw.csv"), "--redcap-dictionary", str(wrong)], code=2)
    assert "not a REDCap data dictionary" in result.stderr


def test_a_huge_dictionary_is_refused_naming_the_file(tmp_path):
    huge = tmp_path / "huge.csv"
    huge.write_bytes(b"x" * ((4 << 20) + 1))
    result = invoke(["batch", str(FOLDER / "export-raw.csv"), "--redcap-dictionary", str(huge)], code=2)
    assert f"{huge}: larger than 4 MiB; is it a data dictionary?" in result.stderr


def test_records_leave_hidden_fields_blank():
    text = records_csv([{"respondent_id": "A", "age_years": 40, "sex": "male", "pregnant": "yes"}], Q)
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["pregnant"] == "" and row["sex"] == "male" and row["respondent_id"] == "A"


def test_unk_is_dont_know_in_any_field_and_a_blank_is_not_answered(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("respondent_id,age_years,sex,urge_to_move,ferritin_ng_ml,rls_intake_complete\n"
                      "U1,50,male,UNK,UNK,2\nU2,50,male,,,0\n", encoding="utf-8")
    out = invoke(["batch", str(export), "--redcap-dictionary", str(FOLDER / "dictionary.csv"), "--format", "jsonl",
                  "--quiet", "--jobs", "1"]).stdout
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["status"] == second["status"] == "ok"
    assert first["answers"]["ferritin_ng_ml"] == first["answers"]["urge_to_move"] == "unknown"
    assert "ferritin_ng_ml" not in second["answers"] and "urge_to_move" not in second["answers"]
    assert "ferritin_missing" in {f["code"] for f in first["findings"]}
