"""The boundary: raw answers -> an Intake, with errors and warnings that name the field.

`parse_intake` is the one way in for `score`, `ask`'s answers file and `batch`: the Intake model
decides every answer (`core.intake`), pydantic's errors become `Problem`s that name the field and a
plain reason, and `soft_warnings` adds implausible-but-possible answers and contradictions.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .intake import FIELD_LIST, FIELDS, FieldSpec, Intake, format_number


@dataclass(frozen=True)
class Problem:
    """One error or warning about one field.

    `message` may quote the answer ("'abc' is not a number"): it belongs in the report and in
    front of the person answering. `reason` never does ("not a number"): use `redacted` for
    stderr and logs.
    """

    field: str
    message: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    @property
    def redacted(self) -> str:
        """"field: reason", without the answer."""
        return f"{self.field}: {self.reason or self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class ParsedIntake:
    intake: Intake | None
    errors: list[Problem]
    warnings: list[Problem]

    @property
    def ok(self) -> bool:
        return self.intake is not None


def parse_intake(data: Any) -> ParsedIntake:
    """Validate raw answers (a mapping of field id -> answer) into an Intake."""
    if not isinstance(data, dict):
        return ParsedIntake(None, [Problem("(answers)", "expected an object of field: answer pairs")], [])
    if "unknown_fields" in data:
        return ParsedIntake(None, [Problem("unknown_fields", "is set by screener; give 'unknown' as an answer instead")], [])
    try:
        intake = Intake.model_validate(data)
    except ValidationError as exc:
        return ParsedIntake(None, [problem_from_error(err) for err in exc.errors()], [])
    return ParsedIntake(intake, [], soft_warnings(intake))


def problem_from_error(err: Any) -> Problem:
    """One pydantic validation error as a Problem that names the field and a plain reason."""
    field = ".".join(str(part) for part in err["loc"][:1]) or "(answers)"
    spec = FIELDS.get(field)
    kind = err["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, FIELDS, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; {FIELD_LIST}"
        return Problem(field, f"is not a known field{hint}")
    if kind in {"greater_than_equal", "less_than_equal"} and spec:
        reason = f"out of range ({spec.describe_range()})"
        return Problem(field, f"{format_number(err['input'])} is {reason}", reason)
    if kind == "value_error":
        error = err["ctx"]["error"]
        return Problem(field, str(error), getattr(error, "reason", "") or "not a valid answer")
    message = str(err["msg"])  # pydantic's words: the reason drops them if they quote the answer
    return Problem(field, message, "not a valid answer" if str(err.get("input", "")) in message else message)


def soft_warnings(intake: Intake) -> list[Problem]:
    """Implausible-but-possible answers and contradictions worth a second look."""
    values = intake.__dict__
    warnings = [soft_range_warning(spec, values[spec.id]) for spec in _SOFT]
    warnings += [check.warn(values) for check in CROSS_CHECKS]
    return [warning for warning in warnings if warning is not None]


def soft_range_warning(spec: FieldSpec, value: float | None) -> Problem | None:
    """The warning for a value outside the field's soft range (None inside it, or when missing)."""
    lo, hi = spec.soft_range  # type: ignore[misc]
    if value is None or lo <= value <= hi:
        return None
    reason = f"outside the usual range {format_number(lo)}-{format_number(hi)} {spec.unit}; please check"
    return Problem(spec.id, f"{format_number(value)} is {reason}", reason)


@dataclass(frozen=True)
class CrossCheck:
    """A warning about answers that contradict each other. `warn` reads only the fields in
    `reads`, and can warn only when every field in `needs` is answered (the batch path by
    column relies on both to pick the rows worth checking)."""

    needs: tuple[str, ...]
    reads: tuple[str, ...]
    warn: typing.Callable[[typing.Mapping[str, Any]], Problem | None]


def _pregnant_male(values: typing.Mapping[str, Any]) -> Problem | None:
    if values["pregnant"] and values["sex"] == "male":
        return Problem("pregnant", "answered yes while sex is male; please check",
                       "contradicts the answer to sex; please check")
    return None


def _trimester_not_pregnant(values: typing.Mapping[str, Any]) -> Problem | None:
    if values["pregnancy_trimester"] is not None and values["pregnant"] is not True:
        return Problem("pregnancy_trimester", "given although pregnant is not yes; it is ignored by pregnancy rules",
                       "does not fit the answer to pregnant; it is ignored by pregnancy rules")
    return None


def _bmi_differs(values: typing.Mapping[str, Any]) -> Problem | None:
    bmi, height, weight = values["bmi"], values["height_cm"], values["weight_kg"]
    if bmi is not None and height and weight:
        derived = weight / (height / 100) ** 2
        if abs(derived - bmi) > 2:
            reason = "differs from the BMI of height and weight; the given BMI is used"
            return Problem("bmi", f"{format_number(round(bmi, 1))} differs from height and weight ({derived:.1f}); "
                                  "the given BMI is used", reason)
    return None


CROSS_CHECKS = (
    CrossCheck(("pregnant", "sex"), ("pregnant", "sex"), _pregnant_male),
    CrossCheck(("pregnancy_trimester",), ("pregnancy_trimester", "pregnant"), _trimester_not_pregnant),
    CrossCheck(("bmi", "height_cm", "weight_kg"), ("bmi", "height_cm", "weight_kg"), _bmi_differs),
)


_SOFT = [spec for spec in FIELDS.values() if spec.soft_range]
