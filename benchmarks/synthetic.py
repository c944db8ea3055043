"""Synthetic intake answers with realistic values and missingness, for benchmarks only."""

from __future__ import annotations

import random
from typing import Any

MEDICATIONS = ["sertraline 50 mg", "atorvastatin", "lisinopril 10mg", "Tylenol PM", "metformin", "mirtazapine",
               "amlodipine", "levothyroxine", "omeprazole", "pramipexole 0.25 mg", "tramadol", "ibuprofen",
               "vitamin D", "zolpidem", "herbal tea blend"]


def _maybe(rng: random.Random, value: Any, missing: float) -> Any:
    return None if rng.random() < missing else value


def answers(rng: random.Random, index: int) -> dict[str, Any]:
    """One respondent's raw answers (strings and numbers, as a form would give them)."""
    sex = rng.choice(["female", "male", "female", "other"])
    age = rng.randint(8, 90)
    yes_no = lambda p: "yes" if rng.random() < p else "no"  # noqa: E731
    row: dict[str, Any] = {
        "respondent_id": f"R{index:07d}",
        "age_years": age,
        "sex": sex,
        "urge_to_move": _maybe(rng, yes_no(0.8), 0.05),
        "worse_at_rest": _maybe(rng, yes_no(0.75), 0.05),
        "relieved_by_movement": _maybe(rng, yes_no(0.7), 0.05),
        "worse_evening_night": _maybe(rng, yes_no(0.7), 0.08),
        "family_history_rls": _maybe(rng, yes_no(0.4), 0.1),
        "ferritin_ng_ml": _maybe(rng, round(rng.lognormvariate(4.3, 0.8), 1), 0.12),
        "tsat_percent": _maybe(rng, round(rng.uniform(8, 45), 1), 0.3),
        "hemoglobin_g_dl": _maybe(rng, round(rng.uniform(9, 17), 1), 0.5),
        "kidney_disease": rng.choices(["none", "ckd", "dialysis", "transplant"], [90, 6, 3, 1])[0],
        "diabetes": yes_no(0.12),
        "peripheral_neuropathy": yes_no(0.06),
        "smoker": yes_no(0.15),
        "caffeine_drinks_per_day": _maybe(rng, rng.randint(0, 8), 0.1),
        "alcohol_drinks_per_week": _maybe(rng, rng.randint(0, 20), 0.1),
        "bmi": _maybe(rng, round(rng.uniform(17, 42), 1), 0.3),
        "sleep_hours": _maybe(rng, rng.choice([5, 6, 6.5, 7, 7.5, 8, 9]), 0.3),
        "medications": rng.sample(MEDICATIONS, rng.choice([0, 0, 1, 1, 2, 3])),
        "cramps_hard_knotted_muscle": _maybe(rng, yes_no(0.15), 0.1),
        "numb_or_burning_feet": _maybe(rng, yes_no(0.1), 0.1),
        "walking_brings_on_pain": _maybe(rng, yes_no(0.05), 0.1),
    }
    if row["urge_to_move"] == "yes":
        row["symptom_days_per_week"] = rng.randint(1, 7)
        row["onset_age_years"] = rng.randint(0, age)
    if sex == "female" and 18 <= age <= 45:
        row["pregnant"] = yes_no(0.1)
        if row["pregnant"] == "yes":
            row["pregnancy_trimester"] = rng.randint(1, 3)
    return {k: v for k, v in row.items() if v is not None}


def cohort(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [answers(rng, i) for i in range(n)]
