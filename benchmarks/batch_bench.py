"""Benchmark `screener batch`: synthetic intake CSVs, end-to-end rows/s and peak memory.

Generates intake CSVs with realistic values and missingness (about 8 % blank cells, a few
"unsure" answers, 0.5 % invalid cells), then measures in one run, per file size:

- end to end, `screener batch FILE -o OUT --jobs J` with the durable-rules engine;
- the same with the reference (plain-Python) evaluator;
- a floor: the same pipeline reading, mapping and validating every row, but not scoring;
- the peak memory of the whole process tree (parent plus workers, sampled every 20 ms): the sum
  of RSS (shared pages counted once per process) and the sum of PSS (shared pages shared out).

    .venv/bin/python benchmarks/batch_bench.py                    # 10k, 100k, 1M rows, --jobs 2
    .venv/bin/python benchmarks/batch_bench.py --rows 10000 100000 --jobs 1 2
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEDS = ["sertraline", "citalopram", "venlafaxine", "mirtazapine", "amitriptyline", "quetiapine",
        "metoclopramide", "cetirizine", "levothyroxine", "metoprolol", "amlodipine", "lithium",
        "pramipexole", "ferrous sulfate", "metformin", "atorvastatin", "omeprazole", "vitamin d",
        "aspirin", "paracetamol", "lisinopril", "herbal tea blend"]
YESNO_FIELDS = [
    "urge_to_move", "worse_at_rest", "relieved_by_movement", "worse_evening_night", "family_history_rls",
    "inflammatory_condition", "taking_iron", "diabetes", "peripheral_neuropathy", "parkinsons_disease",
    "rheumatoid_arthritis", "hypothyroidism", "fibromyalgia", "multiple_sclerosis", "venous_insufficiency",
    "sleep_apnea_untreated", "opioid_recently_stopped", "dopaminergic_worsening", "smoker", "physically_active",
    "cramps_hard_knotted_muscle", "relieved_by_one_position_change", "muscle_tender_worse_with_use",
    "leg_swelling", "eased_by_leg_elevation", "pain_in_joints", "habit_without_urge", "restless_mind_with_worry",
    "numb_or_burning_feet", "pain_shoots_from_back", "walking_brings_on_pain", "whole_body_restlessness",
    "started_after_new_drug", "jerk_when_falling_asleep",
]
HEADER = ["respondent_id", "age_years", "sex", "symptom_days_per_week", "onset_age_years", "ferritin_ng_ml",
          "tsat_percent", "hemoglobin_g_dl", "pregnant", "pregnancy_trimester", "weeks_postpartum",
          "kidney_disease", "medications", "caffeine_drinks_per_day", "alcohol_drinks_per_week", "bmi",
          "sleep_hours", *YESNO_FIELDS]


def _maybe(rng: random.Random, value: object, blank: float = 0.08) -> str:
    return "" if rng.random() < blank else str(value)


def synthetic_row(rng: random.Random, index: int) -> list[str]:
    """One respondent's answers as CSV cells, with missing answers and a few bad cells."""
    age = rng.randint(18, 90)
    sex = rng.choice(["female", "male", "female", "male", "other"])
    pregnant = sex == "female" and age < 45 and rng.random() < 0.15
    ferritin = round(rng.lognormvariate(4.2, 0.9), 1)
    meds = "; ".join(rng.sample(MEDS, rng.choice([0, 0, 1, 1, 2, 3])))
    row = {
        "respondent_id": f"R{index:07d}",
        "age_years": _maybe(rng, age, 0.01),
        "sex": _maybe(rng, sex, 0.02),
        "symptom_days_per_week": _maybe(rng, rng.choice([0, 1, 2, 3, 4.5, 7])),
        "onset_age_years": _maybe(rng, rng.randint(5, age), 0.3),
        "ferritin_ng_ml": _maybe(rng, ferritin, 0.12),
        "tsat_percent": _maybe(rng, round(rng.uniform(5, 50), 1), 0.2),
        "hemoglobin_g_dl": _maybe(rng, round(rng.uniform(9, 17), 1), 0.4),
        "pregnant": ("yes" if pregnant else "no") if sex == "female" else "",
        "pregnancy_trimester": str(rng.randint(1, 3)) if pregnant else "",
        "weeks_postpartum": "",
        "kidney_disease": _maybe(rng, rng.choice(["none"] * 8 + ["ckd", "dialysis", "transplant"])),
        "medications": meds,
        "caffeine_drinks_per_day": _maybe(rng, rng.choice([0, 1, 2, 3, 5])),
        "alcohol_drinks_per_week": _maybe(rng, rng.choice([0, 2, 7, 14, 21])),
        "bmi": _maybe(rng, round(rng.uniform(18, 42), 1), 0.2),
        "sleep_hours": _maybe(rng, rng.choice([5, 6, 6.5, 7, 8]), 0.2),
    }
    for name in YESNO_FIELDS:
        answer = rng.choice(["yes", "no", "no", "no"]) if rng.random() > 0.03 else "unsure"
        row[name] = _maybe(rng, answer)
    if rng.random() < 0.005:  # a few bad cells: text in a number cell, or out of range
        row[rng.choice(["ferritin_ng_ml", "age_years"])] = rng.choice(["n/a", "lots", "999"])
    return [row[name] for name in HEADER]


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
UNIT_CELLS = {"ferritin_ng_ml": ["{} ng/mL", "{} µg/L", "{}ug/l", "{} pmol/L", "{} mg"],
              "hemoglobin_g_dl": ["{} g/dL", "{}0 g/L"], "bmi": ["{} kg/m2", "{} kg/m²"],
              "sleep_hours": ["{} h", "{} hours"], "age_years": ["{} years", "{} y"]}


