"""Validate many rows fast with the Intake model's own rules, memoised per answer.

`parse_intake` validates a whole row through the `Intake` model: about 50 µs for a row of 50
answers, most of it the per-field cleaners. A cohort repeats the same answers ("yes", "no",
"female", "30") millions of times, so here each answer is validated alone, by the same model
(`Intake.model_validate({field: answer})`), and the outcome (typed value, "unknown", or the
errors) is cached per (field, answer). The one cross-field rule of the model (onset not after
age) is validated the same way, as the pair. The intake is then assembled with
`model_copy(update=...)` and warned about with `soft_warnings`, exactly as `parse_intake` does.

`RowValidator.parse(answers)` gives the same `ParsedIntake` as `parse_intake(answers)`; a
property test checks it. If the model ever gains a validator this module does not know, it
falls back to `parse_intake` for every row (correct, only slower).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from .intake import FIELDS, Intake, clean_value
from .parse import ParsedIntake, Problem, problem_from_error, parse_intake, soft_warnings

# The validators this module reproduces; anything else on the model means "use parse_intake".
_KNOWN_VALIDATORS = ({"_clean", "_onset_not_after_age"}, {"_split_unknown"})
PAIR = ("age_years", "onset_age_years")
_ORDER = {name: index for index, name in enumerate(Intake.model_fields)}
EMPTY_INTAKE = Intake()  # copied with answers (`model_copy(update=...)`): far cheaper than building one

Outcome = tuple[Any, bool, tuple[Problem, ...]]  # (value, answered unknown, errors)


def _model_is_known() -> bool:
    decorators = Intake.__pydantic_decorators__
    return (set(decorators.field_validators), set(decorators.model_validators)) == _KNOWN_VALIDATORS \
        and not decorators.validators and not decorators.root_validators


class RowValidator:
    """`parse_intake` with per-answer memoisation (one instance per process; not thread-safe)."""

    def __init__(self, max_cached: int = 100_000):
        self.fast = _model_is_known()
        self.max_cached = max_cached
        self._by_text: dict[str, dict[str, Outcome]] = {}  # field -> answer text -> outcome
        self._size = 0
        self._pairs: dict[tuple[Any, Any], tuple[Problem, ...]] = {}

    def parse(self, answers: Any) -> ParsedIntake:
        if not self.fast or not isinstance(answers, dict) or "unknown_fields" in answers:
            return parse_intake(answers)
        values: dict[str, Any] = {}
        unknown: list[str] = []
        errors: list[tuple[int, int, Problem]] = []
        by_text = self._by_text
        for key, raw in answers.items():
            hit = None
            if raw.__class__ is str:  # the common case (CSV): one dict per field, keyed by the text
                cached = by_text.get(key)
                if cached is not None:
                    hit = cached.get(raw)
            if hit is None:
                hit = self._outcome(key, raw)
            if hit[2]:
                rank = _ORDER.get(key, len(_ORDER))  # the model reports fields in its own order, extras last
                errors.extend((rank, len(values) + len(errors), problem) for problem in hit[2])
                continue
            value = hit[0]
            values[key] = value if value.__class__ is not list else list(value)  # each intake its own list
            if hit[1]:
                unknown.append(key)
        age, onset = values.get(PAIR[0]), values.get(PAIR[1])
        if age is not None and onset is not None:
            pair = self.pair(age, onset)
            if pair:
                values.pop(PAIR[1])
                errors.extend((_ORDER[PAIR[1]], 0, problem) for problem in pair)
        if errors:
            errors.sort(key=lambda item: (item[0], item[1]))
            return ParsedIntake(None, [problem for _, _, problem in errors], [])
        values["unknown_fields"] = frozenset(unknown)
        intake = EMPTY_INTAKE.model_copy(update=values)
        return ParsedIntake(intake, [], soft_warnings(intake))

    def outcome(self, key: str, raw: Any) -> Outcome:
        """One answer as the model decides it, memoised for texts (`parse` inlines the lookup)."""
        if raw.__class__ is str:
            cached = self._by_text.get(key)
            if cached is not None:
                hit = cached.get(raw)
                if hit is not None:
                    return hit
        return self._outcome(key, raw)

    def _outcome(self, key: str, raw: Any) -> Outcome:
        spec = FIELDS.get(key)
        if spec is not None and spec.kind == "text" and isinstance(raw, str):
            return clean_value(spec, raw), False, ()  # any text is valid text; ids are unique, so not cached
        if raw.__class__ is not str:  # numbers, booleans, lists (JSON Lines) are validated each time
            return self.validate_answer(key, raw)
        if self._size >= self.max_cached:
            self._by_text.clear()
            self._size = 0
        outcome = self.validate_answer(key, raw)
        self._by_text.setdefault(key, {})[raw] = outcome
        self._size += 1
        return outcome

    @staticmethod
    def validate_answer(key: str, raw: Any) -> Outcome:
        """One answer through the Intake model alone: (value, answered unknown, errors)."""
        try:
            intake = Intake.model_validate({key: raw})
        except ValidationError as exc:
            return None, False, tuple(problem_from_error(err) for err in exc.errors())
        return getattr(intake, key), key in intake.unknown_fields, ()

    def pair(self, age: Any, onset: Any) -> tuple[Problem, ...]:
        """The model's cross-field check of a valid age and onset (memoised)."""
        hit = self._pairs.get((age, onset))
        if hit is None:
            try:
                Intake.model_validate({PAIR[0]: age, PAIR[1]: onset})
                hit = ()
            except ValidationError as exc:
                hit = tuple(problem_from_error(err) for err in exc.errors())
            if len(self._pairs) >= self.max_cached:
                self._pairs.clear()
            self._pairs[(age, onset)] = hit
        return hit
