"""The questionnaire: questions as data (questionnaires/*.yaml), skip logic and answer checks.

Types, ranges, units, choice codes and labels belong to the Intake model; the questionnaire file
may restate them for exporters (FHIR, REDCap), and the loader refuses any disagreement. Answers
are checked by the Intake model alone (`clean_value`, then `parse_intake` on all answers so far),
so the questionnaire accepts and rejects exactly what `screener score` does; the one addition is
a choice's number on the menu shown, which means nothing outside it. A rejected answer's
`reason` never quotes it.

Answers are kept as a JSON-ready dict, in question order: a typed value, "unsure", or None for
a question that was shown and skipped. Skip logic (`ask_when`) is the rules' condition language
evaluated over the answers to earlier questions only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import conditions as C
from .intake import FIELDS, UNKNOWN, FieldSpec, Intake, clean_value
from .intake import AnswerError  # a rejected answer here is the Intake's: `reason` never quotes it
from .parse import Problem, parse_intake
from .paths import questionnaires_dir
from .skiplogic import Skip

DEFAULT = "rls_intake"
UNSURE = "unsure"
SKIP = frozenset({"skip"})
TYPES = {"yesno": "boolean", "integer": "integer", "number": "decimal", "choice": "choice",
         "text": "string", "list": "list"}
# Derived facts an ask_when may test, and the questions they come from (see facts.build_facts).
DERIVED_FROM = {
    "medication_classes": ("medications",),
    "medication_count": ("medications",),
    "unrecognised_medication_count": ("medications",),
    "bmi": ("height_cm", "weight_kg"),
}


class QuestionnaireError(Exception):
    """The questionnaire file is inconsistent; `problems` lists every problem, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    text: str
    help: str
    spec: FieldSpec
    choices: tuple[tuple[str, str], ...] = ()  # (code, display)
    required: bool = False
    ask_when: C.Condition | None = None
    redcap: str = ""              # the REDCap variable name (the id unless the file gives a shorter one)
    dont_know: bool = False       # "don't know" is a coded answer (FHIR asked-unknown, REDCap UNK)
    identifier: bool = False      # the record identifier: REDCap's first field, FHIR's identifier
    loinc: tuple[str, ...] = ()   # LOINC codes: the first is exported, all are accepted
    ucum: str | None = None       # the unit as a UCUM code
    skip: Skip | None = None      # ask_when as FHIR enableWhen / FHIRPath and REDCap branching logic

    @property
    def menu(self) -> dict[str, str]:
        """A choice's number on the menu ("2") -> its code."""
        return {str(n): code for n, (code, _) in enumerate(self.choices, 1)}

    @property
    def allows_unsure(self) -> bool:
        """Whether "unsure" is an answer here: only where "don't know" is a coded answer."""
        return self.dont_know and not self.required

    def hint(self) -> str:
        """What may be typed, e.g. "yes / no / unsure"."""
        kind = self.spec.kind
        if kind == "yesno":
            options = ["yes", "no"]
        elif kind == "choice":
            options = [f"{n} = {display}" for n, (_, display) in enumerate(self.choices, 1)]
        elif kind in ("integer", "number"):
            options = [self.spec.describe_range()]
        elif kind == "list":
            options = ["names separated by commas", "none"]
        else:
            options = ["text"]
        if self.allows_unsure:
            options.append(UNSURE)
        if not self.required:
            options.append("Enter to skip")
        return " / ".join(options)

    def show(self, value: Any) -> str:
        """An answer as the person would say it."""
        if value is None:
            return "(skipped)"
        if value == UNSURE and self.spec.kind != "text":
            return UNSURE
        if isinstance(value, bool):
            return "yes" if value else "no"
        if self.spec.kind == "choice":
            return dict(self.choices).get(value, str(value))
        if isinstance(value, list):
            return ", ".join(value) if value else "none"
        if isinstance(value, float):  # converted units can carry long fractions (150 lb = 68.0389 kg)
            value = round(value, 2)
            value = int(value) if value.is_integer() else value
        return f"{value} {self.spec.unit}" if self.spec.unit else str(value)


