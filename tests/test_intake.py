"""The Intake boundary: every answer kind, units, unknown vs not answered, clear errors."""

from __future__ import annotations

import pytest

from screener.core.intake import FIELDS, Intake
from screener.core.parse import parse_intake


def errors(answers):
    return [str(p) for p in parse_intake(answers).errors]


@pytest.mark.parametrize("text, expected", [
    ("yes", True), ("Y", True), ("TRUE", True), ("1", True), (1, True), (True, True),
    ("no", False), ("n", False), ("False", False), ("0", False), (0, False), (False, False),
])
def test_yes_no_tokens(text, expected):
    assert parse_intake({"pregnant": text}).intake.pregnant is expected


@pytest.mark.parametrize("token", ["unsure", "Unknown", " UNSURE "])
def test_unknown_is_missing_but_remembered(token):
    intake = parse_intake({"pregnant": token, "ferritin_ng_ml": token}).intake
    assert intake.pregnant is None and intake.ferritin_ng_ml is None
    assert intake.unknown_fields == {"pregnant", "ferritin_ng_ml"}


def test_blank_is_not_answered_and_not_unknown():
    intake = parse_intake({"pregnant": "", "ferritin_ng_ml": None}).intake
    assert intake.pregnant is None and intake.unknown_fields == frozenset()


@pytest.mark.parametrize("cell, value", [
    ("30", 30.0), ("30 ng/mL", 30.0), ("30 µg/L", 30.0), ("30ug/l", 30.0), ("67.41 pmol/L", 30.0), (".5", 0.5),
])
def test_ferritin_units(cell, value):
    assert parse_intake({"ferritin_ng_ml": cell}).intake.ferritin_ng_ml == pytest.approx(value)


@pytest.mark.parametrize("field, cell, value", [
    ("weeks_postpartum", "4 weeks", 4), ("caffeine_drinks_per_day", "3 drinks/day", 3.0),
    ("symptom_days_per_week", "5 days / week", 5.0), ("tsat_percent", "17 %", 17.0), ("height_cm", "1.75 m", 175.0),
])
def test_the_fields_own_unit_is_accepted(field, cell, value):
    assert getattr(parse_intake({field: cell}).intake, field) == value


def test_whole_numbers_are_checked_before_rounding():
    assert errors({"age_years": "45.00001"}) == ["age_years: '45.00001' is not a whole number"]
    assert parse_intake({"age_years": "45.0"}).intake.age_years == 45


def test_an_integer_too_large_for_a_float_is_an_error_not_a_crash():
    [problem] = parse_intake({"ferritin_ng_ml": 10**400}).errors
    assert problem.field == "ferritin_ng_ml" and problem.reason == "not a finite number"


def test_haemoglobin_g_per_litre():
    assert parse_intake({"hemoglobin_g_dl": "125 g/L"}).intake.hemoglobin_g_dl == pytest.approx(12.5)


@pytest.mark.parametrize("answers, field, reason", [
    ({"ferritin_ng_ml": "abc"}, "ferritin_ng_ml", "is not a number"),
    ({"ferritin_ng_ml": "30 mg"}, "ferritin_ng_ml", "unknown unit"),
    ({"ferritin_ng_ml": "12,5"}, "ferritin_ng_ml", "use a decimal point"),
    ({"ferritin_ng_ml": "1,000"}, "ferritin_ng_ml", "no thousands separator"),
    ({"ferritin_ng_ml": -1}, "ferritin_ng_ml", "out of range"),
    ({"pregnancy_trimester": 5}, "pregnancy_trimester", "out of range (1 to 3)"),
    ({"age_years": "45.5"}, "age_years", "not a whole number"),
    ({"pregnant": "maybe"}, "pregnant", "not a yes/no answer"),
    ({"kidney_disease": "bad"}, "kidney_disease", "not one of: none, ckd, dialysis, transplant"),
    ({"ferritn_ng_ml": 3}, "ferritn_ng_ml", "did you mean ferritin_ng_ml"),
    ({"age_years": 40, "onset_age_years": 50}, "onset_age_years", "later than age_years"),
    ({"medications": [1, 2]}, "medications", "every item must be text"),
    ({"tsat_percent": "nan"}, "tsat_percent", "not a number"),
])
def test_errors_name_field_and_reason(answers, field, reason):
    problems = parse_intake(answers).errors
    assert len(problems) == 1
    assert problems[0].field == field and reason in problems[0].message


@pytest.mark.parametrize("answers", [
    {"ferritin_ng_ml": "abc123"}, {"ferritin_ng_ml": "30 abc123"}, {"ferritin_ng_ml": "12,123"},
    {"pregnant": "abc123"}, {"kidney_disease": "abc123"}, {"age_years": 123.5}, {"age_years": 123},
    {"tsat_percent": 1e123}, {"age_years": 40, "onset_age_years": 123},
])
def test_the_reason_never_quotes_the_answer(answers):
    [problem] = parse_intake(answers).errors
    assert "123" in problem.message  # the person answering sees what was not accepted
    assert "123" not in problem.reason and problem.redacted == f"{problem.field}: {problem.reason}"


def test_huge_numbers_are_shown_briefly():
    [problem] = parse_intake({"age_years": 1e300}).errors
    assert problem.message == "1e+300 is out of range (0 to 120 years)"


def test_every_problem_is_reported_not_only_the_first():
    problems = parse_intake({"ferritin_ng_ml": "abc", "pregnancy_trimester": 5, "nonsense": 1}).errors
    assert {p.field for p in problems} == {"ferritin_ng_ml", "pregnancy_trimester", "nonsense"}


def test_soft_range_is_a_warning_not_an_error():
    parsed = parse_intake({"ferritin_ng_ml": 2500})
    assert parsed.intake is not None and parsed.intake.ferritin_ng_ml == 2500
    assert [w.field for w in parsed.warnings] == ["ferritin_ng_ml"]


def test_medication_lists_from_text_and_arrays():
    assert parse_intake({"medications": "sertraline 50 mg; Tylenol PM, lithium"}).intake.medications == [
        "sertraline 50 mg", "Tylenol PM", "lithium"]
    assert parse_intake({"medications": ["a", " b "]}).intake.medications == ["a", "b"]
    assert parse_intake({"medications": []}).intake.medications == []


def test_non_object_answers():
    assert errors([1, 2]) == ["(answers): expected an object of field: answer pairs"]


def test_fields_cover_the_model():
    assert set(FIELDS) == set(Intake.model_fields) - {"unknown_fields"}
