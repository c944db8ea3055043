"""Validation by column: a frame of answer texts -> typed values, errors and warnings per row,
the same as `parse_intake` gives row by row.

Nothing here restates an answer rule of the Intake model. Each distinct text of a column is
decided once by the model itself (`RowValidator.validate_answer`, memoised per worker), and the
outcome is mapped back onto the column: yes/no spellings, "unsure", choices, units and their
conversions, hard ranges and their messages all come from the model. The one shortcut is for
plain numbers ("12", "30.5": digits with at most 4 decimals, within the field's hard range,
read from the same field specs): those are converted by column, which is exactly what the
model does to them (a number with at most 4 decimals is its own rounding). The cross-field
check (onset not after age) runs through the model once per distinct pair; soft ranges and
cross checks use the model's own functions (`soft_range_warning`, `CROSS_CHECKS`), once per
distinct value or combination among the rows that can warn at all. A property test checks
the agreement with `parse_intake`.

Imported only by the batch path.
"""

from __future__ import annotations

from typing import Any, Callable

import polars as pl

from .cached_intake import PAIR, Outcome, RowValidator
from .columnar_rules import dtype_of
from .facts import derived_bmi
from .intake import FIELDS, FieldSpec
from .parse import CROSS_CHECKS, soft_range_warning

ERRORS, WARNINGS, UNKNOWN = "__errors", "__warnings", "__unknown"
_ERROR, _UNKNOWN = "__error:", "__unknown:"
DERIVED_BMI = "__bmi_derived"
_PLAIN = {"integer": r"^-?[0-9]{1,9}$", "number": r"^-?[0-9]{1,9}(\.[0-9]{1,4})?$",
          "text": r"(?s)^[!-~](.*[!-~])?$"}  # text with nothing to strip at either end
_FEW = 16  # up to this many distinct texts, a column is mapped by equality tests, beyond by a hash table
_FAST_LIMIT = 1e9  # plain numbers are converted by column only within ranges this size
Recode = Callable[[str, str], "str | None"]  # (field, text) -> text to validate, None for "not answered"


