"""Benchmark `screener report` on the JSON Lines output of the batch benchmark's cohort.

Generates the synthetic intake CSV of `batch_bench.py` (same generator, same seed), scores it
with `screener batch --format jsonl` (timed: the run that makes the report's input), then times
`screener report` on that output as a fresh process: the HTML page (with plots) and the JSON
form; with --csv also the batch CSV and the report made from it. Each run's peak memory is
that of its whole process tree (RSS and PSS summed), sampled every 100 ms.

    .venv/bin/python benchmarks/report_bench.py                     # 1 M rows, about 17 GB of JSON Lines
    .venv/bin/python benchmarks/report_bench.py --rows 10000 100000 --csv
    .venv/bin/python benchmarks/report_bench.py --rows 1000000 --keep /data/bench   # keep the files
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_bench import generate, measure  # noqa: E402 (a sibling script)

INTERVAL = 0.1  # seconds between memory samples


def bench(folder: Path, rows: int, jobs: int, with_csv: bool) -> None:
    python = [sys.executable, "-m", "screener"]
    intake, jsonl, results_csv = (folder / name for name in (f"intake-{rows}.csv", f"results-{rows}.jsonl",
                                                             f"results-{rows}.csv"))
    if not intake.exists():
        generate(intake, rows)
    runs: list[tuple[str, Path | None, list[str]]] = [
        ("batch --format jsonl (makes the input)", None,
         [*python, "batch", str(intake), "-o", str(jsonl), "--format", "jsonl", "--jobs", str(jobs), "--quiet"]),
        ("report JSON Lines -> HTML", jsonl, [*python, "report", str(jsonl), "-o", str(folder / "cohort.html")]),
        ("report JSON Lines -> JSON", jsonl, [*python, "report", str(jsonl), "-o", str(folder / "cohort.json")]),
    ]
    if with_csv:
        runs += [("batch (CSV output)", None,
                  [*python, "batch", str(intake), "-o", str(results_csv), "--jobs", str(jobs), "--quiet"]),
                 ("report batch CSV -> HTML", results_csv,
                  [*python, "report", str(results_csv), "-o", str(folder / "cohort-csv.html")])]
    for name, source, command in runs:
        if source is None and Path(command[command.index("-o") + 1]).exists():
            print(f"| {rows:,} | {name} | (kept from an earlier run) | | | | |", flush=True)
            continue
        run = measure(command, INTERVAL)
        size = "" if source is None else _size(source.stat().st_size)
        print(f"| {rows:,} | {name} | {size} | {run['seconds']:.2f} | {rows / run['seconds']:,.0f} | {run['rss']:.0f} "
              f"| {run['pss']:.0f} |", flush=True)


def _size(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--jobs", type=int, default=2, help="batch worker processes (default 2)")
    parser.add_argument("--csv", action="store_true", help="also time the batch CSV and the report made from it")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the files here and keep them; files already there are not made again")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| rows | run | input size | seconds | rows/s | peak RSS sum (MiB) | peak PSS sum (MiB) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for rows in args.rows:
            bench(args.keep, rows, args.jobs, args.csv)
        return
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            bench(Path(folder), rows, args.jobs, args.csv)


if __name__ == "__main__":
    main()
