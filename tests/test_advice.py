"""Advice that reads the answers: it never asks for what was given, and quotes the person's values."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings

from screener.core.facts import value_text
from screener.core.parse import parse_intake
from test_property import intakes

# Advice wording that asks for an answer, and the answer it asks for.
ASKS_FOR = {
    r"\b(measure|check)\w* (serum )?ferritin\b|ferritin was not given": "ferritin_ng_ml",
    r"\b(measure|check)\w* (ferritin and )?TSAT\b|\bTSAT first\b|ask the renal team for the TSAT"
    r"|\bmeasure serum ferritin and transferrin saturation\b|so that TSAT is known": "tsat_percent",
    r"\bmeasure (ferritin and )?haemoglobin\b|measure haemoglobin too": "hemoglobin_g_dl",
    r"\bnote the latest eGFR\b": "egfr_ml_min",
    r"\bask whether raising the legs\b": "eased_by_leg_elevation",
}
QUOTES = {"ferritin_ng_ml": r"Ferritin (\S+) ng/mL", "tsat_percent": r"TSAT (\S+)%",
          "hemoglobin_g_dl": r"[Hh]aemoglobin (\S+) g/dL", "egfr_ml_min": r"eGFR (?:of )?(\d[\d.]*)"}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=intakes)
def test_advice_never_asks_for_an_answer_that_was_given(answers, reference):
    parsed = parse_intake(answers)
    if parsed.intake is None:
        return
    report = reference.screen(parsed.intake)
    given_answers = {k: v for k, v in parsed.intake.__dict__.items()
                     if v is not None and k != "unknown_fields" and k not in parsed.intake.unknown_fields}
    for finding in report.findings:
        advice = finding.advice
        assert "{" not in advice and "None" not in advice, (finding.rule_id, advice)
        for pattern, field in ASKS_FOR.items():
            if field in given_answers:
                assert not re.search(pattern, advice, re.I), (finding.rule_id, field, advice)
        for field, pattern in QUOTES.items():
            for quoted in re.findall(pattern, advice):
                assert field in given_answers, (finding.rule_id, advice)
                assert quoted.rstrip(".,;:)") == value_text(field, given_answers[field]), (finding.rule_id, advice)


def test_the_first_variant_that_applies_is_used(reference):
    def advice(**answers):
        report = reference.screen(parse_intake(answers).intake)
        return {f.rule_id: f.advice for f in report.findings}["IRON-001"]

    assert advice(age_years=40, ferritin_ng_ml=30, tsat_percent=15, taking_iron="yes").startswith("Already taking iron")
    assert advice(age_years=40, ferritin_ng_ml=30.25, tsat_percent=15).startswith("Ferritin 30.2 ng/mL with TSAT 15%")
    assert advice(age_years=40, ferritin_ng_ml=30).startswith("Ferritin 30 ng/mL is at or below 75: measure TSAT")
    assert advice(age_years=40, tsat_percent=15).startswith("TSAT is below 20% and ferritin was not given")