@dataclass
class Checked:
    """An accepted answer and any soft warnings about it."""

    value: Any
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class Questionnaire:
    id: str
    title: str
    version: str
    sections: dict[str, str]
    questions: list[Question]
    url: str = ""                                        # the FHIR canonical URL
    codes: dict[str, Any] = field(default_factory=dict)  # questionnaires/codes.yaml (UCUM, LOINC, yes/no codings)

    def __post_init__(self) -> None:
        self.index = {q.id: i for i, q in enumerate(self.questions)}

    def __getitem__(self, qid: str) -> Question:
        return self.questions[self.index[qid]]

    @property
    def record_id(self) -> Question:
        """The record identifier (first in the file; REDCap's record id, FHIR's identifier)."""
        return next(q for q in self.questions if q.identifier)

    @property
    def items(self) -> list[Question]:
        """The questions a form asks (all but the record identifier)."""
        return [q for q in self.questions if not q.identifier]

    # -- skip logic ----------------------------------------------------------------------------

    def effective(self, answers: dict[str, Any]) -> dict[str, Any]:
        """The answers to questions that apply, in question order (others are dropped)."""
        kept: dict[str, Any] = {}
        for question in self.questions:
            if question.id in answers and self._applies(question, kept):
                kept[question.id] = answers[question.id]
        return kept

    def applicable(self, answers: dict[str, Any]) -> list[Question]:
        """The questions that apply given these answers (unanswered ones included)."""
        kept = self.effective(answers)
        return [q for q in self.questions if self._applies(q, {k: v for k, v in kept.items()
                                                              if self.index[k] < self.index[q.id]})]

    def _applies(self, question: Question, earlier: dict[str, Any]) -> bool:
        if question.ask_when is None:
            return True
        return C.evaluate(question.ask_when, _skip_facts(earlier))

    # -- answers -------------------------------------------------------------------------------

    def check(self, question: Question, text: str, answers: dict[str, Any]) -> Checked:
        """One typed answer -> the value to store; AnswerError with the reason otherwise.

        Empty or "skip" skips (not for a required question); "unsure" is kept as unsure.
        """
        raw = text.strip()
        token = raw.lower()
        if token in SKIP or not raw:
            if question.required:
                raise AnswerError("this question needs an answer")
            return Checked(None)
        if token in UNKNOWN and question.spec.kind != "text":
            if not question.allows_unsure:
                raise AnswerError("this question needs an answer; 'unsure' is not accepted here")
            value: Any = UNSURE
        elif token in question.menu:
            value = question.menu[token]  # the number on the menu shown: only here, never in files
        else:
            value = clean_value(question.spec, raw)  # AnswerError: the message quotes the answer, the reason not
        trial = self.effective({**answers, question.id: value})
        parsed = parse_intake({k: v for k, v in trial.items() if v is not None})
        if parsed.errors:
            raise AnswerError("; ".join(_reason(question.id, p.field, p.message) for p in parsed.errors),
                              "; ".join(_reason(question.id, p.field, p.reason or p.message) for p in parsed.errors))
        warnings = [w for w in parsed.warnings if w.field == question.id]
        if question.spec.kind == "list" and isinstance(value, list):
            warnings += _unrecognised(question.id, value)
        return Checked(value, warnings)

    def check_all(self, answers: Any) -> list[Problem]:
        """Problems with a whole set of stored answers (a resume file), one per field."""
        if not isinstance(answers, dict):
            return [Problem("answers", "expected an object of question: answer pairs")]
        problems = [Problem(key, "is not a question of this questionnaire") for key in answers if key not in self.index]
        if problems:
            return problems
        required = [Problem(q.id, "this question needs an answer") for q in self.questions
                    if q.required and q.id in answers and answers[q.id] is None]
        return required + parse_intake(self.effective(answers)).errors


_FIELD_ID = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def titled(message: str) -> str:
    """A message with field ids (age_years) replaced by their titles (age)."""
    return _FIELD_ID.sub(lambda m: FIELDS[m[0]].title if m[0] in FIELDS else m[0], message)


def _reason(qid: str, field: str, text: str) -> str:
    """A problem with `field` as said to the person answering question `qid` (a conflict names the other)."""
    if field == qid:
        return titled(text)
    about = FIELDS[field].title if field in FIELDS else field
    return f"it conflicts with the answer about {about}: {titled(text)}; change that answer first"


def _unrecognised(qid: str, names: list[str]) -> list[Problem]:
    """A warning about the medicines the lexicon does not know, so a misspelling can be fixed.

    The message names them (for the report); the reason says where they are in the list.
    """
    from .rulebook import default_rulebook

    lexicon = default_rulebook().lexicon
    unknown = [n for n, name in enumerate(names, 1) if not lexicon.match(name).recognised]
    if not unknown:
        return []
    listed = ", ".join(lexicon.unrecognised_text(names[n - 1]) for n in unknown)
    where = "the only one" if len(names) == 1 else f"number {', '.join(map(str, unknown))} of {len(names)}"
    advice = "check the spelling or give the generic name"
    return [Problem(qid, f"not recognised as a medicine name: {listed}; {advice}",
                    f"not recognised as a medicine name: {where}; {advice}")]


class _Unsure:
    """An answer given as "unsure": present for `present`, false for every comparison."""

    def __eq__(self, other: object) -> bool:
        return False

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__  # type: ignore[assignment]
    __hash__ = object.__hash__

    def __contains__(self, item: object) -> bool:
        return False


_UNSURE_FACT = _Unsure()


def _skip_facts(earlier: dict[str, Any]) -> dict[str, Any]:
    """Facts for ask_when: the engine's facts for these answers, plus unsure answers as present."""
    from .facts import build_facts
    from .rulebook import default_rulebook

    given = {k: v for k, v in earlier.items() if v is not None}
    parsed = parse_intake(given)
    intake = parsed.intake or Intake()
    facts = dict(build_facts(intake, default_rulebook().lexicon).facts)
    for name in intake.unknown_fields:
        facts[name] = _UNSURE_FACT
    return facts


# ---------------------------------------------------------------------------------------------
# Loading and checking the questionnaire file (questionnaire_load)

def questionnaire_path(name: str = DEFAULT) -> Path:
    return questionnaires_dir() / f"{name}.yaml"


@cache
def default_questionnaire() -> Questionnaire:
    return load_questionnaire(questionnaire_path())


def load_questionnaire(path: Path) -> Questionnaire:
    """Load and check a questionnaire file; raises QuestionnaireError naming each problem."""
    from .questionnaire_load import load

    return load(path)
