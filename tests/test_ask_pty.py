"""`screener ask` in a real pseudo-terminal (pexpect): a whole questionnaire with a bad answer,
help, back and a change at the review, then the report on the screen; and Ctrl-C + resume."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from screener.core.questionnaire import default_questionnaire  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
Q = default_questionnaire()
TIMEOUT = 60  # generous: CI machines can be slow, and nothing here is timed
ANSWERS = {
    "respondent_id": "pty-1", "age_years": "52", "sex": "female", "urge_to_move": "yes",
    "worse_at_rest": "yes", "relieved_by_movement": "yes", "worse_evening_night": "yes",
    "symptom_days_per_week": "4", "onset_age_years": "38", "family_history_rls": "yes",
    "cramps_hard_knotted_muscle": "yes", "ferritin_ng_ml": "30", "tsat_percent": "15", "pregnant": "no",
    "kidney_disease": "1", "medications": "sertraline 50 mg", "started_after_new_drug": "no", "smoker": "no",
}
QUESTION_TEXTS = [q.text for q in Q.questions]


def default_sigint() -> None:
    """In the child before exec: Ctrl-C interrupts again. A process started in the background
    inherits SIGINT as ignored, and then `sendintr()` would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(tmp_path: Path, *args: str, command: str = "ask", pager: str = "cat", rows: int = 50, columns: int = 200):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": str(columns), "LINES": str(rows),
           "TERM": "xterm", "PAGER": pager}
    env.pop("FORCE_COLOR", None)
    return pexpect.spawn(sys.executable, ["-m", "screener", command, *args], cwd=str(tmp_path), env=env,
                         encoding="utf-8", timeout=TIMEOUT, dimensions=(rows, columns), preexec_fn=default_sigint)


def next_question(child) -> str | None:
    """Wait for the next question (its id) or the review screen (None)."""
    index = child.expect([re.escape(text) for text in QUESTION_TEXTS] + ["Your answers"])
    if index == len(QUESTION_TEXTS):
        return None
    child.expect_exact("> ")
    return Q.questions[index].id


def test_whole_questionnaire_in_a_terminal(tmp_path):
    child = spawn(tmp_path, "--answers-out", "answers.json", "--report-out", "report.md")
    child.logfile_read = transcript = io.StringIO()
    seen: dict[str, int] = {}
    try:
        while (qid := next_question(child)) is not None:
            seen[qid] = seen.get(qid, 0) + 1
            if qid == "age_years" and seen[qid] == 1:
                child.sendline("fifty-two")
                child.expect_exact("Not accepted: not a number.")
                child.expect_exact("> ")
            if qid == "urge_to_move" and seen[qid] == 1:
                child.sendline("?")
                child.expect_exact("Why we ask:")
                child.expect_exact("> ")
            if qid == "worse_at_rest" and seen[qid] == 1:
                child.sendline("back")  # to urge_to_move, which shows its current answer
                assert next_question(child) == "urge_to_move"
                seen["urge_to_move"] += 1
                child.sendline("")      # Enter keeps "yes"
                continue
            child.sendline(ANSWERS.get(qid, ""))
        assert seen["urge_to_move"] == 2 and seen["worse_at_rest"] == 2
        assert "pregnancy_trimester" not in seen and "dopaminergic_worsening" not in seen
        # the review: change the smoker answer by its number, then see the report
        child.expect_exact("Type a number to change that answer")
        review = child.before
        number = re.search(r"(\d+) │ smoker ", review).group(1)
        child.sendline(number)
        assert next_question(child) == "smoker"
        child.sendline("yes")
        assert next_question(child) is None
        child.expect_exact("Type a number to change that answer")
        child.sendline("")
        for text in ("Screening report: pty-1", "Plausible contributors", "Mimics to exclude", "Details",
                     "Because:", "Advice:", "Evidence:", "References:", "References",
                     "screener is a screening aid for clinicians"):
            child.expect_exact(text)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0 and child.signalstatus is None, child.before
    assert "Traceback" not in transcript.getvalue()
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", transcript.getvalue())  # NO_COLOR: no colours
    answers = json.loads((tmp_path / "answers.json").read_text())
    assert answers["smoker"] is True and answers["age_years"] == 52 and answers["urge_to_move"] is True
    report = (tmp_path / "report.md").read_text()
    for title in ("Iron stores below the adult treatment threshold", "An SSRI antidepressant may worsen RLS",
                  "Smoking may aggravate RLS"):
        assert f"**{title}**" in report and f"#### {title}" in report  # in the summary and the details


def screen_text(child) -> str:
    """Everything the child printed until it ended."""
    child.expect(pexpect.EOF)
    return child.before


@pytest.mark.parametrize("args, paged", [((), True), (("--no-pager",), False)])
def test_a_long_report_goes_through_the_pager(tmp_path, args, paged):
    example = str(ROOT / "examples" / "pregnant-third-trimester.json")
    child = spawn(tmp_path, example, *args, command="score", pager="cat > paged.txt", rows=24, columns=80)
    try:
        shown = screen_text(child)
    finally:
        child.close()
    assert child.exitstatus == 0, shown
    paged_text = (tmp_path / "paged.txt").read_text() if (tmp_path / "paged.txt").exists() else ""
    if paged:  # the pager got the whole report, summary first
        assert "Screening report: example-002" not in shown and "References" in paged_text
        assert paged_text.index("Alerts: defer to a clinician") < paged_text.index("Details")
    else:
        assert not paged_text and "Screening report: example-002" in shown and "References" in shown


def test_a_report_that_fits_the_screen_is_not_paged(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"age_years": 40, "ferritin_ng_ml": 200, "tsat_percent": 30}')
    child = spawn(tmp_path, str(answers), command="score", pager="cat > paged.txt", rows=200, columns=200)
    try:
        shown = screen_text(child)
    finally:
        child.close()
    assert child.exitstatus == 0 and "Screening report" in shown and not (tmp_path / "paged.txt").exists()


def test_ctrl_c_saves_progress_and_resume_continues(tmp_path):
    child = spawn(tmp_path)
    child.logfile_read = transcript = io.StringIO()
    try:
        for _ in range(3):  # respondent id, age, sex
            qid = next_question(child)
            child.sendline(ANSWERS[qid])
        assert next_question(child) == "urge_to_move"
        child.sendintr()
        child.expect_exact("Progress saved to screener-progress.json")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130 and child.signalstatus is None, child.before
    assert "Traceback" not in transcript.getvalue()
    saved = json.loads((tmp_path / "screener-progress.json").read_text())["answers"]
    assert saved == {"respondent_id": "pty-1", "age_years": 52, "sex": "female"}

    child = spawn(tmp_path, "--resume", "screener-progress.json")
    child.logfile_read = transcript
    try:
        child.expect_exact("Continuing from screener-progress.json (3 answers so far)")
        assert next_question(child) == "urge_to_move"
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130 and child.signalstatus is None, child.before
    assert "Traceback" not in transcript.getvalue()
