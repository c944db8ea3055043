"""The safety review's realistic cases: each pins a finding a clinician must not miss."""

from __future__ import annotations

import pytest

from screener.core.parse import parse_intake
from screener.core.questionnaire import default_questionnaire


@pytest.fixture(scope="module")
def screen(durable):
    def run(**answers):
        parsed = parse_intake(answers)
        assert parsed.intake is not None, parsed.errors
        report = durable.screen(parsed.intake)
        return {f.rule_id: f for f in report.findings}, {f.code for f in report.findings}
    return run


def test_a_man_with_iron_deficiency_anaemia_gets_a_search_for_its_cause(screen):
    findings, codes = screen(sex="male", age_years=58, ferritin_ng_ml=18, tsat_percent=12, hemoglobin_g_dl=11.5)
    assert {"iron_deficiency", "iron_deficiency_anaemia", "iron_deficiency_workup"} <= codes
    workup = findings["ALERT-005"]
    assert "gastrointestinal" in workup.advice and "coeliac" in workup.advice
    assert "Ferritin 18 ng/mL with TSAT 12%" in findings["IRON-001"].advice
    assert "Haemoglobin 11.5 g/dL" in findings["IRON-007"].advice


def test_a_premenopausal_woman_without_anaemia_gets_no_workup_alert(screen):
    _, codes = screen(sex="female", age_years=35, ferritin_ng_ml=20, hemoglobin_g_dl=12.8)
    assert "iron_deficiency" in codes and "iron_deficiency_workup" not in codes
    _, codes = screen(sex="female", age_years=35, ferritin_ng_ml=20, hemoglobin_g_dl=11.8)
    assert "iron_deficiency_workup" in codes


def test_a_woman_on_cabergoline_with_earlier_symptoms_gets_the_augmentation_alert(screen):
    questionnaire = default_questionnaire()
    asked = {q.id for q in questionnaire.applicable({"sex": "female", "age_years": 52,
                                                    "medications": ["cabergoline 0.5 mg"]})}
    assert {"dopaminergic_worsening", "impulse_control_symptoms"} <= asked
    findings, codes = screen(sex="female", age_years=52, medications=["cabergoline 0.5 mg"], dopaminergic_worsening="yes",
                             impulse_control_symptoms="yes")
    assert {"augmentation", "impulse_control"} <= codes
    assert "ALERT-001" in findings and "ALERT-007" not in findings


def test_parkinsons_disease_routes_worsening_to_the_neurologist(screen):
    findings, _ = screen(medications=["Sinemet"], dopaminergic_worsening="yes", parkinsons_disease="yes")
    assert "ALERT-007" in findings and "ALERT-001" not in findings
    assert "neurologist" in findings["ALERT-007"].advice


def test_a_high_ferritin_with_a_low_tsat_is_a_disagreement_not_low_stores(screen):
    findings, codes = screen(age_years=50, ferritin_ng_ml=800, tsat_percent=15)
    assert "iron_indices_discordant" in codes and "iron_deficiency" not in codes
    assert "Ferritin 800 ng/mL with TSAT 15%" in findings["IRON-005"].advice


def test_rheumatoid_arthritis_makes_ferritin_unreliable(screen):
    findings, codes = screen(age_years=50, ferritin_ng_ml=180, rheumatoid_arthritis="yes")
    assert "ferritin_unreliable" in codes
    assert "measure TSAT" in findings["IRON-004"].advice


def test_a_pregnant_woman_on_doxylamine_pyridoxine_is_not_told_of_a_non_sedating_alternative(screen):
    findings, codes = screen(sex="female", age_years=29, pregnant="yes", pregnancy_trimester=1,
                             medications=["Diclegis"])
    advice = findings["DRUG-008"].advice
    assert "obstetric team" in advice and "non-sedating alternative" not in advice
    assert "pregnancy_treatment" in codes


def test_a_failing_graft_counts_as_kidney_failure(screen):
    _, codes = screen(kidney_disease="transplant", egfr_ml_min=12)
    assert "kidney_failure" in codes
    _, codes = screen(kidney_disease="transplant", egfr_ml_min=75)
    assert not {"kidney_failure", "kidney_disease"} & codes


def test_symptoms_persisting_after_delivery_are_flagged(screen):
    findings, codes = screen(sex="female", age_years=31, weeks_postpartum=8, urge_to_move="yes")
    assert "postpartum_persistent" in codes
    assert "8 weeks after delivery" in findings["PREG-005"].advice


@pytest.mark.parametrize("ferritin, tsat, expected", [
    (150, 15, {"IRON-006", "IRON-004", "KIDNEY-001"}),   # both below the dialysis thresholds
    (300, 15, {"IRON-005", "IRON-004", "KIDNEY-001"}),   # ferritin above 200: the two disagree
    (60, 30, {"IRON-006", "KIDNEY-001"}),                # below the general adult threshold
])
def test_the_dialysis_iron_rules_and_the_kidney_rule_agree(screen, ferritin, tsat, expected):
    findings, _ = screen(age_years=60, kidney_disease="dialysis", ferritin_ng_ml=ferritin, tsat_percent=tsat)
    iron = {rid for rid in findings if rid.startswith(("IRON", "KIDNEY"))}
    assert iron == expected
    assert "IRON-001" not in findings and "IRON-003" not in findings  # general thresholds do not apply
