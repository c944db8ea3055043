"""The clinical content of the rulebook: coverage of every code, wording, grades, criteria."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screener.core import conditions as C
from screener.core.advice import variants
from screener.ui.catalogue import to_markdown
from screener.core.facts import build_facts
from screener.core.parse import parse_intake
from screener.core.rulebook import default_rulebook
from screener.core.screening import separating_fields

RULEBOOK = default_rulebook()
RULES = RULEBOOK.rules
ROOT = Path(__file__).resolve().parents[1]

# The finding codes of the public contract (intake.md); the vocabulary may grow, never shrink.
CONTRACT_CODES = {
    "contributor": """iron_deficiency iron_borderline ferritin_unreliable pregnancy kidney_failure
        kidney_disease diabetes peripheral_neuropathy parkinsons_disease rheumatoid_arthritis hypothyroidism
        fibromyalgia multiple_sclerosis venous_insufficiency sleep_apnea drug_mirtazapine drug_ssri drug_snri
        drug_tca drug_lithium drug_antipsychotic drug_antiemetic_d2 drug_sedating_antihistamine
        drug_calcium_channel_blocker drug_beta_blocker drug_levothyroxine opioid_withdrawal caffeine alcohol
        smoking obesity sedentary sleep_deprivation iron_indices_discordant iron_deficiency_anaemia""",
    "primary_indicator": "family_history early_onset",
    "mimic": """leg_cramps positional_discomfort myalgia leg_edema venous_stasis arthritis
        habitual_foot_tapping anxiety neuropathy radiculopathy claudication akathisia sleep_starts""",
    "data_gap": "ferritin_missing tsat_missing criteria_incomplete medications_unrecognised",
    "alert": """augmentation iron_overload_risk pregnancy_treatment iron_deficiency_workup impulse_control
        postpartum_persistent""",
}
LIFESTYLE_GRADES = {"caffeine": "weak", "alcohol": "contested", "smoking": "moderate", "obesity": "moderate",
                    "sedentary": "moderate", "sleep_deprivation": "weak"}
DRUG_CLASS = {"drug_mirtazapine": "mirtazapine", "drug_ssri": "ssri", "drug_snri": "snri", "drug_tca": "tca",
              "drug_lithium": "lithium", "drug_antipsychotic": "antipsychotic", "drug_antiemetic_d2": "antiemetic_d2",
              "drug_sedating_antihistamine": "sedating_antihistamine",
              "drug_calcium_channel_blocker": "calcium_channel_blocker", "drug_beta_blocker": "beta_blocker",
              "drug_levothyroxine": "levothyroxine"}
STOP_WORDS = re.compile(r"\b(stop\w*|discontinu\w*|cease\w*|quit\w*|withdraw(?!al)\w*|taper off)\b", re.I)


def rules_for(code: str):
    return [rule for rule in RULES if rule.code == code]


def advice_of(rule) -> str:
    """Every wording of the rule's advice."""
    return " ".join(variant.text for variant in variants(rule))


def text_of(rule) -> str:
    return " ".join([rule.title, rule.why, advice_of(rule), rule.local_policy or ""])


# -- coverage ---------------------------------------------------------------------------------

def test_every_contract_code_is_in_the_vocabulary_under_its_kind():
    for kind, names in CONTRACT_CODES.items():
        for code in names.split():
            assert RULEBOOK.codes.get(code) == kind, code


def test_every_code_of_the_vocabulary_is_produced_by_at_least_one_rule():
    produced = {rule.code for rule in RULES}
    assert sorted(set(RULEBOOK.codes) - produced) == []


def test_rule_ids_use_a_topic_prefix():
    for rule in RULES:
        assert re.fullmatch(r"(IRON|PREG|KIDNEY|COND|DRUG|LIFE|PRIMARY|MIMIC|GAP|ALERT)-\d{3}", rule.id), rule.id


# -- wording and grades -----------------------------------------------------------------------

