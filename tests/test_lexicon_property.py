"""Every name of the lexicon is recognised however it is written: any case, with doses, forms,
frequencies and punctuation around it, with the classes of its ingredients."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.core.lexicon import Lexicon, tokens
from screener.core.paths import rules_dir
from screener.core.rulebook import default_rulebook

LEXICON = default_rulebook().lexicon
ENTRIES = sorted(LEXICON.index.values(), key=lambda entry: entry.name)
DOSES = [("", None), ("50 mg", 50.0), ("0.5mg", 0.5), ("3 mg", 3.0), ("100MG", 100.0), ("1 g", 1000.0),
         ("25 mcg", 0.025), ("2 x 10mg", 10.0), ("5mg/5ml", 5.0)]
FORMS = ["", "tablets", "XR", "tab", "capsules", "patch", "once daily", "at night", "prn", "HCl", "modified-release",
         "1 at bedtime", "twice a day", "as needed", "oral solution", "extended release", "(generic)"]
PUNCTUATION = ["", ".", ",", ";", "®", "™", " -", "*", ")"]


@st.composite
def written(draw: st.DrawFn) -> tuple[object, str, float | None]:
    entry = draw(st.sampled_from(ENTRIES))
    name = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in entry.name)
    dose, mg = draw(st.sampled_from(DOSES))
    form = draw(st.sampled_from(FORMS))
    mark = draw(st.sampled_from(PUNCTUATION))
    words = [name + mark, dose, form] if draw(st.booleans()) else [dose, name + mark, form]
    return entry, " ".join(w for w in words if w), mg


def expected_classes(entry, mg: float | None) -> frozenset[str]:
    """The entry's classes, with a low dose moving a dose-dependent drug (doxepin) to its low-dose classes."""
    out: set[str] = set()
    for part in entry.parts:
        low = LEXICON.low_dose.get(part.drug)
        use_low = low is not None and not part.note and mg is not None and mg <= low.max_mg
        out |= low.classes if use_low else part.classes
    return frozenset(out)


@settings(max_examples=1500, deadline=None)
@given(written())
def test_any_name_in_any_case_with_dose_form_and_punctuation_is_recognised_with_its_classes(case):
    entry, text, mg = case
    match = LEXICON.match(text)
    assert match.recognised, (text, match.unknown)
    assert match.current
    assert set(entry.drugs) <= set(match.drugs), text
    assert expected_classes(entry, mg) <= match.classes, text


def test_the_lexicon_holds_at_least_400_names_and_every_class_has_a_known_source():
    rulebook = default_rulebook()
    assert len(LEXICON.names) >= 400
    for cls in LEXICON.classes.values():
        assert cls.sources and set(cls.sources) <= set(rulebook.sources), cls.id


def test_every_class_is_used_and_every_drug_has_a_class():
    data = yaml.safe_load((rules_dir() / "medications.yaml").read_text(encoding="utf-8"))
    used = {cls for drug in data["drugs"] for cls in drug["classes"]}
    used |= {cls for drug in data["drugs"] for cls in (drug.get("low_dose") or {}).get("classes", ())}
    used |= {cls for combo in data["combinations"] for extra in (combo.get("adds") or {}).values() for cls in extra}
    assert set(LEXICON.classes) == used
    assert all(drug["classes"] for drug in data["drugs"])


def test_no_one_word_name_is_a_filler_or_negation_word():
    """Otherwise "tablets", "night" or "stopped" alone would read as a medicine."""
    vocabulary = LEXICON.vocabulary
    plain = {phrase[0] for phrase in vocabulary.filler | vocabulary.negation | vocabulary.breaks if len(phrase) == 1}
    assert not {key[0] for key in LEXICON.index if len(key) == 1} & (plain | vocabulary.after_dose)
    for word in ("tablets", "stopped", "night", "50 mg", "at night"):
        assert not LEXICON.match(word).recognised


def test_product_words_are_not_filler():
    """A word that can turn a brand into another product must stay unknown next to a name."""
    vocabulary = LEXICON.vocabulary
    for word in ("night", "pm", "sleep", "allergy", "sinus", "cold", "flu", "plus", "d", "migraine", "cough"):
        assert tokens(word) not in vocabulary.filler
        assert not LEXICON.match(f"Voltaren {word}").recognised


BASE = {"classes": {"a": {"label": "A", "effect": "may_worsen", "evidence": "weak", "sources": ["s"]}},
        "drugs": [{"name": "alpha", "brands": ["Alfa"], "classes": ["a"]}]}


@pytest.mark.parametrize("extra, message", [
    ({"filler": ["mg", True]}, "filler: [True] must be quoted text"),
    ({"filler": ["alfa"]}, "word 'alfa' (filler) is empty, a name or listed twice"),
    ({"negation": {"words": ["mg"]}, "filler": ["mg"]}, "word 'mg' (negation) is empty, a name or listed twice"),
    ({"combinations": [{"name": "Duo", "contains": ["alpha"], "adds": {"alpha": ["b"]}}]},
     "combination 'Duo' names unknown class(es) ['b']"),
    ({"combinations": [{"name": "Duo", "contains": ["alpha"], "adds": {"beta": ["a"]}}]},
     "combination 'Duo' contains unknown drug(s) ['beta']"),
])
def test_the_loader_names_a_wrong_vocabulary_or_combination(extra, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Lexicon.from_data({**BASE, **extra})


def test_the_loader_checks_low_dose_classes():
    drug = {"name": "delta", "classes": ["a"], "low_dose": {"max_mg": 6, "classes": ["zzz"]}}
    with pytest.raises(ValueError, match=re.escape("drug 'delta' low_dose names unknown class(es) ['zzz']")):
        Lexicon.from_data({**BASE, "drugs": [drug]})
