"""The intake: one respondent's answers, validated at the boundary.

Field ids, ranges and units are the public contract listed in docs/fields.md (generated from this
model and the questionnaire by `screener fields`). Every answer passes
through one cleaner per field kind (yes/no, integer, number with unit, choice, list, text), so
the questionnaire, `score` and `batch` all accept and reject exactly the same values: this is
the one answer grammar. A choice is its code or label, or an unambiguous start of one, in any
case ("f", "Fem", "on dialysis"); a list answer of only "none"-words ("none", "nil", "no
medicines") is the empty list. A menu number is not an answer: it belongs to `ask`'s menu.

"unknown"/"unsure" is kept apart from "not answered": both are missing for the rules, but an
explicitly unknown answer is listed in `Intake.unknown_fields`. Raw answers become an Intake,
with errors and warnings that name the field, in `core.parse`.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

DECIMALS = 4  # numbers are kept to 4 decimal places (no answer needs more)
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})
UNKNOWN = frozenset({"unsure", "unknown"})
# A list answer made only of these (case and spacing aside) is an empty list: "taking none".
NONE_WORDS = frozenset({"none", "nil", "nothing", "no", "no medicines", "no medications", "no medicine",
                        "no medication", "no meds", "no med", "no drugs", "n/a", "not applicable",
                        "none taken", "not taking any", "no regular medicines", "no regular medications"})

# Units accepted inside a number cell, per field, as a factor to the canonical unit.
# Ferritin: ng/mL = µg/L; pmol/L ÷ 2.247. Haemoglobin: g/L ÷ 10.
UNITS: dict[str, dict[str, float]] = {
    "ferritin_ng_ml": {"ng/ml": 1.0, "µg/l": 1.0, "μg/l": 1.0, "ug/l": 1.0, "mcg/l": 1.0, "pmol/l": 1 / 2.247},
    "tsat_percent": {"%": 1.0},
    "hemoglobin_g_dl": {"g/dl": 1.0, "g/l": 0.1},
    "bmi": {"kg/m2": 1.0, "kg/m²": 1.0},
    "height_cm": {"cm": 1.0, "m": 100.0},
    "weight_kg": {"kg": 1.0, "lb": 0.45359237, "lbs": 0.45359237},
    "sleep_hours": {"h": 1.0, "hours": 1.0, "hrs": 1.0},
    "age_years": {"years": 1.0, "y": 1.0},
    "onset_age_years": {"years": 1.0, "y": 1.0},
}

FIELD_LIST = "see the field list in docs/fields.md or `screener fields`"  # where messages send people


class AnswerError(ValueError):
    """A rejected answer. `str()` shows the answer with the reason, for the person who gave it;
    `reason` names no answer, for stderr and logs (patient values never go there)."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S.*)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+\b")
_LIST_SPLIT = re.compile(r"[;,\n]")

YesNo = Union[bool, None]


def _f(title: str, *, unit: str | None = None, ge: float | None = None, le: float | None = None,
       soft: tuple[float, float] | None = None, labels: tuple[str, ...] = ()) -> Any:
    """A field with a plain-language title, optional unit, hard range, soft range and choice labels."""
    extra: dict[str, Any] = {}
    if unit:
        extra["unit"] = unit
    if soft:
        extra["soft_range"] = list(soft)
    if labels:
        extra["labels"] = list(labels)  # one per choice code, in order (the questionnaire's display)
    return Field(default=None, title=title, ge=ge, le=le, json_schema_extra=extra or None)


