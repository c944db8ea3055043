"""durable-rules quirks that the engine hides, each pinned by a test."""

from __future__ import annotations

import resource

import pytest

from screener.core import conditions as C
from screener.core.engine import DurableEngine, ReferenceEngine

RULES = [
    ("IRON-001", C.parse({"any": [{"ferritin_ng_ml": {"le": 75}}, {"tsat_percent": {"lt": 20}}]})),
    ("GAP-001", C.parse({"ferritin_ng_ml": {"missing": True}})),  # a rule of absences only
    ("GAP-002", C.parse({"all": [{"tsat_percent": {"missing": True}}, {"ferritin_ng_ml": {"missing": True}}]})),
    ("DRUG-001", C.parse({"medication_classes": {"contains": "ssri"}})),
    ("KIDNEY-001", C.parse({"kidney_disease": {"in": ["ckd", "dialysis"]}})),
]


@pytest.fixture
def engine():
    with DurableEngine(RULES) as eng:
        yield eng


def test_no_rule_matches_is_an_empty_result(engine):
    assert engine.fire([{"ferritin_ng_ml": 200.0, "tsat_percent": 30.0}]) == [set()]


def test_identical_facts_are_each_scored(engine):
    fact = {"ferritin_ng_ml": 30.0}
    assert engine.fire([fact, fact, dict(fact)]) == [{"IRON-001"}] * 3
    assert engine.fire([fact]) == [{"IRON-001"}]  # and again in a later call


def test_or_fires_once_per_respondent(engine):
    assert engine.fire([{"ferritin_ng_ml": 30.0, "tsat_percent": 10.0}]) == [{"IRON-001"}]


def test_absence_only_rules_fire_for_respondents_only(engine):
    # The engine's own state fact must not count: an empty respondent fires the absence rules
    # exactly once, and a chunk of none fires nothing.
    assert engine.fire([{}]) == [{"GAP-001", "GAP-002"}]
    assert engine.fire([]) == []


def test_many_chunks_keep_order_and_positions(engine):
    facts = [{"ferritin_ng_ml": float(i % 150)} if i % 7 else {} for i in range(1234)]
    assert engine.fire(facts) == ReferenceEngine(RULES).fire(facts)


def test_failure_while_reading_results_leaves_the_engine_usable(engine, monkeypatch):
    def broken(text, fired):
        raise RuntimeError("simulated failure while reading a result")

    monkeypatch.setattr(engine, "_read_result", broken)
    with pytest.raises(RuntimeError, match="simulated"):
        engine.fire([{"ferritin_ng_ml": 30.0}, {}])
    monkeypatch.undo()
    facts = [{"ferritin_ng_ml": 30.0}, {}, {"kidney_disease": "ckd", "ferritin_ng_ml": 300.0}]
    assert engine.fire(facts) == ReferenceEngine(RULES).fire(facts)


def test_an_engine_failure_mid_drain_refuses_further_work(engine, monkeypatch):
    def broken(handle, state):
        raise RuntimeError("simulated engine failure")

    monkeypatch.setattr(engine, "_dre", _Proxy(engine._dre, complete_and_start_action=broken))
    with pytest.raises(RuntimeError, match="simulated"):
        engine.fire([{"ferritin_ng_ml": 30.0}, {}])
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="build a new one"):  # never a silently partial result
        engine.fire([{}])


def test_an_engine_failure_while_asserting_refuses_further_work(engine, monkeypatch):
    def broken(handle, text):
        raise RuntimeError("simulated failure while asserting")

    monkeypatch.setattr(engine, "_dre", _Proxy(engine._dre, assert_facts=broken))
    with pytest.raises(RuntimeError, match="simulated"):
        engine.fire([{"ferritin_ng_ml": 30.0}])
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="build a new one"):
        engine.fire([{}])


