"""The medication lexicon: coverage of clinical.md section D, tolerant matching, combinations."""

from __future__ import annotations

import pytest

from screener.core.rulebook import default_rulebook

LEXICON = default_rulebook().lexicon
WORSENING = {cid for cid, cls in LEXICON.classes.items() if cls.effect in ("worsens", "may_worsen")}

# Every generic and brand name of clinical.md section D, by the class it must land in.
SECTION_D = {
    "mirtazapine": ["mirtazapine", "Remeron", "Zispin", "mianserin", "Tolvon"],
    "ssri": ["fluoxetine", "Prozac", "sertraline", "Zoloft", "Lustral", "paroxetine", "Paxil", "Seroxat",
             "citalopram", "Celexa", "Cipramil", "escitalopram", "Lexapro", "Cipralex", "fluvoxamine",
             "Luvox", "Faverin"],
    "snri": ["venlafaxine", "Effexor", "desvenlafaxine", "Pristiq", "duloxetine", "Cymbalta", "milnacipran",
             "Savella", "levomilnacipran", "Fetzima"],
    "tca": ["amitriptyline", "Elavil", "nortriptyline", "Pamelor", "Allegron", "imipramine", "Tofranil",
            "clomipramine", "Anafranil", "desipramine", "Norpramin", "doxepin", "Sinequan",
            "trimipramine", "Surmontil", "dosulepin", "maprotiline", "Ludiomil"],
    # Silenor is doxepin at a hypnotic dose (3-6 mg), which does not appear to aggravate PLMs
    "unlikely_to_worsen": ["bupropion", "Wellbutrin", "Zyban", "trazodone", "Desyrel", "Molipaxin", "nefazodone",
                           "reboxetine", "loratadine", "cetirizine", "fexofenadine", "levocetirizine", "Silenor"],
    "lithium": ["lithium carbonate", "lithium citrate", "Priadel", "Camcolit", "Lithobid"],
    "antipsychotic": ["haloperidol", "Haldol", "chlorpromazine", "Thorazine", "Largactil", "fluphenazine",
                      "perphenazine", "trifluoperazine", "Stelazine", "thioridazine", "flupentixol", "Depixol",
                      "zuclopenthixol", "Clopixol", "pimozide", "Orap", "loxapine", "olanzapine", "Zyprexa",
                      "quetiapine", "Seroquel", "risperidone", "Risperdal", "paliperidone", "Invega",
                      "aripiprazole", "Abilify", "brexpiprazole", "Rexulti", "cariprazine", "Vraylar", "Reagila",
                      "ziprasidone", "Geodon", "lurasidone", "Latuda", "asenapine", "Saphris", "Sycrest",
                      "clozapine", "Clozaril", "amisulpride", "Solian", "sulpiride"],
    "antiemetic_d2": ["metoclopramide", "Reglan", "Maxolon", "prochlorperazine", "Compazine", "Stemetil",
                      "Buccastem", "promethazine", "Phenergan", "droperidol", "Inapsine", "trimethobenzamide",
                      "Tigan", "Barhemsys"],
    "sedating_antihistamine": ["diphenhydramine", "Benadryl", "ZzzQuil", "Tylenol PM", "Advil PM", "Nytol",
                               "doxylamine", "Unisom SleepTabs", "NyQuil", "hydroxyzine", "Atarax", "Vistaril",
                               "chlorphenamine", "chlorpheniramine", "Chlor-Trimeton", "Piriton", "Sominex",
                               "cyproheptadine", "Periactin", "brompheniramine", "dimenhydrinate", "Dramamine",
                               "meclizine", "Antivert", "Bonine", "cyclizine", "Valoid", "clemastine", "Tavist"],
    "calcium_channel_blocker": ["amlodipine", "Norvasc", "Istin", "nifedipine", "Adalat", "Procardia", "felodipine",
                                "diltiazem", "Cardizem", "Tildiem", "verapamil"],
    "beta_blocker": ["propranolol", "Inderal", "metoprolol", "Lopressor", "Betaloc", "atenolol", "Tenormin",
                     "bisoprolol", "Cardicor", "Zebeta"],
    "phenytoin": ["phenytoin", "Dilantin", "Epanutin"],
    "levothyroxine": ["levothyroxine", "Synthroid", "Levoxyl", "Eltroxin", "Euthyrox"],
    "opioid": ["tramadol", "Ultram", "Tramal", "Zydol", "oxycodone", "fentanyl", "morphine", "codeine",
               "methadone", "heroin"],
    "dopaminergic": ["levodopa", "Sinemet", "Madopar", "pramipexole", "Mirapex", "Mirapexin", "ropinirole",
                     "Requip", "rotigotine", "Neupro"],
    "domperidone": ["domperidone"],
}