@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_advice_never_tells_anyone_to_stop_a_drug(rule):
    for text in (variant.text for variant in variants(rule)):
        for match in STOP_WORDS.finditer(text):
            before = text[max(0, match.start() - 24):match.start()].lower()
            assert re.search(r"\b(never|not|no)\b", before), f"{rule.id}: {text!r}"


@pytest.mark.parametrize("code, grade", sorted(LIFESTYLE_GRADES.items()))
def test_lifestyle_rules_say_may_aggravate_with_the_graded_evidence_and_a_stated_threshold(code, grade):
    for rule in rules_for(code):
        assert "may aggravate" in rule.title.lower()
        assert "cause" not in rule.title.lower()
        assert rule.evidence == grade
        assert rule.local_policy, f"{rule.id}: a local choice must say so"


@pytest.mark.parametrize("code, cls", sorted(DRUG_CLASS.items()))
def test_drug_rules_test_their_class_and_carry_its_grade(code, cls):
    [rule] = rules_for(code)
    assert C.Contains("medication_classes", cls) in C.leaves(rule.condition)
    assert rule.evidence == RULEBOOK.lexicon.classes[cls].evidence
    for variant in variants(rule):
        assert "prescriber" in variant.text or "pharmacist" in variant.text or "obstetric" in variant.text, rule.id


def own_leaves(cond: C.Condition, named: list[C.Condition]) -> list[C.Condition]:
    """The leaves of a condition outside the named conditions it uses (those have their own examples)."""
    if any(cond is definition for definition in named):
        return []
    if isinstance(cond, (C.All, C.AnyOf)):
        return [leaf for item in cond.items for leaf in own_leaves(item, named)]
    if isinstance(cond, C.Not):
        return own_leaves(cond.item, named)
    return [cond]


def test_every_numeric_threshold_has_a_silent_near_miss_at_its_boundary():
    named = [d._condition for d in RULEBOOK.definitions.values()]
    owners = [(rule.id, rule.condition, rule.examples) for rule in RULES]
    owners += [(f"definition {d.id}", d._condition, d.examples) for d in RULEBOOK.definitions.values()]
    for owner, condition, examples in owners:
        silent = [build_facts(parse_intake(ex).intake, RULEBOOK.lexicon).facts for ex in examples.silent]
        for leaf in own_leaves(condition, [n for n in named if n is not condition]):
            if isinstance(leaf, C.Cmp) and not isinstance(leaf.value, (bool, str)):
                near = [f for f in silent if leaf.field in f and abs(f[leaf.field] - leaf.value) <= 1]
                assert near, f"{owner}: no silent example within 1 of {leaf.field} {leaf.op} {leaf.value}"


def test_beta_blockers_and_calcium_channel_blockers_are_graded_weak():
    for code in ("drug_beta_blocker", "drug_calcium_channel_blocker"):
        assert {rule.evidence for rule in rules_for(code)} == {"weak"}


@pytest.mark.parametrize("codes", [("peripheral_neuropathy", "neuropathy"), ("venous_insufficiency", "venous_stasis")])
def test_dual_role_conditions_say_so_in_both_rules(codes):
    for code in codes:
        for rule in rules_for(code):
            text = text_of(rule).lower()
            assert "dual role" in text and "mimic" in text and "contribut" in text, rule.id


def test_no_adult_rule_uses_the_superseded_ferritin_50_threshold():
    for rule in RULES:
        leaves = C.leaves(rule.condition)
        if any(isinstance(leaf, C.Cmp) and leaf.field == "ferritin_ng_ml" and leaf.value == 50 for leaf in leaves):
            assert C.Cmp("age_years", "lt", 18) in leaves, rule.id


def test_no_rule_calls_droperidol_an_antiseizure_drug():
    for rule in RULES:
        text = text_of(rule).lower()
        if "droperidol" in text:
            assert "antiemetic" in text and "not with antiseizure" in text, rule.id