def test_building_engines_again_and_again_in_one_process():
    for _ in range(30):
        with DurableEngine(RULES) as eng:
            assert eng.fire([{"ferritin_ng_ml": 30.0}]) == [{"IRON-001"}]
    a, b = DurableEngine(RULES), DurableEngine(RULES)
    try:
        assert a.ruleset_name != b.ruleset_name
        assert a.fire([{}]) == b.fire([{}])
    finally:
        a.close()
        b.close()


def test_closed_engine_refuses_work():
    eng = DurableEngine(RULES)
    eng.close()
    eng.close()  # closing twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        eng.fire([{}])


def test_reserved_rule_ids_are_refused():
    with pytest.raises(ValueError, match="reserved"):
        DurableEngine([("__warmup__", RULES[0][1])])


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def test_memory_stays_flat_over_100k_respondents(durable, rulebook):
    from screener.core.parse import parse_intake

    intakes = [parse_intake(a).intake for a in (
        {"age_years": 40, "ferritin_ng_ml": 30, "medications": ["sertraline"]},
        {"age_years": 70, "kidney_disease": "dialysis", "cramps_hard_knotted_muscle": True},
        {},
    )]
    block = [intakes[i % 3] for i in range(5000)]
    durable.fired(block)  # warm-up
    start = _rss_mib()
    for _ in range(20):  # 100,000 respondents
        durable.fired(block)
    assert _rss_mib() - start < 10


class _Proxy:
    """The C module with some functions replaced (the module itself is read-only)."""

    def __init__(self, real, **overrides):
        self._real = real
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.mark.parametrize("value", [1e-300, 5e-324, 1e16, 1e30])
def test_numbers_in_exponent_form_are_refused_not_misread(engine, value):
    with pytest.raises(RuntimeError, match="exponent form"):
        engine.fire([{"ferritin_ng_ml": value}])
    assert engine.fire([{"ferritin_ng_ml": 30.0}]) == [{"IRON-001"}]


@pytest.mark.parametrize("cell, value", [("1e-300", 0.0), ("0.00004", 0.0), ("0.00005", 0.0001), ("-0.0", 0.0)])
def test_intake_keeps_numbers_engine_safe(cell, value):
    from screener.core.parse import parse_intake

    assert parse_intake({"tsat_percent": cell}).intake.tsat_percent == value


BIG = C.AnyOf(tuple(C.All((C.Cmp("ferritin_ng_ml", "ne", i), C.Cmp("tsat_percent", "ne", i))) for i in range(20)))


def test_a_condition_too_big_for_the_engine_runs_as_several_engine_rules():
    facts = [{"ferritin_ng_ml": 5.0, "tsat_percent": 5.0}, {"ferritin_ng_ml": 50.0, "tsat_percent": 50.0}, {}]
    with DurableEngine([("BIG-001", BIG), ("R-001", C.Present("tsat_percent"))]) as engine:
        assert engine.fire(facts) == [{"BIG-001", "R-001"}, {"BIG-001", "R-001"}, set()]


def test_a_condition_the_engine_refuses_is_named(monkeypatch):
    monkeypatch.setattr(C, "durable_parts", lambda cond, alias, wrap: [wrap(C.to_durable(cond, alias))])
    pairs = [(f"R-{i:03d}", C.Cmp("ferritin_ng_ml", "ne", i)) for i in range(3)]
    with pytest.raises(RuntimeError, match=r"refused rules: BIG-001 \(simplify their conditions\)"):
        DurableEngine([*pairs, ("BIG-001", BIG)])


def test_screen_many_refuses_metas_that_do_not_pair_up(durable):
    from screener.core.parse import parse_intake

    intakes = [parse_intake({"ferritin_ng_ml": 30}).intake] * 3
    with pytest.raises(ValueError, match="3 intakes but 2 metas"):
        durable.screen_many(intakes, [{"row": 1}, {"row": 2}])
    assert [r.row for r in durable.screen_many(intakes, [{"row": i} for i in (1, 2, 3)])] == [1, 2, 3]
    assert len(durable.screen_many(intakes)) == 3