def classes(text: str) -> set[str]:
    return set(LEXICON.match(text).classes)


def test_the_lexicon_holds_at_least_400_names():
    assert len(LEXICON.names) >= 400


@pytest.mark.parametrize("cls", sorted(SECTION_D))
def test_every_section_d_name_is_recognised_in_its_class(cls):
    wrong = [name for name in SECTION_D[cls] if cls not in classes(name)]
    assert wrong == []


@pytest.mark.parametrize("text, drug, cls", [
    ("sertraline 50 mg", "sertraline", "ssri"),
    ("Zoloft tablets", "sertraline", "ssri"),
    ("SERTRALINE HCL 100MG", "sertraline", "ssri"),
    ("Zoloft®", "sertraline", "ssri"),
    ("lithium carbonate", "lithium", "lithium"),
    ("Priadel 400mg modified-release", "lithium", "lithium"),
    ("amitriptyline 10mg at night", "amitriptyline", "tca"),
    ("dothiepin", "dosulepin", "tca"),
    ("co-careldopa", "levodopa", "dopaminergic"),
    ("venlafaxine XL 75 mg", "venlafaxine", "snri"),
    ("levothyroxine 50 mcg", "levothyroxine", "levothyroxine"),
])
def test_matching_tolerates_case_doses_forms_and_punctuation(text, drug, cls):
    match = LEXICON.match(text)
    assert drug in match.drugs and cls in match.classes


@pytest.mark.parametrize("product, hidden", [
    ("Tylenol PM", "diphenhydramine"),
    ("Advil PM", "diphenhydramine"),
    ("Excedrin PM", "diphenhydramine"),
    ("NyQuil", "doxylamine"),
    ("Night Nurse", "promethazine"),
])
def test_combination_products_carry_their_sedating_antihistamine(product, hidden):
    match = LEXICON.match(product)
    assert hidden in match.drugs
    assert "sedating_antihistamine" in match.classes


def test_a_plain_analgesic_is_not_its_pm_combination():
    assert "sedating_antihistamine" not in classes("Tylenol")
    assert LEXICON.match("Tylenol").recognised


@pytest.mark.parametrize("text", ["bupropion", "Wellbutrin XL 150mg", "loratadine 10 mg", "Claritin",
                                  "cetirizine", "fexofenadine", "trazodone"])
def test_drugs_known_not_to_worsen_rls_are_recognised_as_such(text):
    match = LEXICON.match(text)
    assert match.recognised
    assert "unlikely_to_worsen" in match.classes
    assert not match.classes & WORSENING


def test_droperidol_is_a_dopamine_blocking_antiemetic_not_an_antiseizure_drug():
    assert classes("droperidol") == {"antiemetic_d2"}
    assert "phenytoin" not in classes("droperidol")


def test_unknown_text_is_unrecognised():
    for text in ("vitamin q", "xyz 10 mg", "the blue pill"):
        assert not LEXICON.match(text).recognised


def test_every_class_cites_a_source_and_has_a_grade():
    for cls in LEXICON.classes.values():
        assert cls.sources, cls.id
        assert cls.evidence in ("strong", "moderate", "weak", "contested"), cls.id


@pytest.mark.parametrize("text", ["zopiclone 7.5 mg", "Zimovane", "zolpidem", "Ambien", "temazepam", "diazepam",
                                  "lorazepam", "Tegretol", "sodium valproate", "topiramate"])
def test_common_hypnotics_and_antiepileptics_are_recognised_and_not_counted_as_worsening(text):
    match = LEXICON.match(text)
    assert match.recognised
    assert match.classes == {"not_listed"}


def test_phenytoin_is_recognised_but_not_counted_as_worsening():
    assert classes("phenytoin 100 mg") == {"phenytoin"}
    assert LEXICON.classes["phenytoin"].effect not in ("worsens", "may_worsen")