def test_thresholds_of_sources_that_disagree_say_which_source_is_followed():
    for code in ("iron_deficiency", "alcohol", "multiple_sclerosis", "augmentation"):
        assert any("follow" in rule.why for rule in rules_for(code)), code


# -- data gaps and criteria -------------------------------------------------------------------

def test_the_criterion_5_gap_asks_exactly_the_separating_mimic_questions():
    [gap] = [rule for rule in rules_for("criteria_incomplete") if "urge_to_move" in C.fields(rule.condition)
             and len(C.fields(rule.condition)) > 4]
    asked = C.fields(gap.condition) - {"urge_to_move"}
    assert asked == set(separating_fields(RULEBOOK))
    assert len(asked) >= 13


NO_MIMIC = {field: "no" for field in separating_fields(RULEBOOK)}
SYMPTOMS = {"urge_to_move": "yes", "worse_at_rest": "yes", "relieved_by_movement": "yes", "worse_evening_night": "yes"}
CONDITIONS_NO = {field: "no" for field in ("diabetes", "peripheral_neuropathy", "parkinsons_disease",
                                           "rheumatoid_arthritis", "hypothyroidism", "fibromyalgia",
                                           "multiple_sclerosis", "venous_insufficiency", "sleep_apnea_untreated",
                                           "inflammatory_condition", "family_history_rls", "opioid_recently_stopped",
                                           "smoker")}


def healthy(**answers):
    """A complete intake with nothing wrong, then the given answers."""
    base = {"age_years": 45, "sex": "male", "urge_to_move": "no", "worse_at_rest": "no",
            "relieved_by_movement": "no", "worse_evening_night": "no", "ferritin_ng_ml": 150, "tsat_percent": 30,
            "hemoglobin_g_dl": 14, "taking_iron": "no", "kidney_disease": "none", "medications": [],
            "caffeine_drinks_per_day": 2, "alcohol_drinks_per_week": 4, "bmi": 24, "physically_active": "yes",
            "sleep_hours": 7.5, **CONDITIONS_NO, **NO_MIMIC}
    return {**base, **answers}


HEALTHY = {
    "no symptoms": healthy(),
    "primary RLS, late onset, common drugs": healthy(
        age_years=58, **SYMPTOMS, symptom_days_per_week=3, onset_age_years=50,
        medications=["lisinopril 10 mg", "atorvastatin", "loratadine"], started_after_new_drug="no",
        caffeine_drinks_per_day=3, alcohol_drinks_per_week=14, bmi=29.9, sleep_hours=6),
    "teenager at the paediatric boundary": healthy(
        age_years=16, ferritin_ng_ml=50, tsat_percent=20, bmi=21, alcohol_drinks_per_week=0, sleep_hours=9,
        medications=["cetirizine"], started_after_new_drug="no"),
    "kidney transplant on bupropion": healthy(
        age_years=70, sex="female", pregnant="no", kidney_disease="transplant", ferritin_ng_ml=250, tsat_percent=35,
        medications=["Wellbutrin XL 150mg", "omeprazole", "vitamin d"], started_after_new_drug="no"),
    "young woman, not pregnant, no recent delivery": healthy(
        age_years=31, sex="female", pregnant="no", ferritin_ng_ml=100.5, tsat_percent=20,
        caffeine_drinks_per_day=3.5, **SYMPTOMS, symptom_days_per_week=1, onset_age_years=28),
    "on measured iron": healthy(
        age_years=40, sex="female", pregnant="no", taking_iron="yes", medications=["ferrous sulfate 200 mg"],
        started_after_new_drug="no", ferritin_ng_ml=110, tsat_percent=44.9),
}


@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_healthy_complete_intakes_give_no_contributor_mimic_alert_or_gap(name, durable, reference):
    parsed = parse_intake(HEALTHY[name])
    assert parsed.intake is not None, parsed.errors
    for screener in (durable, reference):
        report = screener.screen(parsed.intake)
        kinds = {f"{f.kind}:{f.code}" for f in report.findings if f.kind != "primary_indicator"}
        assert kinds == set()
        assert report.criteria.met is (report.criteria.items["1_urge_to_move"] is True)
        assert report.criteria.missing == [] and report.criteria.mimic_questions_unanswered == []


