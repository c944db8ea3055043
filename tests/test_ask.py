"""`screener ask` with piped answers (CliRunner): skip logic, re-ask, back, review and edit,
resume, and the files it writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import invoke, typed_lines

from screener.ui import ask as ask_module
from screener.core.questionnaire import default_questionnaire
from screener.ui.render import DISCLAIMER, HEADINGS

Q = default_questionnaire()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Every run in an empty folder: progress files land there, never in the checkout."""
    monkeypatch.chdir(tmp_path)


PERSON = {
    "respondent_id": "t-1", "age_years": "52", "sex": "female", "urge_to_move": "yes",
    "worse_at_rest": "yes", "relieved_by_movement": "yes", "worse_evening_night": "yes",
    "symptom_days_per_week": "4", "onset_age_years": "38", "family_history_rls": "yes",
    "cramps_hard_knotted_muscle": "yes", "ferritin_ng_ml": "30", "tsat_percent": "15",
    "pregnant": "no", "kidney_disease": "none", "medications": "sertraline 50 mg, atorvastatin",
    "started_after_new_drug": "no", "smoker": "no",
}




def _without_stamp(text: str) -> str:
    """A text report without its time stamp line (the minute may differ between two runs)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("Made "))


def run(lines: list[str], *args: str, code: int = 0):
    """`screener ask ARGS` with these lines piped in; fails unless it exits with `code` and nothing escaped."""
    return invoke(["ask", *args], code=code, input="\n".join(lines) + "\n")


def position(qid: str, answers: dict[str, str] = PERSON) -> int:
    """0-based position of a question among those asked of this person."""
    given: dict = {}
    order = []
    while todo := [q for q in Q.applicable(given) if q.id not in given]:
        question = todo[0]
        order.append(question.id)
        text = answers.get(question.id, "")
        given = Q.effective({**given, question.id: Q.check(question, text, given).value})
    return order.index(qid)


def answers_out(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "answers.json").read_text())


def test_whole_questionnaire_piped_writes_answers_that_score_accepts(tmp_path):
    out, report = tmp_path / "answers.json", tmp_path / "report.json"
    result = run([*typed_lines(PERSON), ""], "--answers-out", str(out), "--report-out", str(report))
    assert result.exit_code == 0, result.output
    screen = result.stdout
    for kind in ("contributor", "mimic", "primary_indicator"):
        assert HEADINGS[kind] in screen
    assert "Because:" in screen and "Advice:" in screen and "Evidence:" in screen and "References:" in screen
    assert "Why it matters:" in screen
    # the same report as `score --format text` of the same answers (one rendering), summary first
    on_screen = screen[screen.rindex("\n", 0, screen.index("Screening report: t-1")) + 1:screen.rindex("Wrote ")]
    assert _without_stamp(on_screen) == _without_stamp(invoke(["score", str(out)]).stdout)
    assert on_screen.index("Plausible contributors") < on_screen.index("Details") < on_screen.index("Because:")
    # a citation that wraps stays aligned under its own text, so each source reads as one block
    references = screen[screen.index("\nReferences\n"):].splitlines()[2:4]
    assert references[0].startswith("  [1]") and references[1].startswith(" " * references[0].index("[1]") + "   ")
    assert " ".join(DISCLAIMER.split()) in " ".join(screen.split())
    saved = json.loads(out.read_text())
    assert saved["ferritin_ng_ml"] == 30 and saved["medications"] == ["sertraline 50 mg", "atorvastatin"]
    assert "hemoglobin_g_dl" not in saved  # skipped answers are left out
    # round trip: score reads the answers file and finds the same as the report written by ask
    scored = invoke(["score", str(out), "--format", "json"])
    assert scored.exit_code == 0, scored.output
    from_score, from_ask = json.loads(scored.stdout), json.loads(report.read_text())
    assert from_score["findings"] == from_ask["findings"]
    codes = {f["code"] for f in from_ask["findings"]}
    assert {"iron_deficiency", "drug_ssri", "leg_cramps", "family_history", "early_onset"} <= codes


def test_report_out_markdown_by_extension(tmp_path):
    report = tmp_path / "report.md"
    result = run([*typed_lines(PERSON), ""], "--report-out", str(report))
    assert result.exit_code == 0, result.output
    text = report.read_text()
    assert text.startswith("# Screening report: t-1") and DISCLAIMER in text and "**Because:**" in text


def test_report_out_with_an_unknown_extension_is_a_usage_error(tmp_path):
    result = run([], "--report-out", str(tmp_path / "report.pdf"), code=2)
    assert result.exit_code == 2 and "use .json, .md, .markdown, .html, .htm, .txt" in result.output


def test_report_out_html_and_json_record_when_and_from_what(tmp_path):
    page, report = tmp_path / "report.html", tmp_path / "report.json"
    assert run([*typed_lines(PERSON), ""], "--report-out", str(page)).exit_code == 0
    assert run([*typed_lines(PERSON), ""], "--report-out", str(report)).exit_code == 0
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "Screening report: t-1" in html and "<time datetime=" in html
    saved = json.loads(report.read_text())
    assert saved["created"] and saved["answers"]["ferritin_ng_ml"] == 30 and saved["answers"]["respondent_id"] == "t-1"


def test_skip_logic_on_screen():
    man = {**PERSON, "sex": "male", "urge_to_move": "no"}
    result = run([*typed_lines(man), ""])
    assert result.exit_code == 0, result.output
    assert "Are you pregnant?" not in result.stdout
    assert Q["symptom_days_per_week"].text not in result.stdout
    for follow_up in ("worse_at_rest", "relieved_by_movement", "worse_evening_night", "onset_age_years"):
        assert Q[follow_up].text not in result.stdout, follow_up  # they ask about the urge
    assert Q["family_history_rls"].text in result.stdout
    assert Q["cramps_hard_knotted_muscle"].text in result.stdout  # urge answered (no)
    shown = " ".join(result.stdout.split())
    assert "criterion 1 not met (urge to move the legs: no); criteria 2-4 not applicable" in shown
    assert "Diagnostic criteria 1-4 not all answered" not in shown  # no gap asks for criteria 2-4
    assert Q["dopaminergic_worsening"].text not in result.stdout
    assert Q["started_after_new_drug"].text in result.stdout

    pregnant = {**PERSON, "age_years": "30", "onset_age_years": "20", "pregnant": "yes",
                "pregnancy_trimester": "3", "medications": "ropinirole", "dopaminergic_worsening": "no"}
    result = run([*typed_lines(pregnant), ""], "--report-out", "r.json")
    assert Q["pregnancy_trimester"].text in result.stdout
    assert Q["dopaminergic_worsening"].text in result.stdout


def test_bad_answers_are_re_asked_with_the_reason(tmp_path):
    lines = typed_lines(PERSON)
    age = position("age_years")
    ferritin = position("ferritin_ng_ml")
    lines[ferritin:ferritin + 1] = ["lots", "30 mg", "30 ng/mL"]
    lines[age:age + 1] = ["fifty", "200", "52"]
    result = run([*lines, ""], "--answers-out", str(tmp_path / "answers.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Not accepted: not a number.") == 2  # the reason, never the answer again
    assert "Not accepted: out of range (0 to 120 years)" in result.stdout
    assert "Not accepted: unknown unit (accepted units:" in result.stdout
    saved = answers_out(tmp_path)
    assert saved["age_years"] == 52 and saved["ferritin_ng_ml"] == 30


def test_required_question_cannot_be_skipped_and_help_is_shown():
    lines = typed_lines(PERSON)
    age = position("age_years")
    lines[age:age + 1] = ["", "skip", "?", "52"]
    result = run([*lines, ""])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Not accepted: this question needs an answer") == 2
    assert f"Why we ask: {Q['age_years'].help}" in result.stdout


def test_back_returns_to_the_previous_question_and_enter_keeps_answers(tmp_path):
    lines = typed_lines(PERSON)
    sex = position("sex")
    urge = position("urge_to_move")
    # at the urge question: back twice (to sex, then age), change age, keep sex with Enter
    lines[urge:urge] = ["back", "back", "47", ""]
    # at the very first question, back has nowhere to go
    lines[0:0] = ["back"]
    assert sex < urge
    result = run([*lines, ""], "--answers-out", str(tmp_path / "answers.json"))
    assert result.exit_code == 0, result.output
    assert "This is the first question." in result.stdout
    assert "Current answer: 52 years (Enter keeps it)" in result.stdout
    assert "Current answer: Female (Enter keeps it)" in result.stdout
    saved = answers_out(tmp_path)
    assert saved["age_years"] == 47 and saved["sex"] == "female" and saved["urge_to_move"] is True


def review_number(qid: str, answers: dict[str, str]) -> str:
    """The number of a question on the review screen (the questions that apply, in order)."""
    given: dict = {}
    while todo := [q for q in Q.applicable(given) if q.id not in given]:
        question = todo[0]
        given = Q.effective({**given, question.id: Q.check(question, answers.get(question.id, ""), given).value})
    return str([q.id for q in Q.applicable(given)].index(qid) + 1)


def test_review_lists_every_answer_and_lets_one_be_changed(tmp_path):
    ferritin, tsat = review_number("ferritin_ng_ml", PERSON), review_number("tsat_percent", PERSON)
    result = run([*typed_lines(PERSON), "99", ferritin, "120", tsat, "30", ""],
                 "--answers-out", str(tmp_path / "answers.json"), "--report-out", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    assert "Your answers" in result.stdout
    assert "Not accepted: type a number from 1 to" in result.stdout
    assert result.stdout.count("Your answers") == 3  # shown again after each change
    assert answers_out(tmp_path)["ferritin_ng_ml"] == 120 and answers_out(tmp_path)["tsat_percent"] == 30
    codes = {f["code"] for f in json.loads((tmp_path / "r.json").read_text())["findings"]}
    assert "iron_deficiency" not in codes


def test_change_at_review_asks_what_it_newly_opens_up(tmp_path):
    no_urge = {**PERSON, "urge_to_move": "no"}
    urge = review_number("urge_to_move", no_urge)
    # urge no -> yes at the review: criteria 2-4 and the two course questions are asked, then
    # the review again
    result = run([*typed_lines(no_urge), urge, "yes", "yes", "unsure", "yes", "5", "40", ""],
                 "--answers-out", str(tmp_path / "answers.json"))
    assert result.exit_code == 0, result.output
    saved = answers_out(tmp_path)
    assert saved["urge_to_move"] is True and saved["symptom_days_per_week"] == 5 and saved["onset_age_years"] == 40
    assert (saved["worse_at_rest"], saved["relieved_by_movement"], saved["worse_evening_night"]) == (True, "unsure", True)
    # and yes -> no drops them again
    result = run([*typed_lines(PERSON), review_number("urge_to_move", PERSON), "no", ""],
                 "--answers-out", str(tmp_path / "answers.json"))
    saved = answers_out(tmp_path)
    assert saved["urge_to_move"] is False and "symptom_days_per_week" not in saved and "onset_age_years" not in saved
    assert not {"worse_at_rest", "relieved_by_movement", "worse_evening_night"} & set(saved)


def test_back_at_a_review_change_returns_to_the_review(tmp_path):
    number = review_number("smoker", PERSON)
    result = run([*typed_lines(PERSON), number, "back", ""], "--answers-out", str(tmp_path / "answers.json"))
    assert result.exit_code == 0, result.output
    assert answers_out(tmp_path)["smoker"] is False


def test_end_of_input_saves_progress_and_resume_continues(tmp_path):
    lines = typed_lines(PERSON)
    half = position("ferritin_ng_ml")
    first = run(lines[:half], code=1)  # input ends mid-questionnaire: progress saved, exit 1
    assert first.exit_code == 1
    assert "Progress saved to screener-progress.json" in first.stderr
    assert "screener ask --resume screener-progress.json" in first.stderr
    progress = json.loads(Path("screener-progress.json").read_text())
    assert progress["format"] == "screener-ask-progress" and len(progress["answers"]) == half
    assert oct(os.stat("screener-progress.json").st_mode & 0o777) == "0o600"
    assert [p.name for p in Path(".").iterdir()] == ["screener-progress.json"]  # no temp file left

    second = run([*lines[half:], ""], "--resume", "screener-progress.json", "--answers-out", "a.json")
    assert second.exit_code == 0, second.output
    assert "Continuing from screener-progress.json" in second.stdout
    saved = json.loads(Path("a.json").read_text())
    assert saved["age_years"] == 52 and saved["ferritin_ng_ml"] == 30 and saved["smoker"] is False

    # a second interrupted run does not overwrite the first progress file
    third = run(["p2"], code=1)
    assert third.exit_code == 1
    assert "Progress saved to screener-progress-2.json" in third.stderr


def test_ctrl_c_saves_progress_to_the_resumed_file(tmp_path, monkeypatch):
    lines = iter(typed_lines(PERSON)[1:6])  # the progress file already holds respondent_id

    def fake_input(prompt=""):
        try:
            return next(lines)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr("builtins.input", fake_input)
    path = tmp_path / "progress.json"
    ask_module.save_progress(path, Q, {"respondent_id": "x"})
    result = invoke(["ask", "--resume", str(path)], code=ask_module.EXIT_INTERRUPTED)
    assert result.exit_code == ask_module.EXIT_INTERRUPTED
    assert f"Stopped. Progress saved to {path}" in result.stderr
    assert len(json.loads(path.read_text())["answers"]) == 6


def test_nothing_answered_nothing_saved(tmp_path):
    result = invoke(["ask"], input="", code=1)
    assert result.exit_code == 1 and "nothing saved" in result.stderr
    assert not list(Path(".").iterdir())


@pytest.mark.parametrize("content, expected", [
    ("{oops", "not valid JSON"),
    ('{"age_years": 40}', "not a progress file written by screener ask"),
    ('{"format": "screener-ask-progress", "questionnaire": "other", "answers": {}}', "progress of another questionnaire"),
    ('{"format": "screener-ask-progress", "questionnaire": "rls_intake", "answers": {"age_years": 500}}',
     "age_years: out of range"),
    ('{"format": "screener-ask-progress", "questionnaire": "rls_intake", "answers": {"shoe_size": 9}}',
     "shoe_size: is not a question of this questionnaire"),
])
def test_bad_resume_file_is_refused_naming_the_problem(tmp_path, content, expected):
    path = tmp_path / "progress.json"
    path.write_text(content)
    result = run([], "--resume", str(path), code=1)
    assert result.exit_code == 1 and expected in result.stderr
    assert "Traceback" not in result.output


def test_no_colour_codes_when_not_a_terminal():
    result = run([*typed_lines(PERSON), ""])
    assert result.exit_code == 0 and "\x1b[" not in result.output


def test_output_folder_must_exist_before_any_question(tmp_path):
    result = run([], "--answers-out", str(tmp_path / "missing" / "answers.json"), code=2)
    assert result.exit_code == 2 and "does not exist" in result.stderr and "Question 1" not in result.stdout


def test_answers_are_kept_when_the_answers_file_cannot_be_written(tmp_path, monkeypatch):
    real = ask_module.write_atomic

    def refuse(path, data):
        if path.name == "answers.json":
            raise PermissionError(13, "Permission denied")
        real(path, data)

    monkeypatch.setattr(ask_module, "write_atomic", refuse)
    result = run([*typed_lines(PERSON), ""], "--answers-out", str(tmp_path / "answers.json"), code=1)
    assert result.exit_code == 1
    assert "cannot write: Permission denied" in result.stderr
    assert "The answers are saved to screener-progress.json" in result.stderr
    saved = json.loads(Path("screener-progress.json").read_text())["answers"]
    assert saved["ferritin_ng_ml"] == 30
