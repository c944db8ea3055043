"""The memoised row validator gives exactly what `parse_intake` gives, row after row."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from screener.core.cached_intake import RowValidator
from screener.core.intake import FIELDS
from screener.core.parse import parse_intake

TOKENS = ["", " ", "yes", "No", "Y", "1", "0", "true", "unsure", "Unknown", "maybe", "female", "MALE", "x",
          "none", "ckd", "dialysis", "-3", "0.5", "7", "8", "30", "30 ng/mL", "67 pmol/L", "125 g/L", "1,5",
          "abc", "1e3", "150", "45", "3000", "-0", "12.34567", "nan", "inf", "sertraline; iron", "=cmd"]
VALUES = st.one_of(st.sampled_from(TOKENS), st.integers(-5, 200), st.floats(-10, 3000, allow_nan=False),
                   st.booleans(), st.none(), st.lists(st.sampled_from(["sertraline", "iron", 3]), max_size=3))
KEYS = st.sampled_from([*FIELDS, "favourite_colour", "Age"])
VALIDATOR = RowValidator(max_cached=50)  # small, so that clearing the cache is exercised too


def same(answers):
    expected, got = parse_intake(answers), VALIDATOR.parse(answers)
    assert got.errors == expected.errors
    assert got.warnings == expected.warnings
    assert got.intake == expected.intake
    if expected.intake is not None:
        assert got.intake.model_dump() == expected.intake.model_dump()
        assert got.intake.unknown_fields == expected.intake.unknown_fields


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=12))
def test_row_validator_equals_parse_intake(answers):
    same(answers)
    same(answers)  # and again, from the cache


def test_cross_field_rule_and_unknowns():
    same({"age_years": "40", "onset_age_years": "50"})
    same({"age_years": "abc", "onset_age_years": "50"})
    same({"age_years": "60", "onset_age_years": "50", "urge_to_move": "unsure", "ferritin_ng_ml": "5000"})
    same({"unknown_fields": ["x"]})
    assert VALIDATOR.fast


def test_cached_answers_do_not_share_lists_between_rows():
    first = VALIDATOR.parse({"medications": "sertraline; iron"}).intake
    second = VALIDATOR.parse({"medications": "sertraline; iron"}).intake
    assert first.medications == second.medications == ["sertraline", "iron"]
    assert first.medications is not second.medications
