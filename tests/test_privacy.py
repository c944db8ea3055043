"""No error path echoes an answer: stderr (and the messages on stdout) name the field and the
reason only. Sentinel answers are fed to every error path and looked for in every stream; an
answer may appear only where it belongs (the report, the review table, the typed line itself).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke, typed_lines

from screener.ui import ask as ask_module
from screener.core.questionnaire import default_questionnaire

TEXT = "SENTINEL-7f3a"
NUMBER = 987654.321  # out of every range
WHOLE = 987654       # out of every range, for whole-number fields
SENTINELS = (TEXT, "987654")  # how the numbers would show, in any format
Q = default_questionnaire()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def assert_not_echoed(*streams: str) -> None:
    for stream in streams:
        for sentinel in SENTINELS:
            assert sentinel not in stream, stream


HOSTILE_ANSWERS = [
    {"age_years": TEXT}, {"age_years": WHOLE}, {"age_years": NUMBER}, {"ferritin_ng_ml": NUMBER},
    {"ferritin_ng_ml": f"{NUMBER} ng/mL"}, {"ferritin_ng_ml": f"30 {TEXT}"}, {"tsat_percent": "987654,321"},
    {"sex": TEXT}, {"sex": [TEXT]}, {"kidney_disease": {"code": TEXT}}, {"pregnant": TEXT}, {"smoker": NUMBER},
    {"medications": [1, TEXT]}, {"medications": {"a": TEXT}}, {"medications": NUMBER},
    {"respondent_id": {"id": TEXT}}, {"respondent_id": [TEXT]}, {"height_cm": f"{TEXT} m"},
    {"age_years": 40, "onset_age_years": 41, "pregnancy_trimester": WHOLE},
    {"favourite_colour": TEXT}, {"unknown_fields": [TEXT]}, [TEXT, NUMBER], TEXT, NUMBER,
]


@pytest.mark.parametrize("answers", HOSTILE_ANSWERS, ids=range(len(HOSTILE_ANSWERS)))
def test_score_errors_name_field_and_reason_only(tmp_path, answers):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    result = invoke(["score", str(path)], code=1)
    assert result.stderr and not result.stdout
    assert_not_echoed(result.stdout, result.stderr)
    result = invoke(["score", "-", "--format", "json"], input=json.dumps(answers), code=1)
    assert_not_echoed(result.stdout, result.stderr)


def test_a_cross_field_error_names_neither_answer(tmp_path):
    result = invoke(["score", "-"], input=json.dumps({"age_years": 98, "onset_age_years": 99}), code=1)
    assert "onset_age_years: later than age_years" in result.stderr
    assert "98" not in result.stderr and "99" not in result.stderr


@pytest.mark.parametrize("content", [f'{{"age_years": {TEXT}}}', f'{{"{TEXT}": 1,}}', f'"{TEXT}', f"{TEXT}"])
def test_invalid_json_is_not_quoted(tmp_path, content):
    path = tmp_path / "answers.json"
    path.write_text(content)
    result = invoke(["score", str(path)], code=1)
    assert "not valid JSON" in result.stderr
    assert_not_echoed(result.stdout, result.stderr)


def test_warnings_on_stderr_name_no_answer_but_the_report_keeps_it():
    answers = {"ferritin_ng_ml": 98765.4321, "sex": "male", "pregnant": "yes", "respondent_id": TEXT}
    result = invoke(["score", "-", "--format", "json"], input=json.dumps(answers))
    assert "warning: ferritin_ng_ml: outside the usual range" in result.stderr
    assert "98765" not in result.stderr and TEXT not in result.stderr and "male" not in result.stderr
    report = json.loads(result.stdout)
    assert report["respondent_id"] == TEXT and "98765" in report["warnings"][0]["message"]


# -- ask --resume with a hostile progress file ------------------------------------------------------

def progress(answers, **header) -> str:
    data = {"format": "screener-ask-progress", "version": 1, "questionnaire": Q.id, "answers": answers, **header}
    return json.dumps(data)


HOSTILE_PROGRESS = [
    progress({"age_years": TEXT}), progress({"age_years": WHOLE}), progress({"age_years": NUMBER}),
    progress({"age_years": 50, "sex": [TEXT]}), progress({"age_years": 50, "sex": {"x": TEXT}}),
    progress({"age_years": 50, "medications": [TEXT, 3]}), progress({"respondent_id": {"id": TEXT}}),
    progress({"age_years": 50, "ferritin_ng_ml": NUMBER}), progress({"age_years": 50, "ferritin_ng_ml": f"1 {TEXT}"}),
    progress({"age_years": 40, "urge_to_move": True, "onset_age_years": WHOLE}),
    progress({"shoe_size": TEXT}), progress({"age_years": None, "respondent_id": TEXT}),
    progress([TEXT, NUMBER]), progress(TEXT), progress(NUMBER), progress(None),
    progress({}, questionnaire=TEXT), progress({}, format=TEXT), json.dumps([TEXT]), json.dumps(TEXT),
    f'{{"format": "screener-ask-progress", "answers": {{"age_years": {TEXT}}}}}', "",
]


@pytest.mark.parametrize("content", HOSTILE_PROGRESS, ids=range(len(HOSTILE_PROGRESS)))
def test_a_hostile_progress_file_gets_field_and_reason_only(tmp_path, content):
    path = tmp_path / "progress.json"
    path.write_text(content)
    result = invoke(["ask", "--resume", str(path)], input="", code=1)
    assert result.stderr.startswith(str(path))
    assert_not_echoed(result.stdout, result.stderr)


def test_answers_to_questions_that_do_not_apply_are_dropped_from_a_progress_file(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(progress({"respondent_id": "p-1", "age_years": 60, "sex": "male", "pregnancy_trimester": TEXT}))
    result = invoke(["ask", "--resume", str(path)], input="", code=1)  # input ends: progress saved again
    assert_not_echoed(result.stdout, result.stderr)
    assert json.loads(path.read_text())["answers"] == {"respondent_id": "p-1", "age_years": 60, "sex": "male"}


# -- ask: re-asked answers and warnings -----------------------------------------------------------



PERSON = {"respondent_id": "a-1", "age_years": "50", "sex": "female", "urge_to_move": "yes",
          "ferritin_ng_ml": "30", "medications": "sertraline"}


def position(qid: str) -> int:
    given: dict = {}
    order = []
    while todo := [q for q in Q.applicable(given) if q.id not in given]:
        order.append(todo[0].id)
        given = Q.effective({**given, todo[0].id: Q.check(todo[0], PERSON.get(todo[0].id, ""), given).value})
    return order.index(qid)


def typed_lines_only(stdout: str, typed: set[str]) -> None:
    """The sentinels appear on stdout only as the transcript of the line typed."""
    for line in stdout.splitlines():
        if any(sentinel in line for sentinel in SENTINELS):
            assert line.removeprefix("> ").strip() in typed, line


def test_rejected_answers_are_re_asked_without_repeating_them():
    lines = typed_lines(PERSON)
    rejected = {"age_years": [TEXT, str(WHOLE), str(NUMBER)], "sex": [TEXT], "urge_to_move": [TEXT],
                "ferritin_ng_ml": [f"{NUMBER}", f"30 {TEXT}", "987654,321"]}
    for qid in sorted(rejected, key=position, reverse=True):
        at = position(qid)
        lines[at:at] = rejected[qid]
    result = invoke(["ask"], input="\n".join([*lines, ""]) + "\n")
    assert result.stdout.count("Not accepted:") == sum(map(len, rejected.values()))
    assert_not_echoed(result.stderr, *[line for line in result.stdout.splitlines() if "Not accepted" in line])
    typed_lines_only(result.stdout, {text for texts in rejected.values() for text in texts})


def test_warnings_while_answering_give_the_reason_only():
    answers = {**PERSON, "ferritin_ng_ml": "98765.4321", "medications": f"sertraline, {TEXT}"}
    result = invoke(["ask"], input="\n".join([*typed_lines(answers), ""]) + "\n")
    warnings = [line for line in result.stdout.splitlines() if line.startswith("Please check")]
    assert len(warnings) == 2 and "number 2 of 2" in warnings[1]
    assert_not_echoed(*warnings)
    assert "98765" not in "".join(warnings)
    assert TEXT in result.stdout  # the review table and the report show the answer, as they should


@pytest.mark.parametrize("which", ["answers.json", "report.json"])
def test_output_file_errors_name_no_answer(tmp_path, monkeypatch, which):
    real = ask_module.write_atomic

    def refuse(path: Path, data: bytes) -> None:
        if path.name == which:
            raise PermissionError(13, "Permission denied")
        real(path, data)

    monkeypatch.setattr(ask_module, "write_atomic", refuse)
    answers = {**PERSON, "respondent_id": TEXT, "ferritin_ng_ml": "30", "tsat_percent": "12.5"}
    result = invoke(["ask", "--answers-out", "answers.json", "--report-out", "report.json"],
                    input="\n".join([*typed_lines(answers), ""]) + "\n", code=1)
    assert f"{which}: cannot write: Permission denied" in result.stderr
    assert_not_echoed(result.stderr)


def test_check_reports_no_answer():
    result = invoke(["check"])
    assert_not_echoed(result.stdout, result.stderr)
