"""The condition language compiled to polars expressions: one boolean column per rule.

A frame of facts has one column per fact field (`fact_schema`): yes/no as Boolean, integers as
Int64, numbers as Float64, choices as String, and a list field (medication classes) as an
Int64 bit mask, one bit per item (`ItemBits`). A missing value is null.

The semantics are those of `conditions.evaluate`: a comparison, `in` or `contains` on a
missing value is false (each leaf is `fill_null(False)`, so no null ever reaches `not`, `all`
or `any`, and polars' three-valued logic never shows); `not` is plain negation; `present` is
"not null". Nothing here knows a field or a rule by name: a new field of the Intake model or a
new rule needs no change.

Imported only by the batch path (polars is not loaded by `screener --help` or `score`).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any, Iterable, Mapping, Sequence

import polars as pl

from . import conditions as C
from .facts import FACT_FIELDS
from .intake import FieldSpec

ItemBits = Mapping[str, Mapping[str, int]]  # list field -> item -> its bit (1, 2, 4, ...)
_DTYPES: dict[str, Any] = {"yesno": pl.Boolean, "integer": pl.Int64, "number": pl.Float64, "choice": pl.String,
                           "text": pl.String, "list": pl.Int64}
_OPS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
        "ge": operator.ge}


def dtype_of(spec: FieldSpec) -> Any:
    """The column type a field's values take in a frame of facts (a list is a bit mask)."""
    return _DTYPES[spec.kind]


def fact_schema(specs: Mapping[str, FieldSpec] = FACT_FIELDS) -> dict[str, Any]:
    return {name: dtype_of(spec) for name, spec in specs.items()}


def item_bits(items: Iterable[str]) -> dict[str, int]:
    """One bit per item, in the order given (at most 63: the mask is a signed 64-bit integer)."""
    items = list(dict.fromkeys(items))
    if len(items) > 63:
        raise ValueError(f"{len(items)} items do not fit one 64-bit mask")
    return {item: 1 << i for i, item in enumerate(items)}


def to_expr(cond: C.Condition, bits: ItemBits) -> pl.Expr:
    """One boolean expression, never null, that is true exactly where `conditions.evaluate` is."""
    if isinstance(cond, C.All):
        return reduce(operator.and_, (to_expr(item, bits) for item in cond.items))
    if isinstance(cond, C.AnyOf):
        return reduce(operator.or_, (to_expr(item, bits) for item in cond.items))
    if isinstance(cond, C.Not):
        return ~to_expr(cond.item, bits)
    column = pl.col(cond.field)
    if isinstance(cond, C.Present):
        return column.is_not_null()
    if isinstance(cond, C.Cmp):
        return _OPS[cond.op](column, pl.lit(cond.value)).fill_null(False)
    if isinstance(cond, C.In):
        return column.is_in(list(cond.values)).fill_null(False)
    bit = bits.get(cond.field, {}).get(cond.value)  # Contains
    if bit is None:  # an item no value can hold
        return pl.lit(False)
    return ((column & pl.lit(bit, pl.Int64)) != 0).fill_null(False)


def compile_rules(rules: Iterable[tuple[str, C.Condition]], bits: ItemBits) -> list[pl.Expr]:
    """One boolean column per rule, named by its rule id."""
    return [to_expr(cond, bits).alias(rule_id) for rule_id, cond in rules]


def first_codes(rules: Sequence[tuple[str, str]], prefix: str = "") -> pl.Expr:
    """The codes of the rules that fired, joined by "; ": each code once, at its first firing rule.

    `rules` is (rule id, code) in output order; the fired flags are the columns `prefix + rule id`.
    A code shared by rules that are not next to each other comes out where its first rule fired.
    """
    parts = []
    for i, (rule_id, code) in enumerate(rules):
        earlier = [pl.col(prefix + other) for other, same in rules[:i] if same == code]
        fired = pl.col(prefix + rule_id)
        if earlier:
            fired = fired & ~reduce(operator.or_, earlier)
        parts.append(pl.when(fired).then(pl.lit(code)))
    if not parts:
        return pl.lit("")
    return pl.concat_str(parts, separator="; ", ignore_nulls=True).fill_null("")


def facts_frame(facts: Sequence[Mapping[str, Any]], bits: ItemBits,
                specs: Mapping[str, FieldSpec] = FACT_FIELDS) -> pl.DataFrame:
    """A frame of facts dicts (missing keys are null; list fields become bit masks): for tests,
    and for scoring facts that were built one by one."""
    columns: dict[str, list[Any]] = {name: [] for name in specs}
    for fact in facts:
        for name, column in columns.items():
            value = fact.get(name)
            if value is not None and name in bits:
                value = sum(bits[name].get(item, 0) for item in set(value))
            column.append(value)
    return pl.DataFrame(columns, schema=fact_schema(specs))


class ColumnarEngine:
    """The compiled expressions behind the engines' interface (`fire(facts) -> rule ids per
    facts`), so that `check` and the tests run the same examples through all three engines."""

    name = "columnar"

    def __init__(self, rules: Iterable[tuple[str, C.Condition]], bits: ItemBits):
        self.bits = bits
        self._exprs = compile_rules(rules, bits)

    def fire(self, facts: Sequence[Mapping[str, Any]]) -> list[set[str]]:
        if not facts:
            return []
        frame = facts_frame(facts, self.bits).lazy().select(self._exprs).collect()
        return [{rule_id for rule_id, hit in row.items() if hit} for row in frame.iter_rows(named=True)]

    def close(self) -> None:
        pass