class Intake(BaseModel):
    """One respondent's answers (the fields of docs/fields.md). Missing answers are None."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)

    respondent_id: str | None = _f("respondent id")
    age_years: int | None = _f("age", unit="years", ge=0, le=120)
    sex: Literal["female", "male", "other"] | None = _f("sex", labels=("Female", "Male", "Other"))
    urge_to_move: YesNo = _f("urge to move the legs")
    worse_at_rest: YesNo = _f("worse at rest")
    relieved_by_movement: YesNo = _f("relieved by movement")
    worse_evening_night: YesNo = _f("worse in the evening or night")
    symptom_days_per_week: float | None = _f("symptom days per week", unit="days/week", ge=0, le=7)
    onset_age_years: int | None = _f("age at onset", unit="years", ge=0, le=120)
    family_history_rls: YesNo = _f("family history of RLS")
    ferritin_ng_ml: float | None = _f("ferritin", unit="ng/mL", ge=0, le=100000, soft=(1, 2000))
    tsat_percent: float | None = _f("transferrin saturation", unit="%", ge=0, le=100)
    hemoglobin_g_dl: float | None = _f("haemoglobin", unit="g/dL", ge=1, le=25)
    inflammatory_condition: YesNo = _f("inflammatory condition")
    taking_iron: YesNo = _f("taking iron")
    pregnant: YesNo = _f("pregnant")
    pregnancy_trimester: int | None = _f("trimester", ge=1, le=3)
    weeks_postpartum: int | None = _f("weeks postpartum", unit="weeks", ge=0, le=104)
    kidney_disease: Literal["none", "ckd", "dialysis", "transplant"] | None = _f(
        "kidney disease", labels=("No kidney disease", "Chronic kidney disease, not on dialysis", "On dialysis",
                                  "Kidney transplant"))
    egfr_ml_min: float | None = _f("eGFR", unit="mL/min/1.73 m²", ge=0, le=200)
    diabetes: YesNo = _f("diabetes")
    peripheral_neuropathy: YesNo = _f("peripheral neuropathy")
    parkinsons_disease: YesNo = _f("Parkinson's disease")
    rheumatoid_arthritis: YesNo = _f("rheumatoid arthritis")
    hypothyroidism: YesNo = _f("hypothyroidism")
    fibromyalgia: YesNo = _f("fibromyalgia")
    multiple_sclerosis: YesNo = _f("multiple sclerosis")
    venous_insufficiency: YesNo = _f("venous insufficiency")
    sleep_apnea_untreated: YesNo = _f("untreated sleep apnoea")
    medications: list[str] | None = _f("medications")
    opioid_recently_stopped: YesNo = _f("opioid recently stopped")
    dopaminergic_worsening: YesNo = _f("worsening on a dopaminergic drug")
    impulse_control_symptoms: YesNo = _f("new urges hard to control (gambling, shopping, eating, sex)")
    caffeine_drinks_per_day: float | None = _f("caffeinated drinks per day", unit="drinks/day", ge=0, le=50)
    alcohol_drinks_per_week: float | None = _f("alcoholic drinks per week", unit="drinks/week", ge=0, le=200)
    smoker: YesNo = _f("smoker")
    bmi: float | None = _f("BMI", unit="kg/m²", ge=10, le=90)
    height_cm: float | None = _f("height", unit="cm", ge=40, le=250)
    weight_kg: float | None = _f("weight", unit="kg", ge=2, le=400)
    physically_active: YesNo = _f("physically active")
    sleep_hours: float | None = _f("sleep per night", unit="hours", ge=0, le=24)
    cramps_hard_knotted_muscle: YesNo = _f("muscle goes hard or knotted")
    relieved_by_one_position_change: YesNo = _f("one change of position relieves it")
    muscle_tender_worse_with_use: YesNo = _f("muscles tender, worse with use")
    leg_swelling: YesNo = _f("leg swelling")
    eased_by_leg_elevation: YesNo = _f("eased by raising the legs")
    pain_in_joints: YesNo = _f("pain in the joints")
    habit_without_urge: YesNo = _f("a habit without an urge")
    restless_mind_with_worry: YesNo = _f("restless mind with worry")
    numb_or_burning_feet: YesNo = _f("numb or burning feet")
    pain_shoots_from_back: YesNo = _f("pain shoots down from the back")
    walking_brings_on_pain: YesNo = _f("walking brings on pain")
    whole_body_restlessness: YesNo = _f("whole-body restlessness")
    started_after_new_drug: YesNo = _f("started after a new drug")
    jerk_when_falling_asleep: YesNo = _f("jerk when falling asleep")

    unknown_fields: frozenset[str] = Field(
        default=frozenset(), title="answers given as unknown/unsure", json_schema_extra={"internal": True})

    def answers(self) -> dict[str, Any]:
        """The answers given, in field order: values as validated, "unknown" where the person said
        so (the form `score` reads back), unanswered fields left out."""
        given = self.model_dump(exclude_none=True, exclude={"unknown_fields"})
        return {name: given[name] if name in given else "unknown" for name in type(self).model_fields
                if name in given or name in self.unknown_fields}

    @model_validator(mode="before")
    @classmethod
    def _split_unknown(cls, data: Any) -> Any:
        """Turn "unknown"/"unsure" answers into None and remember which fields they were."""
        if not isinstance(data, dict):
            return data
        unknown = set(data.get("unknown_fields") or ())
        cleaned = {}
        for key, value in data.items():
            spec = FIELDS.get(key)
            if spec and spec.kind != "text" and isinstance(value, str) and value.strip().lower() in UNKNOWN:
                unknown.add(key)
                value = None
            cleaned[key] = value
        cleaned["unknown_fields"] = frozenset(unknown)
        return cleaned

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any, info: ValidationInfo) -> Any:
        spec = FIELDS.get(info.field_name or "")
        return clean_value(spec, value) if spec else value

    @field_validator("onset_age_years", mode="after")
    @classmethod
    def _onset_not_after_age(cls, value: int | None, info: ValidationInfo) -> int | None:
        age = info.data.get("age_years")
        if value is not None and age is not None and value > age:
            raise AnswerError(f"age at onset ({value}) is later than age_years ({age})", "later than age_years")
        return value


# ---------------------------------------------------------------------------------------------
# Field specs derived from the model: one place for types, ranges and units.

Kind = Literal["text", "integer", "number", "yesno", "choice", "list"]


@dataclass(frozen=True)
class FieldSpec:
    id: str
    kind: Kind
    title: str
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    soft_range: tuple[float, float] | None = None
    choices: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # one per choice, as shown to a person

    def describe_range(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{format_number(self.minimum)} to {format_number(self.maximum)}{unit}"

    def label_of(self, code: Any) -> str:
        """A choice code as the questionnaire shows it (female -> Female); other values as text."""
        return self.labels[self.choices.index(code)] if code in self.choices and self.labels else str(code)


def _kind_of(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    inner = args[0]
    if typing.get_origin(inner) is Literal:
        return "choice", tuple(typing.get_args(inner))
    if typing.get_origin(inner) is list:
        return "list", ()
    kinds: dict[Any, Kind] = {bool: "yesno", int: "integer", float: "number", str: "text"}
    return kinds[inner], ()


def _build_specs() -> dict[str, FieldSpec]:
    specs = {}
    for name, info in Intake.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("internal"):
            continue
        kind, choices = _kind_of(info.annotation)
        lo = hi = None
        for meta in info.metadata:
            lo = getattr(meta, "ge", lo)
            hi = getattr(meta, "le", hi)
        soft = tuple(extra["soft_range"]) if "soft_range" in extra else None
        labels = tuple(extra.get("labels") or choices)
        specs[name] = FieldSpec(name, kind, info.title or name, extra.get("unit"), lo, hi,
                                soft, choices, labels)  # type: ignore[arg-type]
    return specs


FIELDS: dict[str, FieldSpec] = {}  # filled below, once Intake exists


# ---------------------------------------------------------------------------------------------
# Cleaners: raw answer -> typed value, or AnswerError with a plain-language reason.

def clean_value(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    return _CLEANERS[spec.kind](spec, value)


def _clean_yesno(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        token = value.lower()
        if token in YES:
            return True
        if token in NO:
            return False
    raise _rejected(value, "not a yes/no answer; use yes, no or unsure")


def _clean_number(spec: FieldSpec, value: Any) -> float:
    return round(_number(spec, value), DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _clean_integer(spec: FieldSpec, value: Any) -> int:
    number = _number(spec, value)  # checked before rounding: 45.00001 is not a whole number
    if not number.is_integer():
        raise _rejected(value, "not a whole number")
    return int(number)


def _number(spec: FieldSpec, value: Any) -> float:
    """A finite number in the field's canonical unit, not yet rounded."""
    if isinstance(value, bool):
        raise _rejected(value, "not a number")
    try:
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str):
            number = _parse_number_text(spec, value)
        else:
            raise AnswerError(f"expected a number, got {type(value).__name__}")
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise _rejected(value, "not a finite number")
    return number


