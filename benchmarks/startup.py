"""Start-up time of `screener --help` and `screener ask --help` (target: under 0.5 s).

Each command runs in a fresh interpreter (a subprocess), repeatedly; the script prints the
median and the maximum wall time, a bare interpreter as the floor, and which heavy modules the
command imported (none should be: they load lazily inside the commands). For information it
also times `screener ask` up to its first question (empty input: it shows the first question,
reads end of input and exits), which loads the questionnaire, the Intake model and the lexicon.

    .venv/bin/python benchmarks/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
HEAVY = ("pydantic", "rich", "durable", "yaml", "orjson", "screener.core.intake", "screener.core.engine",
         "screener.core.questionnaire", "screener.ui.ask", "dask", "distributed", "pyarrow", "matplotlib", "jinja2",
         "polars")
COMMANDS = {
    "python -c pass (floor)": ["-c", "pass"],
    "screener --help": ["-m", "screener", "--help"],
    "screener ask --help": ["-m", "screener", "ask", "--help"],
}
FIRST_QUESTION = ["-m", "screener", "ask"]
PROBE = """
import runpy, sys
sys.argv = ["screener", *sys.argv[1:]]
try:
    runpy.run_module("screener", run_name="__main__")
except SystemExit:
    pass
heavy = {heavy!r}
print("IMPORTED:" + ",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def wall_times(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=args != FIRST_QUESTION, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
        times.append(time.perf_counter() - start)
    return times


def heavy_imports(args: list[str]) -> str:
    probe = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args[2:]], env=env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    line = next(x for x in probe.stderr.splitlines() if x.startswith("IMPORTED:"))
    return line.removeprefix("IMPORTED:") or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} runs each\n")
    print(f"{'command':<26} {'median':>8} {'max':>8}  heavy modules imported")
    ok = True
    for name, command in COMMANDS.items():
        wall_times(command, 2)  # warm the file cache
        times = wall_times(command, args.runs)
        median, worst = statistics.median(times), max(times)
        heavy = heavy_imports(command) if "screener" in name else "-"
        print(f"{name:<26} {median * 1000:>6.0f}ms {worst * 1000:>6.0f}ms  {heavy}")
        if "screener" in name:
            ok = ok and worst < TARGET_S and heavy == "none"
    times = wall_times(FIRST_QUESTION, args.runs)
    print(f"{'screener ask (1st question)':<26} {statistics.median(times) * 1000:>6.0f}ms "
          f"{max(times) * 1000:>6.0f}ms  (information only)")
    print(f"\n{'ok' if ok else 'FAIL'}: target < {TARGET_S * 1000:.0f} ms for every run, no heavy import")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
