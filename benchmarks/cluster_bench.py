"""`screener batch --cluster local[N]` against `screener batch --jobs N`, in the same run.

    .venv/bin/python benchmarks/cluster_bench.py [--rows 1000000] [--workers 2] [--rounds 2]

Writes the synthetic intake CSV of `batch_bench.py`, then runs both commands alternately,
each a fresh process of the installed console script writing to a file, and checks that the
two outputs are the same bytes. Memory is sampled every 100 ms (a faster sampler slows the run
it samples): the peak RSS and PSS summed over the process tree, and the peak of the largest
single worker process (a Dask worker, or a forked batch worker). Needs `screener[dask]`.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_bench import generate, measure  # noqa: E402

SCREENER = str(Path(sys.executable).with_name("screener"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "intake.csv"
        generate(path, args.rows)
        outputs = {"batch --jobs": Path(folder) / "local.csv", "batch --cluster local": Path(folder) / "dask.csv"}
        commands = {
            "batch --jobs": [SCREENER, "batch", str(path), "-o", str(outputs["batch --jobs"]), "--quiet",
                             "--jobs", str(args.workers)],
            "batch --cluster local": [SCREENER, "batch", str(path), "-o", str(outputs["batch --cluster local"]),
                                      "--quiet", "--cluster", f"local[{args.workers}]"],
        }
        results: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                results[name].append(measure(command, interval=0.1))
        same = filecmp.cmp(*outputs.values(), shallow=False)
    print(f"{os.cpu_count()} cores, {args.rows:,} rows, {args.workers} workers, {args.rounds} round(s), "
          f"outputs {'identical' if same else 'DIFFERENT'}\n")
    print("| command | median s | rows/s | ratio | peak RSS sum (MiB) | peak PSS sum (MiB) "
          "| largest worker RSS (MiB) | largest worker PSS (MiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base = statistics.median(r["seconds"] for r in results["batch --jobs"])
    for name, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        worst = {key: max(r[key] for r in runs) for key in ("rss", "pss", "child_rss", "child_pss")}
        print(f"| `{name}` | {seconds:.2f} | {args.rows / seconds:,.0f} | {seconds / base:.2f} | {worst['rss']:.0f} "
              f"| {worst['pss']:.0f} | {worst['child_rss']:.0f} | {worst['child_pss']:.0f} |")
    if not same:
        raise SystemExit("the outputs differ")


if __name__ == "__main__":
    main()
