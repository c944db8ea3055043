"""Validation by column agrees with the Intake model row by row: the same typed values, the
same errors (`field: message`, in the model's order) and the same warnings, for messy cells:
blanks, spaces, "unsure", yes/no spellings, choice labels and prefixes, numbers with units,
decimal commas, full-width digits, exponents, out-of-range and soft-range values, onset after age."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.core.columnar_intake import DERIVED_BMI, ERRORS, UNKNOWN, WARNINGS, ColumnValidator, decoded
from screener.core.facts import derived_bmi
from screener.core.intake import FIELDS, UNITS
from screener.core.parse import parse_intake

VALIDATOR = ColumnValidator()
NUMBER_TEXTS = ["0", "-0", "1", "7", "12.5", "30.1234", "30.12345", "45.00001", " 30 ", "12,5", "1,000", "１２",
                "1e3", "abc", "nan", "inf", "-3", "3000", "200000", "0.5", "121", "5.", ".5", "+4"]


def _cell(spec) -> st.SearchStrategy:
    blank = st.sampled_from([None, "", "  "])
    unknown = st.sampled_from(["unsure", "Unknown ", "UNSURE"])
    if spec.kind == "yesno":
        given = st.sampled_from(["yes", "Y", "no", "n", "TRUE", "false", "0", "1", " yes ", "maybe", "2"])
    elif spec.kind == "choice":
        given = st.sampled_from([*spec.choices, *spec.labels, spec.choices[0][:1], "zz", "Fem", "o", "ON DIALYSIS"])
    elif spec.kind in ("number", "integer"):
        lo, hi = spec.minimum or 0, spec.maximum or 1000
        units = [*UNITS.get(spec.id, {}), *([spec.unit] if spec.unit else []), "furlongs"]
        plain = st.integers(int(lo) - 2, int(hi) + 2).map(str) | \
            st.floats(lo - 1, hi + 1, allow_nan=False).map(lambda v: f"{v:.{len(str(v)) % 6}f}")
        with_unit = st.builds(lambda n, u, sp: f"{n}{sp}{u}", st.sampled_from(["30", "2.5", "100", "1"]),
                              st.sampled_from(units), st.sampled_from(["", " "]))
        given = st.one_of(plain, with_unit, st.sampled_from(NUMBER_TEXTS))
    elif spec.kind == "list":
        given = st.sampled_from(["sertraline", "none", "No medicines", "x; y", "Tylenol PM, aspirin", ";"])
    else:
        given = st.text(max_size=6)
    return st.one_of(blank, unknown, given)


def _usual(spec) -> st.SearchStrategy:
    """A cell the model usually accepts: blank, unsure, or a plain answer."""
    if spec.kind in ("number", "integer"):
        lo, hi = spec.minimum or 0, spec.maximum or 1000
        plain = st.integers(int(lo), int(hi)).map(str) if spec.kind == "integer" else \
            st.floats(lo, hi).map(lambda v: f"{v:.1f}")
        return st.one_of(st.sampled_from([None, "unsure"]), plain)
    if spec.kind in ("yesno", "choice"):
        return st.sampled_from([None, "unsure", *(["yes", "no"] if spec.kind == "yesno" else spec.choices)])
    return _cell(spec)


# Mostly usable rows (so that warnings and values are compared too), with a few messy cells.
rows = st.builds(lambda usual, messy: {**usual, **messy},
                 st.fixed_dictionaries({name: _usual(spec) for name, spec in FIELDS.items()}),
                 st.dictionaries(st.sampled_from(list(FIELDS)), st.none(), max_size=3).flatmap(
                     lambda keys: st.fixed_dictionaries({name: _cell(FIELDS[name]) for name in keys})))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(rows, min_size=1, max_size=25))
def test_validation_by_column_agrees_with_the_intake_model(batch):
    frame = pl.DataFrame(batch, schema={name: pl.String for name in FIELDS})
    frame = frame.with_columns(pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in FIELDS)
    checked = VALIDATOR.validate(frame, unknown=True)
    listed = VALIDATOR.validate(frame, problems=True)  # for reports: one problem at a time
    for answers, got, each in zip(batch, checked.iter_rows(named=True), listed.iter_rows(named=True), strict=True):
        parsed = parse_intake({k: v for k, v in answers.items() if v})
        assert got[ERRORS] == "; ".join(map(str, parsed.errors))
        assert decoded(each[ERRORS]) == [p.as_dict() for p in parsed.errors]
        if parsed.intake is None:
            continue
        assert got[WARNINGS] == "; ".join(map(str, parsed.warnings))
        assert decoded(each[WARNINGS]) == [p.as_dict() for p in parsed.warnings]
        assert set(filter(None, got[UNKNOWN].split(","))) == parsed.intake.unknown_fields
        intake = parsed.intake.__dict__
        bmi = derived_bmi(intake["height_cm"], intake["weight_kg"]) if intake["bmi"] is None else intake["bmi"]
        assert got[DERIVED_BMI] == (intake["bmi"] is None and bmi is not None)
        for name, spec in FIELDS.items():
            if spec.kind != "list":
                expected = bmi if name == "bmi" else intake[name]
                assert (got[name], type(got[name]), repr(got[name])) == (expected, type(expected), repr(expected)), name


def test_a_cell_is_decided_once_per_distinct_text():
    validator = ColumnValidator()
    frame = pl.DataFrame({"smoker": ["yes", "no", "yes", "maybe"] * 50}, schema={"smoker": pl.String})
    checked = validator.validate(frame)
    assert validator.rows._size == 3
    assert checked[ERRORS].to_list()[:4] == ["", "", "", "smoker: 'maybe' is not a yes/no answer; use yes, no or unsure"]
