"""The columnar compiler (conditions -> polars expressions) against the reference semantics.

Random conditions of the whole language on random facts (the strategies of test_property),
and random intakes through the shipped rulebook, must fire exactly what `conditions.evaluate`
says; codes per kind come out once each, at their first firing rule.
"""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_property import CLASSES, RULEBOOK, conditions, facts, intakes

from screener.core import columnar_rules as R
from screener.core import conditions as C
from screener.core.facts import build_facts
from screener.core.parse import parse_intake

BITS = {"medication_classes": R.item_bits([*CLASSES, *RULEBOOK.lexicon.classes])}


def _fired(rules, batch) -> list[set[str]]:
    frame = R.facts_frame(batch, BITS).select(R.compile_rules(rules, BITS))
    return [{rule_id for rule_id, hit in row.items() if hit} for row in frame.iter_rows(named=True)]


@settings(max_examples=250, deadline=None)
@given(conds=st.lists(conditions, min_size=1, max_size=4), batch=st.lists(facts, min_size=1, max_size=12))
def test_compiled_expressions_match_the_reference_semantics(conds, batch):
    rules = [(f"R-{i:03d}", cond) for i, cond in enumerate(conds)]
    for fact, got in zip(batch, _fired(rules, batch), strict=True):
        assert got == {rule_id for rule_id, cond in rules if C.evaluate(cond, fact)}, fact


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(intakes, min_size=1, max_size=8))
def test_the_rulebook_by_column_fires_what_the_reference_fires(batch):
    factsets = [build_facts(parse_intake(answers).intake, RULEBOOK.lexicon) for answers in batch]
    rules = [(rule.id, rule.condition) for rule in RULEBOOK.rules]
    expected = [{rule_id for rule_id, cond in rules if C.evaluate(cond, fs.facts)} for fs in factsets]
    assert _fired(rules, [fs.facts for fs in factsets]) == expected


def test_a_missing_value_makes_a_test_false_and_its_negation_true():
    rules = [("R-001", C.Cmp("ferritin_ng_ml", "le", 75)), ("R-002", C.Not(C.Cmp("ferritin_ng_ml", "le", 75))),
             ("R-003", C.Not(C.Contains("medication_classes", "ssri"))), ("R-004", C.In("sex", ("male",)))]
    assert _fired(rules, [{}, {"ferritin_ng_ml": 30.0, "medication_classes": ["ssri"], "sex": "male"}]) == [
        {"R-002", "R-003"}, {"R-001", "R-004"}]


def test_a_code_shared_by_rules_apart_comes_out_once_at_its_first_firing_rule():
    rules = [("A", "gap"), ("B", "other"), ("C", "gap")]
    frame = pl.DataFrame({"A": [False, True, False, False], "B": [True, True, False, True],
                          "C": [True, True, False, False]})
    assert frame.select(R.first_codes(rules).alias("codes"))["codes"].to_list() == [
        "other; gap", "gap; other", "", "other"]
