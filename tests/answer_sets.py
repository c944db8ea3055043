"""Random answer sets over the whole questionnaire, for the differential tests of the FHIR and
REDCap skip logic: every question may be answered (or not), "don't know" where it is allowed,
numbers at and around the values the skip logic tests, medicines from the lexicon."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

from screener.core.questionnaire import Question, default_questionnaire
from screener.core.questionnaire_load import lexicon_names
from screener.core.rulebook import default_rulebook

Q = default_questionnaire()
LEXICON = default_rulebook().lexicon
MEDICINES = sorted({name for cls in LEXICON.classes for name in lexicon_names(LEXICON, cls)})
OTHER_MEDICINES = ["vitamin D", "herbal tea blend", "aspirin 75 mg"]
NONE_ANSWERS = [[], ["none"], ["None"], ["nil"], ["no medicines"]]


def _numbers(question: Question, rng: random.Random) -> Any:
    spec = question.spec
    lo, hi = spec.minimum or 0, spec.maximum if spec.maximum is not None else 100
    near = [v for v in (lo, hi, 11, 12, 13, 54, 55, 56, 30) if lo <= v <= hi]
    value = rng.choice(near) if rng.random() < 0.5 else rng.uniform(lo, hi)
    return int(round(value)) if spec.kind == "integer" else round(float(value), 1)


def _value(question: Question, rng: random.Random) -> Any:
    kind = question.spec.kind
    if question.allows_unsure and rng.random() < 0.15:
        return "unsure"
    if kind == "yesno":
        return rng.random() < 0.5
    if kind == "choice":
        return rng.choice([code for code, _ in question.choices])
    if kind in ("integer", "number"):
        return _numbers(question, rng)
    if kind == "list":
        if rng.random() < 0.3:
            return rng.choice(NONE_ANSWERS)
        return rng.sample(MEDICINES + OTHER_MEDICINES, rng.randint(1, 3))
    return rng.choice(["R1", "abc", "x9"])


def random_answers(rng: random.Random) -> dict[str, Any]:
    """Answers as `score` reads them (a question left out is not answered); each question is
    answered with a chance that itself varies, so that sparse and full answer sets both occur."""
    answers: dict[str, Any] = {}
    rate = rng.choice([0.3, 0.7, 0.9])
    for question in Q.questions:
        if rng.random() < rate:
            answers[question.id] = _value(question, rng)
    if "onset_age_years" in answers and "age_years" in answers:  # the Intake refuses onset after age
        answers["onset_age_years"] = min(answers["onset_age_years"], answers["age_years"])
    return answers


def answer_sets() -> st.SearchStrategy[dict[str, Any]]:
    """Random answer sets, from a random generator that hypothesis seeds (broad, cheap coverage)."""
    return st.randoms(use_true_random=False).map(random_answers)


def asked(answers: dict[str, Any]) -> set[str]:
    """The questions the questionnaire's own skip logic asks, given these answers (record id aside)."""
    return {q.id for q in Q.applicable(answers) if not q.identifier}