def messy_row(rng: random.Random, index: int) -> list[str]:
    """A synthetic row with the mess of real exports: units, full-width digits, decimal commas,
    odd yes/no spellings, "Unknown", padding, soft-range and out-of-range values, onset after
    age, a trimester without a pregnancy, formula-like ids, quoted medication lists; about 40 %
    of rows are invalid."""
    cells = dict(zip(HEADER, synthetic_row(rng, index)))
    for name, value in cells.items():
        roll = rng.random()
        if not value or roll > 0.12:
            continue
        if name in UNIT_CELLS and roll < 0.05:
            cells[name] = rng.choice(UNIT_CELLS[name]).format(value)
        elif name in YESNO_FIELDS:
            cells[name] = rng.choice([value.upper(), f" {value} ", value[:1], "Unknown", "TRUE", "0", "maybe"])
        elif roll < 0.01:
            cells[name] = rng.choice([value.translate(FULL_WIDTH), value.replace(".", ","), f"{value}e0", "n/a"])
        elif roll < 0.02 and name != "respondent_id":
            cells[name] = rng.choice(["unsure", "  ", f"-{value}", f"{value}0"])
    if rng.random() < 0.05:
        cells["ferritin_ng_ml"] = rng.choice(["2500", "0.5", "150000", "3000 ng/mL"])
    if rng.random() < 0.03:
        cells["onset_age_years"], cells["age_years"] = "60", "40"
    if rng.random() < 0.02:
        cells["pregnancy_trimester"] = "2"
    if rng.random() < 0.01:
        cells["respondent_id"] = rng.choice(["=HYPERLINK(1)", "+1", "-7", "@x", " ", "a,b", 'say "hi"'])
    if rng.random() < 0.02:
        cells["medications"] = rng.choice(["sertraline, aspirin", "Tylenol PM;xyz 10 mg", "none", "unsure"])
    return [cells[name] for name in HEADER]


def generate(path: Path, rows: int, seed: int = 7, messy: bool = False) -> None:
    rng = random.Random(seed)
    make = messy_row if messy else synthetic_row
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(1, rows + 1):
            writer.writerow(make(rng, index))