def split_unit(spec: FieldSpec, text: str) -> tuple[float, str | None]:
    """A number answer's text as (number, unit key or None): "67 pmol/L" -> (67.0, "pmol/l").

    AnswerError when it is not a number or the unit is not one the field accepts.
    """
    if _DECIMAL_COMMA.match(text):
        reason = "has a comma: use a decimal point and no thousands separator"
        raise AnswerError(f"{_show(text)} {reason}", reason)
    match = _NUMBER.match(text)
    if not match:
        raise _rejected(text, "not a number")
    number, unit = float(match.group(1)), match.group(2)
    if unit is None:
        return number, None
    if _unit_key(unit) not in _FACTORS[spec.id]:
        known = ", ".join(sorted(_FACTORS[spec.id])) or "none"
        raise AnswerError(f"unknown unit {_show(unit)} (accepted units: {known})", f"unknown unit (accepted units: {known})")
    return number, _unit_key(unit)


def accepted_units(spec: FieldSpec) -> list[str]:
    """The unit keys a number answer to this field may carry (its own unit first)."""
    return list(_FACTORS[spec.id])


def _parse_number_text(spec: FieldSpec, text: str) -> float:
    number, unit = split_unit(spec, text)
    if unit is None:
        return number
    return number * _FACTORS[spec.id][unit]


