"""The command line: score, rules, check; bad input gets one clear line per problem."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import invoke

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def run(*args: str, stdin: str | None = None, code: int = 0):
    """Run `screener ARGS`; fails unless it exits with `code` and no exception escaped."""
    return invoke(list(args), code=code, input=stdin)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_score_examples_json_every_finding_cites_a_full_source(path):
    result = run("score", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "ok" and report["findings"]
    for finding in report["findings"]:
        assert finding["sources"], finding["rule_id"]
        for source in finding["sources"]:
            assert len(source["citation"]) > 40 and source["id"]
        assert finding["because"]


@pytest.mark.parametrize("fmt, marker", [("text", "Because:"), ("markdown", "**Because:**"), ("html", "<dt>Because</dt>")])
def test_score_other_formats(fmt, marker):
    result = run("score", str(EXAMPLES[0]), "--format", fmt)
    assert result.exit_code == 0 and marker in result.stdout and "not a diagnosis" in result.stdout


def test_score_reads_stdin_and_both_engines_agree():
    answers = EXAMPLES[0].read_text()
    a = json.loads(run("score", "-", "--format", "json", stdin=answers).stdout)
    b = json.loads(run("score", "-", "--format", "json", "--engine", "reference", stdin=answers).stdout)
    assert a.pop("created") and b.pop("created")  # when each was made
    assert a == b


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    ('{"ferritin_ng_ml": "abc"}', "ferritin_ng_ml: not a number"),
    ('{"pregnancy_trimester": 5}', "pregnancy_trimester: out of range (1 to 3)"),
    ('{"favourite_colour": "blue"}', "favourite_colour: is not a known field"),
    ("", "the file is empty"),
    ("   \n", "the file is empty"),
    ("[1, 2]", "expected an object"),
])
def test_bad_input_exits_1_with_one_line_per_problem(tmp_path, content, expected):
    path = tmp_path / "answers.json"
    path.write_text(content)
    result = run("score", str(path), code=1)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.output


def test_stderr_names_field_and_reason_but_never_the_answer(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"ferritin_ng_ml": "Jane Doe", "age_years": 40, "onset_age_years": 57, "sex": "x1y",'
                    ' "weight_kg": "70 stone", "tsat_percent": "12,75"}')
    result = run("score", str(path), code=1)
    assert result.exit_code == 1
    assert {line.split(": ")[1] for line in result.stderr.splitlines()} == {
        "ferritin_ng_ml", "onset_age_years", "sex", "weight_kg", "tsat_percent"}
    messages = result.stderr.replace(str(path), "")  # the temporary path may hold any digits
    for answer in ("Jane", "57", "x1y", "stone", "12,75"):
        assert answer not in messages
    warned = tmp_path / "warned.json"
    warned.write_text('{"ferritin_ng_ml": 2345, "sex": "male", "pregnant": "yes"}')
    result = run("score", str(warned), "--format", "json")
    assert result.exit_code == 0 and "2345" not in result.stderr.replace(str(warned), "")
    assert "warning: ferritin_ng_ml: outside the usual range" in result.stderr
    assert "warning: pregnant:" in result.stderr and "male" not in result.stderr
    # the report itself keeps the answer, for the clinician reading it
    assert "2345 is outside the usual range" in json.loads(result.stdout)["warnings"][0]["message"]


def test_stdin_is_named_in_errors():
    result = run("score", "-", stdin='{"ferritin_ng_ml": "abc"}', code=1)
    assert result.exit_code == 1 and result.stderr.startswith("stdin: ferritin_ng_ml:")


def test_several_problems_give_several_lines(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"ferritin_ng_ml": "abc", "pregnancy_trimester": 5}')
    result = run("score", str(path), code=1)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 2


def test_missing_file_is_an_input_problem(tmp_path):
    result = run("score", str(tmp_path / "nope.json"), code=1)
    assert result.exit_code == 1 and "cannot read: No such file" in result.stderr


def test_unknown_option_is_a_usage_error():
    assert run("score", "--format", "pdf", str(EXAMPLES[0]), code=2).exit_code == 2


def test_rules_text_and_json(rulebook):
    text = run("rules")
    assert text.exit_code == 0 and all(rule.id in text.stdout for rule in rulebook.rules)
    data = json.loads(run("rules", "--format", "json").stdout)
    assert len(data["rules"]) == len(rulebook.rules)
    assert all(rule["sources"] and rule["condition"] for rule in data["rules"])


def test_check_passes():
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok:")


def test_criteria_keep_unknown_apart_from_not_answered():
    answers = '{"urge_to_move": "yes", "worse_at_rest": "unsure", "relieved_by_movement": "yes"}'
    report = json.loads(run("score", "-", "--format", "json", stdin=answers).stdout)
    assert report["criteria"]["met"] is None
    assert report["criteria"]["missing"][:2] == ["worse_at_rest", "worse_evening_night"]
    assert report["criteria"]["unknown"] == ["worse_at_rest"]
    text = " ".join(run("score", "-", stdin=answers).stdout.split())
    assert ("criteria 1 and 3 met; criteria 2 and 4 unknown (worse at rest: answered unsure, worse in the evening "
            "or night: not answered)") in text
    assert "worse_at_rest" not in text and "leg_edema" not in text  # labels, never field ids or codes


def test_because_says_when_bmi_comes_from_height_and_weight():
    derived = json.loads(run("score", "-", "--format", "json", stdin='{"height_cm": 160, "weight_kg": 90}').stdout)
    [because] = [f["because"] for f in derived["findings"] if f["code"] == "obesity"]
    assert "BMI 35.2 kg/m² (from height and weight) ≥ 30" in because
    given = json.loads(run("score", "-", "--format", "json", stdin='{"bmi": 33}').stdout)
    [because] = [f["because"] for f in given["findings"] if f["code"] == "obesity"]
    assert "BMI 33 kg/m² ≥ 30" in because and "height" not in because


def test_markdown_shows_answers_as_written_never_as_markup():
    answers = '{"respondent_id": "<img src=x>", "medications": ["*sertraline* [x](http://e.org)"]}'
    text = run("score", "-", "--format", "markdown", stdin=answers).stdout
    assert text.startswith("# Screening report: \\<img src=x\\>\n")
    assert "\\*sertraline\\* \\[x\\](http://e.org)" in text
    assert not re.search(r"(?<!\\)(<img|\*sertraline)", text)  # nothing left unescaped