# -- the floor: read, map and validate every row in the same workers, no scoring, no output ------

class ValidateOnly:
    """A worker handler that stops after validation (the floor under `screener batch`)."""

    def __init__(self, settings):
        from screener.core.cached_intake import RowValidator

        self.settings, self.validator = settings, RowValidator()

    def __call__(self, chunk):
        from screener.io.scorer import read_rows

        rows = read_rows(self.settings, chunk)
        return sum(self.validator.parse(row.answers).ok for row in rows if row.answers is not None)


def floor(path: str, jobs: int) -> None:
    from screener.io.batch import BatchOptions
    from screener.io.scorer import CHUNK_ROWS
    from screener.io.sources import open_source
    from screener.io.workers import OrderedPool

    source = open_source(path, BatchOptions([path]), lambda line: None)
    pool = OrderedPool(jobs, ValidateOnly, (source.settings,), lambda chunk: [chunk], lambda chunk, reason: 0)
    valid = sum(sum(parts) for _, parts in pool.map(source.chunks(CHUNK_ROWS)))
    source.close()
    print(valid)


# -- measuring -------------------------------------------------------------------------------

def _memory_kib(pid: int) -> tuple[int, int]:
    """RSS and PSS of one process (Linux /proc), in KiB; zeros when it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    kids = [int(child) for child in children.read().split()]
                    found.extend(kids)
                    stack.extend(kids)
        except (OSError, ValueError):
            continue
    return found


def measure(command: list[str], interval: float = 0.02) -> dict[str, float]:
    """Wall time (s) of one command, and the peaks (MiB) of RSS and PSS summed over its process
    tree (`rss`, `pss`) and of its largest child process (`child_rss`, `child_pss`).

    The RSS sum counts pages that forked workers share with the parent once per process; the
    PSS sum shares them out, so it is the memory the run really holds.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = {"rss": 0, "pss": 0, "child_rss": 0, "child_pss": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            parent = _memory_kib(process.pid)
            kids = [_memory_kib(pid) for pid in _descendants(process.pid)]
            peak["rss"] = max(peak["rss"], parent[0] + sum(k[0] for k in kids))
            peak["pss"] = max(peak["pss"], parent[1] + sum(k[1] for k in kids))
            peak["child_rss"] = max([peak["child_rss"], *(k[0] for k in kids)])
            peak["child_pss"] = max([peak["child_pss"], *(k[1] for k in kids)])
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {stderr.decode()[-2000:]}")
    return {"seconds": elapsed, **{key: value / 1024 for key, value in peak.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[2])
    parser.add_argument("--floor", metavar="FILE", help=argparse.SUPPRESS)  # internal: run the floor on FILE
    parser.add_argument("--floor-jobs", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(args.floor, args.floor_jobs)
        return
    python = sys.executable
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| rows | jobs | pipeline | seconds | rows/s | peak RSS sum (MiB) | peak PSS sum (MiB) |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            path = Path(folder) / f"intake-{rows}.csv"
            generate(path, rows)
            out = Path(folder) / "out.csv"
            for jobs in args.jobs:
                runs = {
                    "batch, durable engine": [python, "-m", "screener", "batch", str(path), "-o", str(out),
                                              "--jobs", str(jobs), "--quiet", "--engine", "durable"],
                    "batch, reference evaluator": [python, "-m", "screener", "batch", str(path), "-o", str(out),
                                                   "--jobs", str(jobs), "--quiet", "--engine", "reference"],
                    "floor: read + validate only": [python, __file__, "--floor", str(path),
                                                    "--floor-jobs", str(jobs)],
                }
                for name, command in runs.items():
                    run = measure(command)
                    print(f"| {rows:,} | {jobs} | {name} | {run['seconds']:.2f} | {rows / run['seconds']:,.0f} "
                          f"| {run['rss']:.0f} | {run['pss']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