def criteria_of(screener, answers):
    parsed = parse_intake(answers)
    assert parsed.intake is not None, parsed.errors
    report = screener.screen(parsed.intake)
    return report.criteria, {f.code for f in report.findings}


def test_criteria_met_needs_all_four_answers(durable):
    crit, _ = criteria_of(durable, {**SYMPTOMS, **NO_MIMIC})
    assert crit.met is True and crit.missing == [] and crit.mimics == [] and crit.mimic_questions_unanswered == []
    assert [c.status for c in crit.criteria_1_4] == ["met"] * 4 and "5_no_mimic_reported" not in crit.items
    assert "16%" in crit.note and "not a diagnosis" in crit.note


def test_criteria_null_lists_the_missing_answers_and_a_gap_is_reported(durable):
    crit, codes = criteria_of(durable, {"urge_to_move": "yes", "worse_at_rest": "unsure", **NO_MIMIC})
    assert crit.met is None
    assert crit.missing == ["worse_at_rest", "relieved_by_movement", "worse_evening_night"]
    assert "criteria_incomplete" in codes

    # an unanswered mimic question leaves criteria 1-4 met: criterion 5 lists it for a clinician
    without_one = {k: v for k, v in NO_MIMIC.items() if k != "pain_in_joints"}
    crit, codes = criteria_of(durable, {**SYMPTOMS, **without_one})
    assert crit.met is True and crit.missing == [] and crit.mimic_questions_unanswered == ["pain_in_joints"]
    assert "criteria_incomplete" in codes


def test_criteria_false_on_a_no_answer_never_on_a_reported_mimic(durable):
    crit, _ = criteria_of(durable, {**SYMPTOMS, "worse_evening_night": "no"})
    assert crit.met is False and crit.items["4_worse_evening_night"] is False
    assert crit.criteria_1_4[3].status == "not_met" and crit.mimic_questions_unanswered == []
    for field in separating_fields(RULEBOOK):  # each mimic alone: criteria 1-4 stay met, the mimic is listed
        crit, codes = criteria_of(durable, {**SYMPTOMS, **NO_MIMIC, field: "yes"})
        assert crit.met is True and len(crit.mimics) == 1 and crit.mimics[0] in codes, field


# -- the reviewers' catalogue -----------------------------------------------------------------

def test_docs_rules_md_is_up_to_date():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == to_markdown(RULEBOOK), "regenerate: screener rules --format markdown > docs/rules.md"


# -- what a reader of a report can check ---------------------------------------------------------

INTERNAL = re.compile(r"clinical\.md|\bseeds?\b|\b[0-9]{3}_[0-9a-f]{16}\.txt", re.I)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_text_and_citations_name_no_working_document(rule):
    assert not INTERNAL.search(text_of(rule)), rule.id
    for sid in rule.sources:
        assert not INTERNAL.search(RULEBOOK.sources[sid].citation), sid


@pytest.mark.parametrize("rule", [r for r in RULES if re.search(r"pooled|meta-analysis", r.why, re.I)],
                         ids=lambda r: r.id)
def test_pooled_figures_cite_a_meta_analysis(rule):
    assert any(RULEBOOK.sources[sid].kind == "meta-analysis" for sid in rule.sources), rule.id


def test_ferritin_unreliable_states_its_departure_from_the_100_cut_off():
    for rule in rules_for("ferritin_unreliable"):
        assert rule.local_policy and "100" in rule.local_policy, rule.id


def test_kidney_failure_cites_the_pooled_haemodialysis_meta_analysis():
    [rule] = [rule for rule in rules_for("kidney_failure") if C.leaves(rule.condition) == [
        C.Cmp("kidney_disease", "eq", "dialysis")]]
    assert "27%" in rule.why and "zhou-hemodialysis-meta" in rule.sources
