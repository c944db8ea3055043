"""The IRLSSG criteria in a report, with realistic people: criteria 1-4 each met, not met or
unknown naming the decisive answer; criterion 5 lists possible mimics for a clinician to
exclude and never reads "not met"; after "no urge to move" the urge follow-ups are neither
asked nor asked for by a data gap."""

from __future__ import annotations

import json

import pytest
from helpers import invoke, typed_lines
from test_questionnaire import walk

from screener.core.parse import parse_intake
from screener.core.questionnaire import default_questionnaire
from screener.core.screening import separating_fields
from screener.ui.layout import build_layout
from screener.ui.render import FORMATS

Q = default_questionnaire()
FOLLOW_UPS = ("worse_at_rest", "relieved_by_movement", "worse_evening_night")

# A woman of 64: evening restlessness that walking eases, and calf cramps at night as well.
WITH_CRAMPS = {
    "respondent_id": "c-1", "age_years": "64", "sex": "female", "urge_to_move": "yes", "worse_at_rest": "yes",
    "relieved_by_movement": "yes", "worse_evening_night": "yes", "symptom_days_per_week": "4",
    "onset_age_years": "58", "family_history_rls": "no", "cramps_hard_knotted_muscle": "yes",
    "ferritin_ng_ml": "110", "tsat_percent": "28", "kidney_disease": "none", "medications": "none",
}
# A man of 67 who smokes: calf pain when he walks, which settles when he stops; no urge to move.
NO_URGE = {
    "respondent_id": "c-2", "age_years": "67", "sex": "male", "urge_to_move": "no", "family_history_rls": "no",
    "walking_brings_on_pain": "yes", "ferritin_ng_ml": "140", "tsat_percent": "31", "kidney_disease": "none",
    "diabetes": "yes", "medications": "metformin, atorvastatin", "started_after_new_drug": "no", "smoker": "yes",
}
# A woman of 39 who is not sure whether moving eases it.
UNSURE = {
    "respondent_id": "c-3", "age_years": "39", "sex": "female", "urge_to_move": "yes", "worse_at_rest": "yes",
    "relieved_by_movement": "unsure", "worse_evening_night": "yes", "pregnant": "no", "medications": "none",
}


def others_no(answers: dict[str, str]) -> dict[str, str]:
    """Every mimic question the person was asked and did not answer, answered no."""
    from screener.core.rulebook import default_rulebook

    return {**{field: "no" for field in separating_fields(default_rulebook())}, **answers}


def screened(screener, typed: dict[str, str]):
    parsed = parse_intake(walk(typed))
    assert parsed.intake is not None, parsed.errors
    return screener.screen(parsed.intake)


def shown(report, fmt: str = "text") -> str:
    return " ".join(FORMATS[fmt](report).split())


def test_criteria_1_4_met_and_cramps_listed_as_a_mimic_to_exclude_never_not_met(durable, reference):
    for screener in (durable, reference):
        report = screened(screener, others_no(WITH_CRAMPS))
        crit = report.criteria
        assert crit.met is True
        assert [(c.number, c.field, c.status, c.answer) for c in crit.criteria_1_4] == [
            (1, "urge_to_move", "met", True), (2, "worse_at_rest", "met", True),
            (3, "relieved_by_movement", "met", True), (4, "worse_evening_night", "met", True)]
        assert crit.mimics == ["leg_cramps"] and crit.mimic_questions_unanswered == [] and crit.missing == []
    layout = build_layout(report)
    assert layout.criteria == ("IRLSSG screen: criteria 1-4 met; 1 possible mimic for a "
                               "clinician to exclude: nocturnal leg cramps.")
    assert layout.criteria_items[-1] == ("5. Mimics to exclude",
                                         "reported, for a clinician to exclude: nocturnal leg cramps")
    for fmt in ("text", "markdown", "html"):
        text = shown(report, fmt)
        assert "not met" not in text and "criteria 1-4 met" in text, fmt
    assert json.loads(FORMATS["json"](report))["criteria"]["met"] is True


def test_two_mimics_are_counted_and_named_in_the_summary(durable):
    report = screened(durable, others_no({**WITH_CRAMPS, "numb_or_burning_feet": "yes"}))
    assert report.criteria.met is True and report.criteria.mimics == ["leg_cramps", "neuropathy"]
    assert ("criteria 1-4 met; 2 possible mimics for a clinician to exclude: nocturnal leg cramps, peripheral "
            "neuropathy") in shown(report)


