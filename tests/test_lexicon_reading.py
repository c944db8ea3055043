"""How medication answers are read: line extensions, regional brands, dose-dependent classes,
medicines no longer taken, "none", and the names every dialysis or pregnant patient takes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import invoke

from screener.core.cached_intake import RowValidator
from screener.core.facts import build_facts
from screener.core.parse import parse_intake
from screener.core.questionnaire import default_questionnaire
from screener.core.rulebook import default_rulebook

RULEBOOK = default_rulebook()
LEXICON = RULEBOOK.lexicon
Q = default_questionnaire()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def classes(text: str) -> set[str]:
    return set(LEXICON.match(text).classes)


def facts(medications: list[str]) -> dict:
    return build_facts(parse_intake({"medications": medications}).intake, LEXICON).facts


def report(answers: dict) -> dict:
    return json.loads(invoke(["score", "-", "--format", "json"], input=json.dumps(answers)).stdout)


def because(rep: dict, code: str) -> str:
    [finding] = [f for f in rep["findings"] if f["code"] == code]
    return finding["because"]


# -- line extensions --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, carrier", [
    ("Panadol Night", "diphenhydramine"), ("Panadol NightPain", "diphenhydramine"), ("Calpol Night", "diphenhydramine"),
    ("Advil Allergy Sinus", "chlorphenamine"), ("Advil Allergy & Sinus", "chlorphenamine"), ("Mersyndol", "doxylamine"),
    ("Theraflu Nighttime", "diphenhydramine"), ("Alka-Seltzer Plus Night", "doxylamine"), ("Actifed", "triprolidine"),
    ("Dimetapp", "brompheniramine"), ("Nytol One-A-Night", "diphenhydramine"),
])
def test_listed_line_extensions_carry_their_sedating_antihistamine(text, carrier):
    match = LEXICON.match(text)
    assert match.recognised and carrier in match.drugs
    assert "sedating_antihistamine" in match.classes


@pytest.mark.parametrize("text, unknown", [
    ("Panadol Extra Strength Night", "night"), ("Advil Migraine", "migraine"), ("Nurofen Cold and Flu", "cold flu"),
    ("Voltaren Night", "night"), ("Tylenol Sinus", "sinus"), ("Sudafed Sinus Headache", "sinus headache"),
    ("Allegra Allergy Sinus", "allergy sinus"), ("Dayquil Severe", "severe"),
])
def test_an_unlisted_line_extension_is_never_read_silently_as_the_base_product(text, unknown):
    match = LEXICON.match(text)
    assert match.names and not match.recognised
    assert " ".join(match.unknown) == unknown
    assert facts([text])["unrecognised_medication_count"] == 1
    assert f"known, but not {unknown!r}" in LEXICON.unrecognised_text(text)


def test_an_unlisted_line_extension_raises_the_gap_naming_it_and_keeps_the_known_classes():
    rep = report({"medications": ["Advil Migraine", "sertraline 50 mg"]})
    assert "'Advil Migraine' (Advil known, but not 'migraine')" in because(rep, "medications_unrecognised")
    assert "drug_ssri" in {f["code"] for f in rep["findings"]}


@pytest.mark.parametrize("text", ["sertraline 50 mg tablets once daily", "amitriptyline 10mg at night",
                                  "amitriptyline 10 mg pm", "Zoloft 100mg (generic)", "sertraline for depression",
                                  "Children's Benadryl liquid", "ropinirole XL 2 mg at bedtime", "Boots Sleepeaze"])
def test_doses_forms_and_timing_are_not_unknown_words(text):
    assert LEXICON.match(text).recognised


# -- regional brands --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, said", [
    ("Benadryl", "Benadryl (assumed diphenhydramine, the US product; the UK product is non-sedating)"),
    ("Sominex", "Sominex (assumed promethazine, the UK product; the US product is diphenhydramine"),
    ("Unisom", "Unisom (assumed doxylamine, as in Unisom SleepTabs"),
    ("Benylin", "Benylin (assumed diphenhydramine, as in the original Benylin cough syrups"),
])
def test_a_regional_brand_is_read_conservatively_and_the_finding_says_what_was_assumed(text, said):
    assert "sedating_antihistamine" in classes(text)
    assert said in because(report({"medications": [text]}), "drug_sedating_antihistamine")


def test_the_uk_benadryl_allergy_products_are_non_sedating():
    assert classes("Benadryl Allergy Relief") == {"unlikely_to_worsen"}
    assert classes("Benadryl One a Day") == {"unlikely_to_worsen"}
    assert "sedating_antihistamine" in classes("Benadryl Allergy")  # the US product of that name


# -- doxepin: the hypnotic dose ---------------------------------------------------------------------

@pytest.mark.parametrize("text, tca", [
    ("doxepin 3 mg", False), ("doxepin 3mg at night", False), ("Doxepin 6 MG", False), ("Silenor", False),
    ("Silenor 6 mg", False), ("doxepin 25 mg", True), ("doxepin 10mg", True), ("doxepin", True),
    ("Sinequan 75 mg", True), ("doxepin 3000 mcg", False), ("50 mg doxepin", True),
])
def test_low_dose_doxepin_is_not_a_tricyclic_finding(text, tca):
    assert ("tca" in classes(text)) is tca
    assert ("unlikely_to_worsen" in classes(text)) is not tca
    codes = {f["code"] for f in report({"medications": [text]})["findings"]}
    assert ("drug_tca" in codes) is tca


# -- medicines no longer taken ----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["stopped sertraline", "Sertraline (stopped)", "no longer taking Zoloft",
                                  "off sertraline", "discontinued sertraline 2023", "previously sertraline",
                                  "sertraline - stopped last month", "used to take sertraline", "came off Zoloft",
                                  "sertraline (in the past)", "sertraline on hold", "stopped xyzzy"])
def test_a_medicine_no_longer_taken_is_not_current(text):
    match = LEXICON.match(text)
    assert not match.current and match.recognised and not match.classes
    assert facts([text]) == {"medication_count": 0, "unrecognised_medication_count": 0}


@pytest.mark.parametrize("text", ["sertraline for the past 2 years", "weaning off sertraline",
                                  "tapering off Zoloft", "sertraline on and off", "sertraline since 2019"])
def test_words_about_time_or_tapering_leave_a_medicine_current(text):
    match = LEXICON.match(text)
    assert match.current and match.recognised and "ssri" in match.classes


def test_only_the_negated_clause_is_not_current():
    assert facts(["stopped sertraline now fluoxetine 20 mg"])["medication_classes"] == ["ssri"]
    assert LEXICON.match("stopped sertraline now fluoxetine").drugs == ("fluoxetine",)
    assert facts(["stopped sertraline", "mirtazapine"])["medication_count"] == 1


def test_a_stopped_medicine_asks_no_new_drug_question():
    assert "started_after_new_drug" not in {q.id for q in Q.applicable({"medications": ["stopped sertraline"]})}
    assert "started_after_new_drug" in {q.id for q in Q.applicable({"medications": ["sertraline"]})}


# -- "none" everywhere ------------------------------------------------------------------------------

NONE_SPELLINGS = ["none", "N/A", "n/a", "no meds", "No Meds", "nil", "nothing", "no medicines", "none taken",
                  "not applicable", "No regular medications"]


@pytest.mark.parametrize("spelling", NONE_SPELLINGS)
def test_none_is_an_empty_list_in_the_intake_ask_and_score(spelling):
    assert parse_intake({"medications": spelling}).intake.medications == []
    assert RowValidator(max_cached=5).parse({"medications": spelling}).intake.medications == []
    assert Q.check(Q["medications"], spelling, {}).value == []
    rep = report({"medications": spelling})
    assert "medications_unrecognised" not in {f["code"] for f in rep["findings"]}
    assert rep["answers"]["medications"] == []


def test_none_is_an_empty_list_in_batch_csv_and_json_lines(tmp_path):
    spellings = [*NONE_SPELLINGS, "nonesuch"]
    expected = [False] * len(NONE_SPELLINGS) + [True]
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["respondent_id", "medications"],
                                      *[[f"r{n}", s] for n, s in enumerate(spellings)]])
    rows = list(csv.DictReader(io.StringIO(invoke(["batch", str(path), "--quiet", "--jobs", "1"]).stdout)))
    assert ["medications_unrecognised" in row["data_gaps"] for row in rows] == expected
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps({"respondent_id": f"r{n}", "medications": s}) + "\n"
                             for n, s in enumerate(spellings)), encoding="utf-8")
    out = invoke(["batch", str(lines), "--quiet", "--jobs", "1", "--format", "jsonl"]).stdout
    reports = [json.loads(line) for line in out.splitlines()]
    assert [any(f["code"] == "medications_unrecognised" for f in r["findings"]) for r in reports] == expected


# -- classes the rules can test ---------------------------------------------------------------------

@pytest.mark.parametrize("text", ["cabergoline", "Dostinex", "bromocriptine", "Parlodel", "piribedil", "Trivastal",
                                  "apomorphine", "APO-go", "Kynmobi", "rotigotine patch", "Neupro 2mg/24h patch",
                                  "Leganto", "Sinemet CR", "Madopar 125", "Duodopa", "Stalevo", "Rytary", "Inbrija",
                                  "co-careldopa 25/100", "Vyalev", "pramipexole ER", "Requip XL", "pergolide"])
def test_every_levodopa_form_and_dopamine_agonist_is_dopaminergic_and_asks_about_augmentation(text):
    assert "dopaminergic" in classes(text)
    assert "dopaminergic_worsening" in {q.id for q in Q.applicable({"medications": [text]})}


@pytest.mark.parametrize("text", ["cyclizine", "Valoid", "meclizine", "meclozine", "Sea-Legs", "Bonine",
                                  "Dramamine Less Drowsy", "dimenhydrinate", "Dramamine", "Gravol", "promethazine",
                                  "Phenergan", "Avomine", "cinnarizine", "Stugeron", "Arlevert", "Diclegis", "Xonvea",
                                  "Bonjesta", "Diclectin", "doxylamine-pyridoxine", "Unisom and B6", "Migraleve Pink"])
def test_antihistamines_taken_for_nausea_are_antiemetic_and_sedating(text):
    assert {"antiemetic_antihistamine", "sedating_antihistamine"} <= classes(text)


@pytest.mark.parametrize("text", ["doxylamine", "Unisom", "NyQuil", "diphenhydramine", "Benadryl", "hydroxyzine",
                                  "Tylenol PM", "chlorphenamine"])
def test_antihistamines_for_sleep_or_allergy_are_not_antiemetic(text):
    assert "sedating_antihistamine" in classes(text)
    assert "antiemetic_antihistamine" not in classes(text)


@pytest.mark.parametrize("text, cls", [
    ("cinnarizine", "antiemetic_d2"), ("flunarizine", "antiemetic_d2"), ("Sibelium", "antiemetic_d2"),
    ("vortioxetine", "ssri"), ("Trintellix", "ssri"), ("Brintellix", "ssri"), ("vilazodone", "ssri"),
    ("Viibryd", "ssri"), ("Targin", "opioid"), ("oxycodone/naloxone", "opioid"), ("Targinact 10 mg/5 mg", "opioid"),
    ("Suboxone", "opioid"), ("Sublocade", "opioid"), ("Transtec patch", "opioid"), ("Butrans", "opioid"),
    ("Belbuca", "opioid"), ("Nurofen Plus", "opioid"), ("Tylenol 3", "opioid"), ("Ferrograd", "iron"),
    ("Maltofer", "iron"), ("ferric citrate", "iron"), ("Auryxia", "iron"), ("Pregaday", "iron"),
    ("ferrous bisglycinate", "iron"), ("Floradix", "iron"),
])
def test_newly_listed_drugs_land_in_their_class(text, cls):
    assert cls in classes(text)


@pytest.mark.parametrize("text", ["sevelamer", "Renvela", "Fosrenol", "PhosLo", "calcium acetate", "Velphoro",
                                  "cinacalcet", "alfacalcidol", "Aranesp", "Epogen", "epoetin alfa", "EPO",
                                  "Mircera", "roxadustat", "Nephro-Vite", "Lokelma", "prenatal vitamins",
                                  "Pregnacare", "Elevit", "folic acid", "Kwells", "hyoscine", "Buscopan",
                                  "ondansetron", "Gaviscon", "Sudafed", "melatonin"])
def test_medicines_of_dialysis_pregnancy_and_travel_are_recognised_as_not_relevant(text):
    match = LEXICON.match(text)
    assert match.recognised and match.classes == {"not_listed"}


def test_a_typical_dialysis_list_raises_no_medication_gap():
    rep = report({"kidney_disease": "dialysis", "medications": "sevelamer 800 mg tds; Mircera; cinacalcet 30mg; "
                                                                "alfacalcidol 0.25 mcg; renal vitamin; Venofer"})
    assert "medications_unrecognised" not in {f["code"] for f in rep["findings"]}
