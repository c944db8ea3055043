"""The questionnaire file: one question per Intake field, agreement with Intake, skip logic,
and answer checks that accept and reject exactly what the Intake model does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from screener.core.intake import FIELDS, Intake
from screener.core.questionnaire import (TYPES, AnswerError, QuestionnaireError, default_questionnaire,
                                    load_questionnaire, questionnaire_path)

Q = default_questionnaire()
RAW = yaml.safe_load(questionnaire_path().read_text(encoding="utf-8"))


def asked(answers: dict) -> list[str]:
    return [q.id for q in Q.applicable(answers)]


def walk(answers: dict[str, str]) -> dict:
    """Answer the questionnaire in order as a person would (blank = skip); the stored answers."""
    given: dict = {}
    while todo := [q for q in Q.applicable(given) if q.id not in given]:
        question = todo[0]
        given = Q.effective({**given, question.id: Q.check(question, answers.get(question.id, ""), given).value})
    return given


# -- the file against the Intake model ------------------------------------------------------------

def test_every_question_is_an_intake_field_and_every_field_has_a_question():
    ids = [q["id"] for q in RAW["questions"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(FIELDS)
    assert set(FIELDS) == set(Intake.model_fields) - {"unknown_fields"}
    assert {"height_cm", "weight_kg", "bmi", "respondent_id"} <= set(ids)


def test_stated_types_units_ranges_and_choices_agree_with_intake():
    for raw in RAW["questions"]:
        spec = FIELDS[raw["id"]]
        assert raw["type"] == TYPES[spec.kind], raw["id"]
        assert raw.get("unit") == spec.unit, raw["id"]
        assert (raw.get("min"), raw.get("max")) == (spec.minimum, spec.maximum), raw["id"]
        assert tuple(c["code"] for c in raw.get("choices", [])) == spec.choices, raw["id"]
        assert raw["section"] in {s["id"] for s in RAW["sections"]}
        assert len(raw["help"]) > 20 and len(raw["text"]) > 10


def _broken(tmp_path: Path, change) -> list[str]:
    data = yaml.safe_load(questionnaire_path().read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as exc:
        load_questionnaire(path)
    return exc.value.problems


def _question(data, qid):
    return next(q for q in data["questions"] if q["id"] == qid)


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["questions"].pop(), "Intake field 'sleep_hours' has no question"),
    (lambda d: d["questions"].append({**d["questions"][0], "id": "shoe_size"}), "question shoe_size: not an Intake field"),
    (lambda d: _question(d, "ferritin_ng_ml").update(unit="mmol/L"), "question ferritin_ng_ml: unit 'mmol/L' disagrees"),
    (lambda d: _question(d, "tsat_percent").update(max=120), "question tsat_percent: max 120 disagrees"),
    (lambda d: _question(d, "smoker").update(type="string"), "question smoker: type 'string' disagrees"),
    (lambda d: _question(d, "sex")["choices"].pop(), "question sex: choice codes ['female', 'male'] disagree"),
    (lambda d: _question(d, "age_years").update(ask_when={"pregnant": True}),
     "question age_years: ask_when tests 'pregnant', which is not asked before this question"),
    (lambda d: _question(d, "pregnant").update(ask_when={"sex": "woman"}), "ask_when: sex eq 'woman'"),
    (lambda d: _question(d, "smoker").update(colour="red"), "question smoker: unknown key 'colour'"),
    (lambda d: _question(d, "smoker").pop("help"), "question smoker: needs a help"),
    # the mapping onto FHIR and REDCap
    (lambda d: d["sections"].append({"id": "smoker", "title": "Smoking"}), "section 'smoker' has the id of a question"),
    (lambda d: _question(d, "muscle_tender_worse_with_use").pop("redcap"),
     "REDCap name 'muscle_tender_worse_with_use' must match ^[a-z][a-z0-9_]{0,25}$"),
    (lambda d: _question(d, "smoker").update(redcap="diabetes"), "REDCap name 'diabetes' is also that of"),
    (lambda d: _question(d, "ferritin_ng_ml").update(dont_know=True), "only a yes/no or choice answer can be"),
    (lambda d: _question(d, "respondent_id").pop("identifier"), "must be the record identifier"),
    (lambda d: d.pop("url"), "needs a url"),
    (lambda d: _question(d, "pregnant").update(ask_when={"any": [{"sex": "female"}, {"age_years": {"ne": 30}}]}),
     "mixes all and any"),
    (lambda d: _question(d, "pregnant").update(ask_when={"not": {"age_years": {"ge": 12}}}),
     "cannot be a flat FHIR enableWhen"),
    (lambda d: _question(d, "smoker").update(ask_when={"unrecognised_medication_count": {"gt": 0}}),
     "neither an earlier question nor a derived fact"),
])
def test_loader_refuses_a_questionnaire_that_disagrees_with_intake(tmp_path, change, expected):
    problems = _broken(tmp_path, change)
    assert any(expected in problem for problem in problems), problems


def test_ids_redcap_names_and_units_map_onto_fhir_and_redcap():
    import re

    ids = [q.id for q in Q.questions] + list(Q.sections)
    assert len(ids) == len(set(ids))  # one linkId namespace
    names = [q.redcap for q in Q.questions]
    assert len(names) == len(set(names)) and all(re.match(r"^[a-z][a-z0-9_]{0,25}$", n) for n in names)
    assert Q["relieved_by_one_position_change"].redcap != "relieved_by_one_position_change"
    assert Q.record_id.id == "respondent_id" and Q.questions[0] is Q.record_id and Q.record_id not in Q.items
    assert {q.id: q.ucum for q in Q.questions if q.ucum}["symptom_days_per_week"] == "d/wk"
    assert Q["ferritin_ng_ml"].loinc == ("2276-4", "20567-4") and Q.url.startswith("http") and Q.version


def test_dont_know_is_a_coded_answer_on_yes_no_and_optional_choices_only():
    for question in Q.questions:
        coded = question.spec.kind in ("yesno", "choice") and not question.required
        assert question.dont_know is (coded and not question.identifier), question.id
        assert question.allows_unsure is question.dont_know


def test_ne_in_skip_logic_is_false_when_unanswered_in_fhir_and_redcap_too(tmp_path):
    data = yaml.safe_load(questionnaire_path().read_text(encoding="utf-8"))
    _question(data, "smoker").update(ask_when={"kidney_disease": {"ne": "none"}})
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    skip = load_questionnaire(path)["smoker"].skip
    assert skip.behavior == "all"
    assert [(t.operator, t.answer) for t in skip.tests] == [("exists", True), ("!=", "none"), ("!=", "UNK")]
    assert skip.redcap == "([kidney_disease] <> '' and [kidney_disease] <> 'none' and [kidney_disease] <> 'UNK')"
    assert [q.id for q in load_questionnaire(path).applicable({"age_years": 40}) if q.id == "smoker"] == []


def test_check_command_fails_when_the_questionnaire_is_broken(tmp_path, monkeypatch):
    from helpers import invoke

    from screener.core import questionnaire

    data = yaml.safe_load(questionnaire_path().read_text(encoding="utf-8"))
    data["questions"] = [q for q in data["questions"] if q["id"] != "smoker"]
    (tmp_path / "rls_intake.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(questionnaire, "questionnaires_dir", lambda: tmp_path)
    questionnaire.default_questionnaire.cache_clear()
    try:
        result = invoke(["check"], code=1)  # exit 1: the questionnaire has problems
    finally:
        questionnaire.default_questionnaire.cache_clear()
    assert result.exit_code == 1
    assert "Intake field 'smoker' has no question" in result.output


# -- skip logic -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sex, age, expected", [
    ("female", 12, True), ("female", 55, True), ("female", 30, True),
    ("female", 11, False), ("female", 56, False), ("male", 30, False), ("other", 30, False),
])
def test_pregnancy_only_for_women_aged_12_to_55(sex, age, expected):
    ids = asked({"age_years": age, "sex": sex})
    assert ("pregnant" in ids) is expected
    assert "pregnancy_trimester" not in ids


def test_trimester_only_when_pregnant_and_postpartum_only_when_not():
    woman = {"age_years": 30, "sex": "female"}
    assert "pregnancy_trimester" in asked({**woman, "pregnant": True})
    assert "weeks_postpartum" not in asked({**woman, "pregnant": True})
    for answer in (False, "unsure", None):
        ids = asked({**woman, "pregnant": answer})
        assert "pregnancy_trimester" not in ids and "weeks_postpartum" in ids


URGE_FOLLOW_UPS = ("worse_at_rest", "relieved_by_movement", "worse_evening_night")


def test_symptom_course_only_when_urge_yes_and_mimics_once_urge_is_answered():
    mimics = [q.id for q in Q.questions if q.section == "mimics"]
    assert len(mimics) == 13
    for urge, course, mimic in [(True, True, True), (False, False, True), ("unsure", False, True),
                                (None, False, False)]:
        ids = asked({"age_years": 40, "sex": "male", "urge_to_move": urge})
        assert ("symptom_days_per_week" in ids) is course and ("onset_age_years" in ids) is course
        assert all((m in ids) is mimic for m in mimics), urge
        # criteria 2-4 ask about the urge: not after "no", still after yes, unsure or no answer
        assert all((f in ids) is (urge is not False) for f in URGE_FOLLOW_UPS), urge
        assert "family_history_rls" in ids
    # mimic questions come after every symptom question
    symptoms = [i for i, q in enumerate(Q.questions) if q.section == "symptoms"]
    assert min(Q.index[m] for m in mimics) > max(symptoms)


def test_no_urge_to_move_skips_the_urge_follow_ups_and_drops_earlier_answers_to_them():
    # a woman of 58 with cramps at night but no urge to move, answering as she would
    given = walk({"age_years": "58", "sex": "female", "urge_to_move": "no", "cramps_hard_knotted_muscle": "yes",
                  "worse_at_rest": "yes", "symptom_days_per_week": "3", "medications": "none"})
    assert given["urge_to_move"] is False and given["cramps_hard_knotted_muscle"] is True
    assert not set(given) & {*URGE_FOLLOW_UPS, "symptom_days_per_week", "onset_age_years"}
    # answers given before she changed "yes" to "no" are dropped, as she would not be asked them
    kept = Q.effective({"age_years": 58, "sex": "female", "urge_to_move": False, "worse_at_rest": True,
                        "relieved_by_movement": "unsure", "worse_evening_night": True})
    assert not set(kept) & set(URGE_FOLLOW_UPS)


@pytest.mark.parametrize("medications, dopaminergic, new_drug", [
    (["Sinemet 25/100"], True, True),
    (["ropinirole 0.5 mg", "sertraline"], True, True),
    (["sertraline 50 mg"], False, True),
    ([], False, False),
    (None, False, False),
])
def test_medication_follow_ups_follow_the_lexicon(medications, dopaminergic, new_drug):
    ids = asked({"age_years": 60, "sex": "male", "medications": medications})
    assert ("dopaminergic_worsening" in ids) is dopaminergic
    assert ("started_after_new_drug" in ids) is new_drug
    assert "opioid_recently_stopped" in ids  # always: a stopped opioid is no longer listed


def test_bmi_only_when_height_and_weight_do_not_give_it():
    assert "bmi" not in asked({"height_cm": 170, "weight_kg": 70})
    assert "bmi" in asked({"height_cm": 170, "weight_kg": None})
    assert "bmi" in asked({"weight_kg": 70})
    with pytest.raises(AnswerError, match="'unsure' is not accepted here"):  # a number has no coded "don't know"
        Q.check(Q["height_cm"], "unsure", {})


def test_changing_an_answer_drops_answers_that_no_longer_apply():
    answers = {"age_years": 30, "sex": "female", "pregnant": True, "pregnancy_trimester": 3}
    assert "pregnancy_trimester" in Q.effective(answers)
    assert "pregnancy_trimester" not in Q.effective({**answers, "pregnant": False})
    assert "pregnant" not in Q.effective({**answers, "sex": "male"})


def test_ask_when_only_looks_back():
    from screener.core import conditions as C

    for question in Q.questions:
        if question.ask_when is not None:
            for name in C.fields(question.ask_when):
                source = {"medication_classes": "medications", "medication_count": "medications",
                          "bmi": "height_cm"}.get(name, name)
                assert Q.index[source] < Q.index[question.id], question.id


# -- answer checks --------------------------------------------------------------------------------

@pytest.mark.parametrize("qid, text, value", [
    ("ferritin_ng_ml", "67 pmol/L", 29.8175),
    ("ferritin_ng_ml", "30", 30.0),
    ("hemoglobin_g_dl", "125 g/L", 12.5),
    ("smoker", "Y", True),
    ("smoker", "unsure", "unsure"),
    ("smoker", "", None),
    ("smoker", "skip", None),
    ("kidney_disease", "3", "dialysis"),
    ("kidney_disease", "CKD", "ckd"),
    ("kidney_disease", "dial", "dialysis"),
    ("kidney_disease", "no", "none"),          # the code and the display "No kidney disease" agree
    ("sex", "f", "female"),
    ("sex", "M", "male"),
    ("medications", "none", []),
    ("medications", "sertraline 50 mg; Tylenol PM", ["sertraline 50 mg", "Tylenol PM"]),
    ("respondent_id", "unsure", "unsure"),  # free text is kept as typed
])
def test_accepted_answers_are_cleaned_by_the_intake_model(qid, text, value):
    assert Q.check(Q[qid], text, {}).value == value


@pytest.mark.parametrize("qid, text, answers, reason", [
    ("ferritin_ng_ml", "abc", {}, "'abc' is not a number"),
    ("ferritin_ng_ml", "30 mg", {}, "unknown unit 'mg'"),
    ("tsat_percent", "150", {}, "150 is out of range (0 to 100 %)"),
    ("age_years", "42.5", {}, "'42.5' is not a whole number"),
    ("age_years", "", {}, "this question needs an answer"),
    ("age_years", "unsure", {}, "'unsure' is not accepted here"),
    ("smoker", "maybe", {}, "'maybe' is not a yes/no answer"),
    ("kidney_disease", "7", {}, "'7' is not one of: none, ckd, dialysis, transplant"),
    ("onset_age_years", "50", {"age_years": 40, "urge_to_move": True}, "age at onset (50) is later than age (40)"),
    ("age_years", "30", {"age_years": 40, "urge_to_move": True, "onset_age_years": 35},
     "conflicts with the answer about age at onset: age at onset (35) is later than age (30)"),
])
def test_rejected_answers_give_the_reason(qid, text, answers, reason):
    with pytest.raises(AnswerError) as exc:
        Q.check(Q[qid], text, answers)
    assert reason in str(exc.value)


def test_an_ambiguous_or_unknown_choice_start_is_refused():
    with pytest.raises(AnswerError, match="is not one of"):
        Q.check(Q["sex"], "x", {})


def test_unrecognised_medicines_are_kept_with_a_warning_naming_them():
    checked = Q.check(Q["medications"], "amlodipin, sertraline 50 mg", {})
    assert checked.value == ["amlodipin", "sertraline 50 mg"]
    [warning] = checked.warnings
    assert "'amlodipin'" in warning.message and "sertraline" not in warning.message
    assert "amlodipin" not in warning.redacted
    assert Q.check(Q["medications"], "sertraline", {}).warnings == []


def test_converted_numbers_are_shown_rounded():
    assert Q["weight_kg"].show(68.0389) == "68.04 kg"
    assert Q["tsat_percent"].show(19.95) == "19.95 %"


def test_soft_range_gives_a_warning_but_keeps_the_answer():
    checked = Q.check(Q["ferritin_ng_ml"], "2500", {})
    assert checked.value == 2500.0
    assert [w.field for w in checked.warnings] == ["ferritin_ng_ml"]


def test_check_all_reports_each_problem_by_field():
    problems = Q.check_all({"age_years": 500, "shoe_size": 9})
    assert [p.field for p in problems] == ["shoe_size"]
    problems = Q.check_all({"age_years": 500, "sex": None})
    assert {p.field for p in problems} == {"age_years", "sex"}
    assert Q.check_all([1, 2])[0].message.startswith("expected an object")


# -- how many questions a person is asked ---------------------------------------------------------

ADULT = {"age_years": "45", "sex": "male", "urge_to_move": "yes", "medications": "none",
         "height_cm": "175", "weight_kg": "80"}


def question_counts() -> dict[str, int]:
    """Questions asked of typical people (blank answers elsewhere), from the questionnaire."""
    woman = {**ADULT, "sex": "female", "age_years": "32"}
    return {
        "man, no medicines": len(walk(ADULT)),
        "man, two medicines": len(walk({**ADULT, "medications": "sertraline, atorvastatin"})),
        "man, on a dopamine agonist": len(walk({**ADULT, "medications": "pramipexole"})),
        "woman 32, not pregnant, no medicines": len(walk({**woman, "pregnant": "no"})),
        "woman 32, pregnant, no medicines": len(walk({**woman, "pregnant": "yes", "pregnancy_trimester": "3"})),
        "woman 32, pregnant, two medicines": len(walk({**woman, "pregnant": "yes", "pregnancy_trimester": "3",
                                                       "medications": "sertraline, ondansetron"})),
        "no urge to move, no medicines": len(walk({**ADULT, "urge_to_move": "no"})),
        "man with a kidney transplant": len(walk({**ADULT, "kidney_disease": "transplant"})),
    }


def test_typical_question_counts():
    counts = question_counts()
    base = counts["man, no medicines"]
    assert counts["man, two medicines"] == base + 1            # started_after_new_drug
    assert counts["man, on a dopamine agonist"] == base + 3    # dopaminergic_worsening, impulse control
    assert counts["woman 32, not pregnant, no medicines"] == base + 2  # pregnant, weeks_postpartum
    assert counts["woman 32, pregnant, no medicines"] == base + 2      # pregnant, trimester
    assert counts["no urge to move, no medicines"] == base - 5         # no criteria 2-4, no course
    assert counts["man with a kidney transplant"] == base + 1          # eGFR
    assert base < len(Q.questions)