def test_no_urge_skips_the_follow_ups_and_criterion_1_is_not_met_naming_the_answer(durable, reference):
    answers = walk(others_no(NO_URGE))
    assert answers["urge_to_move"] is False and not set(answers) & set(FOLLOW_UPS)
    asked = [q.id for q in Q.applicable(answers)]
    assert not set(asked) & {*FOLLOW_UPS, "symptom_days_per_week", "onset_age_years"}
    assert {"family_history_rls", "walking_brings_on_pain", "started_after_new_drug"} <= set(asked)
    for screener in (durable, reference):
        report = screened(screener, others_no(NO_URGE))
        crit = report.criteria
        assert crit.met is False and crit.missing == [] and crit.mimic_questions_unanswered == []
        assert [(c.status, c.answer) for c in crit.criteria_1_4] == [
            ("not_met", False), ("not_applicable", None), ("not_applicable", None), ("not_applicable", None)]
        assert "criteria_incomplete" not in {f.code for f in report.findings}  # no gap asks for criteria 2-4
        assert crit.mimics == ["claudication"]
    text = shown(report)
    assert ("IRLSSG screen: criterion 1 not met (urge to move the legs: no); criteria 2-4 "
            "not applicable (no urge to move); 1 possible mimic for a clinician to exclude: pain brought on by "
            "walking (claudication).") in text
    assert "2. Worse at rest not applicable (no urge to move)" in text
    assert not any("unknown" in value for _, value in build_layout(report).criteria_items)


def test_no_urge_in_a_file_with_the_follow_ups_answered_still_makes_them_not_applicable(durable):
    # data from another form that asked every question: the answers are kept, not counted
    answers = {"age_years": 50, "urge_to_move": "no", "worse_at_rest": "yes", "relieved_by_movement": "unsure"}
    report = json.loads(invoke(["score", "-", "--format", "json"], input=json.dumps(answers)).stdout)
    crit = report["criteria"]
    assert crit["met"] is False and crit["missing"] == [] and crit["unknown"] == []
    assert [(c["status"], c["answer"]) for c in crit["criteria_1_4"]] == [
        ("not_met", False), ("not_applicable", True), ("not_applicable", "unknown"), ("not_applicable", None)]
    assert "criteria_incomplete" not in {f["code"] for f in report["findings"]}
    text = " ".join(invoke(["score", "-", "--format", "text"], input=json.dumps(answers)).stdout.split())
    assert "not applicable (no urge to move; answered yes)" in text


def test_no_urge_on_screen_asks_no_follow_up_and_reports_criterion_1_not_met(tmp_path):
    typed = others_no(NO_URGE)
    result = invoke(["ask", "--answers-out", str(tmp_path / "a.json")], input="\n".join([*typed_lines(typed), ""]) + "\n")
    for field in (*FOLLOW_UPS, "symptom_days_per_week", "onset_age_years"):
        assert Q[field].text not in result.stdout, field
    assert Q["walking_brings_on_pain"].text in result.stdout
    screen = " ".join(result.stdout.split())
    assert "criterion 1 not met (urge to move the legs: no)" in screen
    assert "Diagnostic criteria 1-4 not all answered" not in screen


def test_unsure_to_criterion_3_is_unknown_naming_it(durable, reference):
    for screener in (durable, reference):
        report = screened(screener, others_no(UNSURE))
        crit = report.criteria
        assert crit.met is None and crit.missing == ["relieved_by_movement"] and crit.unknown == ["relieved_by_movement"]
        assert crit.criteria_1_4[2].status == "unknown" and crit.criteria_1_4[2].answer == "unknown"
        assert [c.status for c in crit.criteria_1_4] == ["met", "met", "unknown", "met"]
        [gap] = [f for f in report.findings if f.code == "criteria_incomplete"]
        assert "relieved by movement" in gap.because
    text = shown(report)
    assert ("criteria 1, 2 and 4 met; criterion 3 unknown (relieved by movement: answered unsure); no mimic "
            "reported") in text
    assert "3. Relieved by movement unknown (answered unsure)" in text and "not met" not in text


def test_an_unanswered_criterion_says_not_answered_apart_from_unsure(durable):
    report = screened(durable, others_no({k: v for k, v in UNSURE.items() if k != "relieved_by_movement"}))
    assert report.criteria.criteria_1_4[2].answer is None and report.criteria.unknown == []
    assert "criterion 3 unknown (relieved by movement: not answered)" in shown(report)


@pytest.mark.parametrize("urge, fires", [("no", False), ("unsure", True), ("", True), ("yes", True)])
def test_the_criteria_gap_asks_for_criteria_2_4_only_while_an_urge_is_possible(durable, urge, fires):
    report = screened(durable, {"age_years": "45", "sex": "male", "urge_to_move": urge})
    gaps = [f for f in report.findings if f.code == "criteria_incomplete" and f.rule_id == "GAP-003"]
    assert bool(gaps) is fires, urge


def test_no_data_gap_asks_for_an_urge_follow_up_after_no_urge(durable):
    from screener.core import conditions as C

    rules = {rule.id: rule for rule in durable.rulebook.rules}
    follow_ups = {*FOLLOW_UPS, "symptom_days_per_week", "onset_age_years"}
    without_labs = {k: v for k, v in NO_URGE.items() if k not in ("ferritin_ng_ml", "tsat_percent")}
    for typed in (without_labs, {"age_years": "30", "sex": "female", "urge_to_move": "no"}):
        report = screened(durable, typed)
        gaps = [f.rule_id for f in report.findings if f.kind == "data_gap"]
        assert gaps and all(not C.fields(rules[rule_id].condition) & follow_ups for rule_id in gaps), gaps
