"""One answer grammar: what `ask` accepts, `score` and `batch` accept too, with the same meaning.

The grammar lives in the Intake model's cleaners; `ask` adds only the number of a choice on
its menu (a number in a file would be ambiguous with coded exports).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import invoke, typed_lines
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.core.cached_intake import RowValidator
from screener.core.intake import FIELDS, UNKNOWN, FieldSpec
from screener.core.parse import parse_intake
from screener.core.questionnaire import UNSURE, AnswerError, default_questionnaire

Q = default_questionnaire()
CHOICE_QUESTIONS = [q for q in Q.questions if q.spec.kind == "choice"]
VALIDATOR = RowValidator(max_cached=50)
SEX_SPELLINGS = [("f", "female"), ("F", "female"), ("fem", "female"), ("Female ", "female"), (" FEMALE", "female"),
                 ("m", "male"), ("Male", "male"), ("o", "other")]
NONE_SPELLINGS = ["none", "None", "nil", "NIL", "no medicines", "No Medications", " no  medicines ", "nothing"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def score_json(answers: dict, code: int = 0):
    result = invoke(["score", "-", "--format", "json"], input=json.dumps(answers), code=code)
    return (json.loads(result.stdout) if code == 0 else None), result.stderr


def batch_rows(tmp_path, header: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    path = tmp_path / "intake.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    result = invoke(["batch", str(path), "--quiet", "--jobs", "1"])
    return list(csv.DictReader(io.StringIO(result.stdout)))


def codes(report: dict) -> set[str]:
    return {finding["code"] for finding in report["findings"]}


# -- choices ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling, code", SEX_SPELLINGS)
def test_choice_spellings_in_score(spelling, code):
    assert parse_intake({"sex": spelling}).intake.sex == code
    # sex is no rule's condition, but "pregnant" with a man's answer is a warning: it shows the meaning
    report, stderr = score_json({"sex": spelling, "age_years": 30, "pregnant": "yes"})
    assert report["status"] == "ok"
    assert ("warning: pregnant:" in stderr) is (code == "male")


def test_choice_spellings_in_batch(tmp_path):
    rows = batch_rows(tmp_path, ["respondent_id", "sex", "age_years", "pregnant"],
                      [[f"r{n}", spelling, "30", "yes"] for n, (spelling, _) in enumerate(SEX_SPELLINGS)])
    assert [row["status"] for row in rows] == ["ok"] * len(SEX_SPELLINGS)
    for row, (_, code) in zip(rows, SEX_SPELLINGS):
        assert ("pregnant:" in row["warnings"]) is (code == "male"), row


@pytest.mark.parametrize("spelling, code", [
    ("dial", "dialysis"), ("On dialysis", "dialysis"), ("  on   DIALYSIS", "dialysis"), ("chronic", "ckd"),
    ("CKD", "ckd"), ("no", "none"), ("transplant", "transplant"),
])
def test_labels_and_their_starts_are_choices_everywhere(spelling, code):
    assert parse_intake({"kidney_disease": spelling}).intake.kidney_disease == code
    assert Q.check(Q["kidney_disease"], spelling, {}).value == code
    expected = {"dialysis": "kidney_failure", "ckd": "kidney_disease"}.get(code)
    report, _ = score_json({"kidney_disease": spelling})
    assert expected is None or expected in codes(report)


def test_an_ambiguous_start_is_an_error_naming_the_choices():
    from screener.core.intake import clean_value

    spec = FieldSpec("severity", "choice", "severity", choices=("mild", "moderate", "severe"),
                     labels=("Mild", "Moderate", "Severe"))
    assert clean_value(spec, "mi") == "mild" and clean_value(spec, "Mod") == "moderate"
    with pytest.raises(AnswerError) as exc:
        clean_value(spec, "m")
    assert exc.value.reason == "ambiguous: it could be mild or moderate"
    with pytest.raises(AnswerError, match="not one of: mild, moderate, severe"):
        clean_value(spec, "x")


@pytest.mark.parametrize("answer", ["2", "1", 2])
def test_a_menu_number_is_not_a_choice_in_files(answer):
    _, stderr = score_json({"sex": answer}, code=1)
    assert "sex: not one of: female, male, other" in stderr
    assert Q.check(Q["sex"], "2", {}).value == "male"  # on ask's menu it is


def test_a_choice_label_from_the_questionnaire_is_the_intake_label():
    for question in CHOICE_QUESTIONS:
        assert tuple(display for _, display in question.choices) == question.spec.labels


# -- medication lists -----------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", NONE_SPELLINGS)
def test_none_is_an_empty_medication_list_in_score_and_ask(spelling):
    assert parse_intake({"medications": spelling}).intake.medications == []
    assert parse_intake({"medications": [spelling]}).intake.medications == []
    assert VALIDATOR.parse({"medications": spelling}).intake.medications == []
    assert Q.check(Q["medications"], spelling, {}).value == []
    report, _ = score_json({"medications": spelling})
    assert "medications_unrecognised" not in codes(report)
    assert "medications_unrecognised" in codes(score_json({"medications": "nonesuch"})[0])


def test_none_words_among_names_are_names():
    assert parse_intake({"medications": "none, sertraline"}).intake.medications == ["none", "sertraline"]


def test_none_is_an_empty_medication_list_in_batch(tmp_path):
    rows = batch_rows(tmp_path, ["respondent_id", "medications"],
                      [[f"r{n}", spelling] for n, spelling in enumerate([*NONE_SPELLINGS, "nonesuch"])])
    assert [row["status"] for row in rows] == ["ok"] * (len(NONE_SPELLINGS) + 1)
    assert ["medications_unrecognised" in row["data_gaps"] for row in rows] == [False] * len(NONE_SPELLINGS) + [True]




def test_none_in_a_whole_ask_session_saves_an_empty_list(tmp_path):
    answers = {"respondent_id": "g-1", "age_years": "60", "sex": "m", "medications": "no medicines"}
    lines = typed_lines(answers)
    invoke(["ask", "--answers-out", "answers.json"], input="\n".join([*lines, ""]) + "\n")
    saved = json.loads((tmp_path / "answers.json").read_text())
    assert saved["medications"] == [] and saved["sex"] == "male"
    report, _ = score_json(saved)  # and score reads the file ask wrote
    assert report["status"] == "ok"


# -- files ----------------------------------------------------------------------------------------

def test_score_accepts_a_utf8_byte_order_mark(tmp_path):
    path = tmp_path / "answers.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"sex": "Fem", "kidney_disease": "on dialysis"}).encode())
    result = invoke(["score", str(path), "--format", "json"])
    assert "kidney_failure" in codes(json.loads(result.stdout))
    invoke(["score", "-", "--format", "json"], input=b"\xef\xbb\xbf{}")
    assert "the file is empty" in invoke(["score", "-"], input=b"\xef\xbb\xbf  \n", code=1).stderr


# -- what ask accepts, parse_intake accepts with the same meaning ---------------------------------

def _case(text: str, how: int) -> str:
    return [text, text.lower(), text.upper(), text.title(), text.swapcase()][how]


@st.composite
def spellings(draw, question) -> str:
    """A spelling a person might type for a choice: a code or label, or its start, any case, padded."""
    name = draw(st.sampled_from([name for pair in question.choices for name in pair]))
    text = name[:draw(st.integers(1, len(name)))]
    pad = st.sampled_from(["", " ", "  ", "\t"])
    return draw(pad) + _case(text, draw(st.integers(0, 4))) + draw(pad)


# Earlier answers under which each question is asked (ask checks an answer only where it applies).
CONTEXTS = [{}, {"urge_to_move": True}, {"age_years": 30, "sex": "female", "pregnant": True},
            {"age_years": 30, "sex": "female", "pregnant": False}, {"medications": ["ropinirole"]},
            {"kidney_disease": "transplant"}]


def _context(question) -> dict:
    return next(ctx for ctx in CONTEXTS if question.id in {q.id for q in Q.applicable(ctx)})


def _same_meaning(question, text: str) -> None:
    """Whatever ask makes of `text`, score and batch make the same; but ask's own affordances (a
    menu number, skip), its policy for required questions (no blank, no unsure) and its "unsure" only
    where "don't know" is a coded answer (not on numbers, which are left blank instead) are ask's."""
    token = text.strip().lower()
    if token in question.menu or token == "skip" or (question.required and (not token or token in UNKNOWN)):
        return
    if token in UNKNOWN and question.spec.kind != "text" and not question.allows_unsure:
        with pytest.raises(AnswerError, match="not accepted here"):
            Q.check(question, text, _context(question))
        return
    context = _context(question)
    answers = {**context, question.id: text}
    try:
        value = Q.check(question, text, context).value
    except AnswerError:
        assert parse_intake(answers).errors, f"ask refuses {text!r}, score accepts it"
        assert VALIDATOR.parse(answers).errors
        return
    for parsed in (parse_intake(answers), VALIDATOR.parse(answers)):
        assert parsed.intake is not None, f"ask accepts {text!r}, score refuses it: {parsed.errors}"
        if value == UNSURE and question.spec.kind != "text":
            assert question.id in parsed.intake.unknown_fields
        else:
            assert getattr(parsed.intake, question.id) == value, text


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_choice_spelling_ask_accepts_means_the_same_to_parse_intake(data):
    question = data.draw(st.sampled_from(CHOICE_QUESTIONS))
    text = data.draw(spellings(question))
    value = Q.check(question, text, {}).value  # every such spelling is accepted (no ambiguous start today)
    assert value in question.spec.choices
    _same_meaning(question, text)


TOKENS = ["", "yes", "No", "y", "0", "unsure", "Unknown", "none", "nil", "no medicines", "f", "m", "Female",
          "dial", "x", "30", "30 ng/mL", "1,5", "45.5", "abc", "sertraline; iron", "=1", "2 weeks", "1e3"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(FIELDS)), st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)))
def test_any_answer_means_the_same_to_ask_and_to_parse_intake(field, text):
    _same_meaning(Q[field], text)
