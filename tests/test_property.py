"""The oracle: durable-rules and the plain-Python reference fire exactly the same rules.

Two independent angles:
1. random intakes (missing and "unknown" answers included) through the shipped rulebook,
   with numbers drawn around every threshold the rules use;
2. random conditions of the whole language (all/any/not, every operator) on random facts,
   compiled to durable-rules and compared with the reference semantics.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.core import conditions as C
from screener.core.engine import DurableEngine, EngineError
from screener.core.facts import FACT_FIELDS
from screener.core.intake import FIELDS
from screener.core.parse import parse_intake
from screener.core.rulebook import default_rulebook

RULEBOOK = default_rulebook()
THRESHOLDS: dict[str, set] = {}
for _rule in RULEBOOK.rules:
    for _leaf in C.leaves(_rule.condition):
        if isinstance(_leaf, C.Cmp) and isinstance(_leaf.value, (int, float)) and not isinstance(_leaf.value, bool):
            THRESHOLDS.setdefault(_leaf.field, set()).add(_leaf.value)

MED_NAMES = sorted(RULEBOOK.lexicon.names)


def _answer(spec) -> st.SearchStrategy:
    missing = st.sampled_from([None, "", "unknown", "unsure"])
    if spec.kind == "yesno":
        value = st.sampled_from([True, False, "yes", "no", "Y", "n"])
    elif spec.kind == "choice":
        value = st.sampled_from(spec.choices)
    elif spec.kind in ("number", "integer"):
        lo, hi = spec.minimum or 0, spec.maximum or 1000
        near = [v + d for v in THRESHOLDS.get(spec.id, ()) for d in (-1, -0.5, 0, 0.5, 1)]
        near = [v for v in near if lo <= v <= hi and (spec.kind == "number" or float(v).is_integer())]
        drawn = st.integers(int(lo), int(hi)) if spec.kind == "integer" else st.floats(lo, hi, allow_nan=False)
        value = st.one_of(drawn, st.sampled_from(near)) if near else drawn
    elif spec.kind == "list":
        value = st.lists(st.one_of(st.sampled_from(MED_NAMES), st.sampled_from(["vitamin q", "xyz 10 mg"])),
                         max_size=4)
    else:
        value = st.text(max_size=8)
    return st.one_of(missing, value)


ANSWER_FIELDS = [s for s in FIELDS.values() if s.id not in ("onset_age_years",)]
intakes = st.fixed_dictionaries({}, optional={s.id: _answer(s) for s in ANSWER_FIELDS})


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=intakes)
def test_engines_agree_on_random_intakes(answers, durable, reference):
    parsed = parse_intake(answers)
    assert parsed.intake is not None, parsed.errors
    [(facts, fired_durable)] = durable.fired([parsed.intake])
    [(_, fired_reference)] = reference.fired([parsed.intake])
    by_ast = {rule.id for rule in RULEBOOK.rules if C.evaluate(rule.condition, facts.facts)}
    assert fired_durable == fired_reference == by_ast
    for finding in durable.findings(facts, fired_durable):  # every finding can say why
        assert finding.because and finding.sources


# -- random conditions over the whole language ------------------------------------------------

NUM_FIELDS = ["ferritin_ng_ml", "tsat_percent", "age_years"]
BOOL_FIELDS = ["pregnant", "smoker"]
CLASSES = ["ssri", "tca", "opioid"]


def _leaf() -> st.SearchStrategy:
    num = st.builds(lambda f, op, v: C.Cmp(f, op, v), st.sampled_from(NUM_FIELDS),
                    st.sampled_from(list(C.COMPARISONS)), st.sampled_from([0, 18, 20, 50, 75.5, 100]))
    boolean = st.builds(lambda f, op, v: C.Cmp(f, op, v), st.sampled_from(BOOL_FIELDS),
                        st.sampled_from(["eq", "ne"]), st.booleans())
    choice_in = st.builds(lambda vs: C.In("kidney_disease", tuple(vs)),
                          st.lists(st.sampled_from(["none", "ckd", "dialysis", "transplant"]), min_size=1,
                                   max_size=3, unique=True))
    contains = st.builds(lambda v: C.Contains("medication_classes", v), st.sampled_from(CLASSES))
    present = st.builds(C.Present, st.sampled_from(NUM_FIELDS + BOOL_FIELDS + ["kidney_disease", "medication_classes"]))
    return st.one_of(num, boolean, choice_in, contains, present)


conditions = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(C.Not, inner),
        st.builds(lambda xs: C.All(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda xs: C.AnyOf(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
    ),
    max_leaves=8,
)

facts = st.fixed_dictionaries({}, optional={
    "ferritin_ng_ml": st.sampled_from([0.0, 18.0, 20.0, 50.0, 75.5, 100.0, 250.0]),
    "tsat_percent": st.sampled_from([0.0, 19.5, 20.0, 45.0]),
    "age_years": st.sampled_from([0, 17, 18, 50, 100]),
    "pregnant": st.booleans(),
    "smoker": st.booleans(),
    "kidney_disease": st.sampled_from(["none", "ckd", "dialysis", "transplant"]),
    "medication_classes": st.lists(st.sampled_from(CLASSES), min_size=1, max_size=3, unique=True).map(sorted),
})


@settings(max_examples=250, deadline=None)
@given(conds=st.lists(conditions, min_size=1, max_size=4), batch=st.lists(facts, min_size=1, max_size=12))
def test_compiled_conditions_match_the_reference_semantics(conds, batch):
    for cond in conds:
        for field in C.fields(cond):
            assert field in FACT_FIELDS
    rules = [(f"R-{i:03d}", cond) for i, cond in enumerate(conds)]
    with DurableEngine(rules) as engine:
        fired = engine.fire(batch)
    compiled = C.compile_python(rules)
    for rule_id, cond in rules:
        for fact, got in zip(batch, fired):
            expected = C.evaluate(cond, fact)
            assert (rule_id in compiled(fact)) == expected
            assert (rule_id in got) == expected, (C.to_durable(cond), fact)


# Groups of the conditions above, large enough that many exceed the engine's limit.
big_conditions = st.builds(lambda items, every: (C.All if every else C.AnyOf)(tuple(items)),
                           st.lists(conditions, min_size=5, max_size=10), st.booleans())


@settings(max_examples=80, deadline=None)
@given(cond=big_conditions, batch=st.lists(facts, min_size=1, max_size=12))
def test_a_condition_too_big_for_durable_rules_is_split_into_equivalent_parts(cond, batch):
    """durable-rules refuses a rule with more than 15 and/or groups; the parts keep its meaning."""
    parts = C.durable_parts(cond, None, lambda expr: {"$and": [{"$ex": {"rid": 1}}, expr]})
    if any(C._groups(part) > C.DURABLE_MAX_GROUPS for part in parts):  # too many parts: left whole
        assert len(parts) == 1
        with pytest.raises(EngineError, match="refused rules: R-001"):
            DurableEngine([("R-001", cond)])
        return
    assert len(parts) <= C.DURABLE_MAX_PARTS
    with DurableEngine([("R-001", cond)]) as engine:
        fired = engine.fire(batch)
    for fact, got in zip(batch, fired):
        assert ("R-001" in got) == C.evaluate(cond, fact), (cond, fact)
