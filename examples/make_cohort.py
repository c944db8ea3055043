"""Write examples/cohort.csv: a small synthetic cohort of RLS intakes for `screener report`.

Seeded, so the file is the same on every run. Values are plausible for adults referred with
RLS symptoms (not real people; not drawn from any study): age rising towards later life, more
women than men, ferritin log-normal around 70 ng/mL and lower in women and in pregnancy, TSAT
often not measured, a few per cent with each chronic condition, everyday medications, about 3 %
of answers left blank and 1.5 % answered "unsure". It also holds what real exports hold: two
blank lines, and three cells that fail validation.

    python examples/make_cohort.py            # writes examples/cohort.csv
    python examples/make_cohort.py --rows 1000 --seed 3 -o other.csv
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEDICATIONS = [  # (name, share of respondents taking it)
    ("sertraline", .07), ("citalopram", .04), ("escitalopram", .03), ("venlafaxine", .03), ("duloxetine", .02),
    ("mirtazapine", .02), ("amitriptyline", .03), ("quetiapine", .015), ("metoclopramide", .01),
    ("diphenhydramine", .03), ("cetirizine", .04), ("amlodipine", .08), ("metoprolol", .06), ("levothyroxine", .07),
    ("metformin", .08), ("atorvastatin", .15), ("omeprazole", .12), ("lisinopril", .08), ("pramipexole", .06),
    ("ropinirole", .04), ("ferrous sulfate", .08), ("vitamin D", .15), ("paracetamol", .10), ("ibuprofen", .06),
]
CONDITIONS = {"diabetes": .10, "peripheral_neuropathy": .05, "parkinsons_disease": .015, "rheumatoid_arthritis": .03,
              "hypothyroidism": .08, "fibromyalgia": .04, "multiple_sclerosis": .01, "venous_insufficiency": .06,
              "sleep_apnea_untreated": .05, "inflammatory_condition": .06}
MIMIC_QUESTIONS = {"cramps_hard_knotted_muscle": .12, "relieved_by_one_position_change": .06,
                   "muscle_tender_worse_with_use": .05, "leg_swelling": .08, "eased_by_leg_elevation": .05,
                   "pain_in_joints": .15, "habit_without_urge": .03, "restless_mind_with_worry": .08,
                   "numb_or_burning_feet": .07, "pain_shoots_from_back": .06, "walking_brings_on_pain": .04,
                   "whole_body_restlessness": .03, "started_after_new_drug": .04, "jerk_when_falling_asleep": .10}
HEADER = ["respondent_id", "age_years", "sex", "urge_to_move", "worse_at_rest", "relieved_by_movement",
          "worse_evening_night", "symptom_days_per_week", "onset_age_years", "family_history_rls", "ferritin_ng_ml",
          "tsat_percent", "hemoglobin_g_dl", "taking_iron", "pregnant", "pregnancy_trimester", "kidney_disease",
          *CONDITIONS, "medications", "opioid_recently_stopped", "dopaminergic_worsening", "caffeine_drinks_per_day",
          "alcohol_drinks_per_week", "smoker", "bmi", "physically_active", "sleep_hours", *MIMIC_QUESTIONS]
BAD_CELLS = {57: ("ferritin_ng_ml", "see lab sheet"), 181: ("age_years", "130"), 266: ("tsat_percent", "n/a")}
BLANK_AFTER = (120, 305)  # a blank line after these respondents


def yes(rng: random.Random, share: float) -> str:
    return "yes" if rng.random() < share else "no"


def person(rng: random.Random, index: int) -> dict[str, str]:
    """One respondent's answers as CSV cells (blank: not answered)."""
    age = rng.randint(13, 17) if rng.random() < .04 else min(92, max(18, round(rng.gauss(56, 16))))
    sex = rng.choices(["female", "male", "other"], [60, 38, 2])[0]
    pregnant = sex == "female" and 18 <= age <= 44 and rng.random() < .15
    ferritin = rng.lognormvariate(4.25 - (.35 if sex == "female" and age < 50 else 0) - (.5 if pregnant else 0), .75)
    meds = [name for name, share in MEDICATIONS if rng.random() < share]
    row = {
        "respondent_id": f"C{index:04d}", "age_years": str(age), "sex": sex,
        "urge_to_move": yes(rng, .92), "worse_at_rest": yes(rng, .85), "relieved_by_movement": yes(rng, .82),
        "worse_evening_night": yes(rng, .86), "symptom_days_per_week": str(rng.choice([1, 2, 3, 3.5, 5, 7, 7])),
        "onset_age_years": str(rng.randint(max(5, age - 25), age)), "family_history_rls": yes(rng, .4),
        "ferritin_ng_ml": "" if rng.random() < .15 else f"{min(ferritin, 1500):.0f}",
        "tsat_percent": "" if rng.random() < .35 else f"{min(60, max(4, rng.gauss(24, 9))):.0f}",
        "hemoglobin_g_dl": "" if rng.random() < .5 else f"{rng.gauss(12.9 if sex == 'female' else 14.3, 1.2):.1f}",
        "taking_iron": "yes" if "ferrous sulfate" in meds else yes(rng, .04),
        "pregnant": ("yes" if pregnant else "no") if sex == "female" and age <= 55 else "",
        "pregnancy_trimester": str(rng.choices([1, 2, 3], [1, 3, 6])[0]) if pregnant else "",
        "kidney_disease": rng.choices(["none", "ckd", "dialysis", "transplant"], [90, 6, 3, 1])[0],
        "medications": "; ".join(meds) or "none",
        "opioid_recently_stopped": yes(rng, .02),
        "dopaminergic_worsening": yes(rng, .25) if {"pramipexole", "ropinirole"} & set(meds) else "",
        "caffeine_drinks_per_day": str(rng.choice([0, 1, 1, 2, 2, 3, 4, 6])),
        "alcohol_drinks_per_week": str(rng.choice([0, 0, 1, 3, 5, 8, 14, 21])),
        "smoker": yes(rng, .14), "bmi": f"{min(55, max(17, rng.gauss(27.5, 5))):.1f}",
        "physically_active": yes(rng, .55), "sleep_hours": str(rng.choice([5, 5.5, 6, 6.5, 7, 7.5, 8])),
    }
    row.update({name: yes(rng, share) for name, share in CONDITIONS.items()})
    row.update({name: yes(rng, share) for name, share in MIMIC_QUESTIONS.items()})
    for name in HEADER[3:]:  # 3 % not answered, 1.5 % "unsure" (only where the answer is yes or no)
        draw = rng.random()
        if draw < .03:
            row[name] = ""
        elif draw < .045 and row[name] in ("yes", "no"):
            row[name] = "unsure"
    if index in BAD_CELLS:
        field, text = BAD_CELLS[index]
        row[field] = text
    return row


def write(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, HEADER, lineterminator="\n")
        writer.writeheader()
        for index in range(1, rows + 1):
            writer.writerow(person(rng, index))
            if index in BLANK_AFTER:
                handle.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("-o", "--output", type=Path, default=HERE / "cohort.csv")
    args = parser.parse_args()
    write(args.output, args.rows, args.seed)


if __name__ == "__main__":
    main()