class ColumnValidator:
    """Validates frames of answer texts by column (one instance per worker; not thread-safe).

    `recode` applies a mapping file's codes to a text first (None: a missing-data code).
    `usable` is false when the Intake model has a validator the memoised path does not know:
    the caller must then validate row by row.
    """

    def __init__(self, recode: Recode | None = None, max_cached: int = 50_000):
        self.rows = RowValidator(max_cached)
        self.usable = self.rows.fast
        self.recode = recode

    def outcome(self, name: str, text: str) -> Outcome:
        """One cell text of a field as the model decides it: (value, unknown, problems), after a
        mapping's codes (a blank cell is not answered, codes aside)."""
        answer = self.recode(name, text) if self.recode is not None and text.strip() else text
        return (None, False, ()) if answer is None else self.rows.outcome(name, answer)

    def validate(self, cells: pl.DataFrame, unknown: bool = False, problems: bool = False) -> pl.DataFrame:
        """Typed values of every field but lists (null where blank, unknown or invalid), ERRORS
        ("field: message; ..." or ""), WARNINGS (likewise; meaningful for valid rows only),
        DERIVED_BMI (whether `bmi` was computed from height and weight) and, with `unknown`,
        UNKNOWN (the fields answered unknown, joined by ","). With `problems`, ERRORS and
        WARNINGS are left `encoded` (for `decoded`: one problem at a time).

        `cells` holds String columns named by field id (null: a blank cell); a field without a
        column is not answered by anyone.
        """
        height = cells.height
        given = [spec for name, spec in FIELDS.items() if name in cells.columns]
        taken = {spec.id: self._taken_as_is(spec) for spec in given}
        # One pass for the distinct texts the model must decide, one for every column's outcome.
        distinct = cells.lazy().select(
            (pl.col(spec.id) if taken[spec.id] is None else pl.col(spec.id).filter(~taken[spec.id][0]))
            .drop_nulls().unique().implode() for spec in given).collect().row(0, named=True) if given else {}
        exprs: list[pl.Expr] = []
        errors: list[str] = []
        unknowns: list[str] = []
        for name, spec in FIELDS.items():
            if name not in distinct:
                if spec.kind != "list":
                    exprs.append(pl.lit(None, dtype_of(spec)).alias(name))
                continue
            texts = distinct[name]
            outcomes = [self.outcome(name, text) for text in texts]
            if spec.kind != "list":
                value = _replaced(name, texts, [o[0] for o in outcomes], dtype_of(spec))
                if taken[name] is not None:
                    value = pl.when(taken[name][0]).then(taken[name][1]).otherwise(value)
                exprs.append(value.alias(name))
            wrong = [(text, encoded(o[2])) for text, o in zip(texts, outcomes) if o[2]]
            if wrong:
                errors.append(name)
                exprs.append(_replaced(name, [t for t, _ in wrong], [m for _, m in wrong], pl.String).alias(_ERROR + name))
            said = [text for text, o in zip(texts, outcomes) if o[1]]
            if unknown and said:
                unknowns.append(name)
                exprs.append(_replaced(name, said, [name] * len(said), pl.String).alias(_UNKNOWN + name))
        frame = cells.lazy().select(exprs).collect()
        frame, paired = self._pairs(frame)
        if paired and PAIR[1] not in errors:  # the model reports it in the place of the later field
            errors.append(PAIR[1])
        order = {name: i for i, name in enumerate(FIELDS)}
        errors.sort(key=order.__getitem__)
        frame = frame.with_columns(_joined([pl.col(_ERROR + name) for name in errors], height, _NEXT).alias(ERRORS),
                                   _joined([pl.col(_UNKNOWN + name) for name in unknowns], height, ",").alias(UNKNOWN))
        frame = frame.drop([_ERROR + name for name in errors] + [_UNKNOWN + name for name in unknowns])
        frame = self._bmi(frame)
        frame = frame.with_columns(self._warnings(frame).alias(WARNINGS))
        if not problems:
            return frame.with_columns(_as_text(pl.col(ERRORS)), _as_text(pl.col(WARNINGS)))
        return frame

    def _taken_as_is(self, spec: FieldSpec) -> tuple[pl.Expr, pl.Expr] | None:
        """(mask, values) of the cells the model would take as they are, converted by column: plain
        numbers within the hard range, and text with no space to strip (without a mapping's codes)."""
        if self.recode is not None:
            return None
        column = pl.col(spec.id)
        if spec.kind == "text":
            return column.str.contains(_PLAIN["text"]).fill_null(False), column
        if spec.kind not in _PLAIN or spec.minimum is None or spec.maximum is None \
                or max(abs(spec.minimum), abs(spec.maximum)) > _FAST_LIMIT:
            return None
        number = column.cast(pl.Float64, strict=False)
        mask = (column.str.contains(_PLAIN[spec.kind]) & number.is_between(spec.minimum, spec.maximum)).fill_null(False)
        number = pl.when(number == 0).then(pl.lit(0.0)).otherwise(number)  # -0 is 0, as in the model
        return mask, pl.when(mask).then(number).otherwise(None).cast(dtype_of(spec), strict=False)

    def _pairs(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
        """The model's cross-field check (onset not after age), once per distinct valid pair; its
        message goes into the later field's error column (which is then unanswered)."""
        first, second = PAIR
        both = frame.select(first, second).drop_nulls().unique()
        bad = [(a, b, encoded(problems))
               for a, b in both.iter_rows() if (problems := self.rows.pair(a, b))]
        if not bad:
            return frame, False
        table = pl.DataFrame({first: [a for a, _, _ in bad], second: [b for _, b, _ in bad],
                              "__pair": [m for _, _, m in bad]}, schema_overrides={first: frame[first].dtype,
                                                                                  second: frame[second].dtype})
        message = frame.select(first, second).join(table, on=[first, second], how="left", maintain_order="left")["__pair"]
        error = pl.coalesce(pl.col(_ERROR + second), message) if _ERROR + second in frame.columns else message
        frame = frame.with_columns(error.alias(_ERROR + second),
                                   pl.when(message.is_null()).then(pl.col(second)).otherwise(None).alias(second))
        return frame, True

    @staticmethod
    def _bmi(frame: pl.DataFrame) -> pl.DataFrame:
        """BMI from height and weight where it was not answered (facts.derived_bmi, once per pair)."""
        if "bmi" not in frame.columns or "height_cm" not in frame.columns or "weight_kg" not in frame.columns:
            return frame.with_columns(pl.lit(False).alias(DERIVED_BMI))
        wanted = frame["bmi"].is_null() & frame["height_cm"].is_not_null() & frame["weight_kg"].is_not_null()
        pairs = frame.filter(wanted).select("height_cm", "weight_kg").unique()
        if pairs.height == 0:
            return frame.with_columns(pl.lit(False).alias(DERIVED_BMI))
        table = pairs.with_columns(pl.Series("__bmi", [derived_bmi(h, w) for h, w in pairs.iter_rows()], pl.Float64))
        derived = frame.select("height_cm", "weight_kg").join(table, on=["height_cm", "weight_kg"], how="left",
                                                              maintain_order="left")["__bmi"]
        derived = pl.select(pl.when(wanted).then(derived).otherwise(None)).to_series()
        return frame.with_columns(pl.coalesce(pl.col("bmi"), derived).alias("bmi"),
                                  derived.is_not_null().alias(DERIVED_BMI))

    @staticmethod
    def _warnings(frame: pl.DataFrame) -> pl.Series:
        """The soft-range and cross-check warnings of each row, in the model's order.

        The model warns from the answers, not from a BMI derived from height and weight: the
        derived BMI is left out here as it is there.
        """
        answered = frame.with_columns(pl.when(pl.col(DERIVED_BMI)).then(None).otherwise(pl.col("bmi")).alias("bmi")) \
            if "bmi" in frame.columns else frame
        parts: list[Any] = []
        soft = [spec for spec in FIELDS.values() if spec.soft_range]
        outside = answered.lazy().select(pl.col(spec.id).filter(~pl.col(spec.id).is_between(*spec.soft_range))
                                         .drop_nulls().unique().implode() for spec in soft).collect().row(0) if soft else ()
        for spec, values in zip(soft, outside):
            messages = [encoded([soft_range_warning(spec, v)]) for v in values]
            parts.append(_replaced(spec.id, values, messages, pl.String))
        for check in CROSS_CHECKS:
            keys = list(check.reads)
            candidates = answered.select(keys).filter(pl.all_horizontal(pl.col(n).is_not_null() for n in check.needs))
            combos = candidates.unique()
            found = [(row, encoded([problem])) for row in combos.iter_rows(named=True) if (problem := check.warn(row))]
            if not found:
                continue
            table = pl.DataFrame([row for row, _ in found], schema=answered.select(keys).schema).with_columns(
                pl.Series("__warning", [m for _, m in found], pl.String))
            parts.append(answered.select(keys).join(table, on=keys, how="left", nulls_equal=True,
                                                    maintain_order="left")["__warning"])
        return answered.with_columns(_joined(parts, frame.height, _NEXT).alias(WARNINGS))[WARNINGS]


_FIELD, _NEXT = "\x1f", "\x1e"  # within a problem, and between problems (messages show answers by repr)


def encoded(problems: Any) -> str:
    """Problems as one text that `decoded` splits again."""
    return _NEXT.join(f"{p.field}{_FIELD}{p.message}" for p in problems)


def decoded(text: str) -> list[dict[str, str]]:
    """The problems of `encoded` text, as reports list them."""
    return [dict(zip(("field", "message"), part.split(_FIELD, 1))) for part in text.split(_NEXT)] if text else []


def _as_text(column: pl.Expr) -> pl.Expr:
    """Encoded problems as the CSV output writes them: "field: message; field: message"."""
    return column.str.replace_all(_FIELD, ": ", literal=True).str.replace_all(_NEXT, "; ", literal=True)


def _replaced(name: str, old: list[Any], new: list[Any], dtype: Any) -> pl.Expr:
    """The column with each value of `old` replaced by its `new`; everything else null."""
    if not old:
        return pl.lit(None, dtype)
    column = pl.col(name)
    if len(old) > _FEW:
        return column.replace_strict(old, new, default=None, return_dtype=dtype)
    chain: Any = pl
    for before, after in zip(old, new):  # a few equality tests are many times faster than a hash lookup
        chain = chain.when(column == pl.lit(before)).then(pl.lit(after, dtype))
    return chain.otherwise(pl.lit(None, dtype))


def _joined(parts: list[Any], height: int, separator: str = "; ") -> Any:
    """The non-null texts of each row joined ("" when there are none)."""
    if not parts:
        return pl.lit("")
    return pl.concat_str(parts, separator=separator, ignore_nulls=True).fill_null("")