def _unit_key(unit: str) -> str:
    return unit.strip().lower().replace(" ", "")


def _clean_choice(spec: FieldSpec, value: Any) -> str:
    """A code from its code or label, or from the start of exactly one (any case, any spacing)."""
    if isinstance(value, str):
        token = _words(value)
        names = [(code, _words(label)) for code, label in zip(spec.choices, spec.labels)]
        found = {code for code, label in names if token in (code, label)}
        found = found or {code for code, label in names if code.startswith(token) or label.startswith(token)}
        if len(found) == 1:
            return found.pop()
        if found:
            raise _rejected(value, f"ambiguous: it could be {' or '.join(c for c in spec.choices if c in found)}")
    raise _rejected(value, f"not one of: {', '.join(spec.choices)}")


def _clean_list(spec: FieldSpec, value: Any) -> list[str]:
    if isinstance(value, str):
        items = _LIST_SPLIT.split(value)
    elif isinstance(value, (list, tuple)):
        if not all(isinstance(item, str) for item in value):
            raise AnswerError("every item must be text")
        items = list(value)
    else:
        raise AnswerError(f"expected a list of names, got {type(value).__name__}")
    names = [item.strip() for item in items if item.strip()]
    return [] if all(_words(name) in NONE_WORDS for name in names) else names


def _words(text: str) -> str:
    """Lower case, single spaces: "  No   Medicines " -> "no medicines"."""
    return " ".join(text.lower().split())


def _clean_text(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise AnswerError(f"expected text, got {type(value).__name__}")
    return str(value)


_CLEANERS = {
    "yesno": _clean_yesno,
    "number": _clean_number,
    "integer": _clean_integer,
    "choice": _clean_choice,
    "list": _clean_list,
    "text": _clean_text,
}


def _rejected(value: Any, reason: str) -> AnswerError:
    """"'abc' is not a number" for the person answering; "not a number" for logs."""
    return AnswerError(f"{_show(value)} is {reason}", reason)


def _show(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def format_number(number: float | None) -> str:
    """A number as a person writes it: 30, 12.5, 1e+300 (never 300 digits)."""
    if number is None:
        return "?"
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else f"{number:g}"


FIELDS.update(_build_specs())
# The field's own unit is always accepted ("4 weeks", "3 drinks/day"), besides the conversions.
_FACTORS = {spec.id: {**({_unit_key(spec.unit): 1.0} if spec.unit else {}), **UNITS.get(spec.id, {})}
            for spec in FIELDS.values()}
