"""From an Intake to the facts the rules see, and back to words for the "because" text.

Facts are typed values with every missing answer dropped (never null: the engine treats a
null as present). Free text never reaches the engine: medications become the derived fields
below, through the lexicon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .intake import FIELDS, FieldSpec, Intake
from .lexicon import Lexicon

DERIVED: dict[str, FieldSpec] = {
    "medication_classes": FieldSpec("medication_classes", "list", "medication classes"),
    "medication_count": FieldSpec("medication_count", "integer", "medications listed", minimum=0),
    "unrecognised_medication_count": FieldSpec("unrecognised_medication_count", "integer",
                                               "medications not recognised", minimum=0),
}

# Every field a rule may test: the intake's answers (but not free text) plus the derived facts.
FACT_FIELDS: dict[str, FieldSpec] = {
    **{k: s for k, s in FIELDS.items() if s.kind not in ("text", "list")},
    **DERIVED,
}
_ANSWER_FIELDS = tuple(k for k in FACT_FIELDS if k in FIELDS)


@dataclass
class FactSet:
    """One respondent's facts plus what is needed to explain them."""

    facts: dict[str, Any]
    unknown: frozenset[str] = frozenset()
    class_items: dict[str, list[str]] = field(default_factory=dict)
    unrecognised: list[str] = field(default_factory=list)
    bmi_derived: bool = False  # BMI computed from height and weight, not answered


def build_facts(intake: Intake, lexicon: Lexicon) -> FactSet:
    values = intake.__dict__
    facts = {k: values[k] for k in _ANSWER_FIELDS if values[k] is not None}
    result = FactSet(facts, intake.unknown_fields)
    if facts.get("bmi") is None:
        bmi = derived_bmi(intake.height_cm, intake.weight_kg)
        if bmi is not None:
            facts["bmi"] = bmi
            result.bmi_derived = True
    meds = intake.medications
    if meds is not None:
        matches = [match for match in map(lexicon.match, meds) if match.current]  # "stopped X" is not taken
        facts["medication_count"] = len(matches)
        for match in matches:
            if not match.recognised:  # unknown, or a known name with unknown words ("Advil Allergy Sinus")
                result.unrecognised.append(match.text)
            for cls in match.classes:
                result.class_items.setdefault(cls, []).append(lexicon.shown(match, cls))
        facts["unrecognised_medication_count"] = len(result.unrecognised)
        if result.class_items:
            facts["medication_classes"] = sorted(result.class_items)
    return result


def derived_bmi(height_cm: float | None, weight_kg: float | None) -> float | None:
    """BMI from height and weight (one decimal), when both are given."""
    if height_cm and weight_kg:
        return round(weight_kg / (height_cm / 100) ** 2, 1)
    return None


def describer(factset: FactSet, lexicon: Lexicon) -> Callable[[str, Any, Any, "str | None"], str]:
    """A `describe(field, value, item, test)` function for `conditions.explain`."""

    def describe(name: str, value: Any, item: Any = None, test: str | None = None) -> str:
        spec = FACT_FIELDS[name]
        if name == "medication_classes" and item is not None:
            items = factset.class_items.get(item)
            label = lexicon.classes[item].label if item in lexicon.classes else item
            return f"medications include {label}: {', '.join(items)}" if items else f"no medication listed is {label}"
        if name == "unrecognised_medication_count" and value:
            return f"medications not recognised: {', '.join(map(lexicon.unrecognised_text, factset.unrecognised))}"
        if value is None:
            how = "answered unknown" if name in factset.unknown else "not answered"
            return f"{spec.title}: {how}"
        if spec.kind in ("yesno", "choice"):
            return f"{spec.title}: {value_text(name, value)}"
        unit = f" {spec.unit}" if spec.unit else ""
        if name == "bmi" and factset.bmi_derived:
            unit += " (from height and weight)"
        return f"{spec.title} {value_text(name, value)}{unit}" + (f" {test}" if test else "")

    return describe


def value_text(name: str, value: Any) -> str:
    """One answer as words: yes/no, a choice by its label, a number to one decimal at most."""
    spec = FACT_FIELDS[name]
    if spec.kind == "yesno":
        return "yes" if value else "no"
    if spec.kind == "choice":  # by its label, as the questionnaire shows it
        return spec.label_of(value)
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 1)
    return str(value)
