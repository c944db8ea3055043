"""Respondents per second for the durable-rules engine and the reference evaluator, same intakes.

    python benchmarks/engine_bench.py [--respondents 100000] [--rounds 5]

Reports, on one core: the engine alone on prepared facts, the reference evaluator alone on the
same facts, and the whole path from a validated Intake (facts, lexicon, engine) for both; then
the wall time of one `screener score` call (a new process each time). Medians of the rounds.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import cohort  # noqa: E402

from screener.core.parse import parse_intake  # noqa: E402
from screener.core.rulebook import default_rulebook  # noqa: E402
from screener.core.screening import Screener  # noqa: E402


def rate(fn, n: int, rounds: int) -> float:
    gc.collect()
    gc.freeze()  # the prepared inputs are long-lived: keep the collector from rescanning them
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def score_latency(rounds: int) -> tuple[float, float]:
    example = ROOT / "examples" / "low-ferritin-on-sertraline.json"
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "screener", "score", str(example)], check=True,
                       capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rulebook = default_rulebook()
    intakes = [parse_intake(a).intake for a in cohort(args.respondents)]
    assert all(intakes)
    n = len(intakes)
    with Screener(rulebook, "durable") as durable, Screener(rulebook, "reference") as reference:
        facts = [fs.facts for fs, _ in reference.fired(intakes)]
        fired_d = durable.engine.fire(facts)
        fired_r = reference.engine.fire(facts)
        assert fired_d == fired_r, "engines disagree"
        hits = sum(map(len, fired_d))
        rows = [
            ("durable-rules engine, prepared facts", rate(lambda: durable.engine.fire(facts), n, args.rounds)),
            ("reference evaluator, prepared facts", rate(lambda: reference.engine.fire(facts), n, args.rounds)),
            ("durable-rules, from Intake (facts + lexicon + engine)", rate(lambda: durable.fired(intakes), n, args.rounds)),
            ("reference, from Intake (facts + lexicon + evaluator)", rate(lambda: reference.fired(intakes), n, args.rounds)),
            ("durable-rules, from Intake to full Report objects", rate(lambda: durable.screen_many(intakes), n, args.rounds)),
        ]
    median, worst = score_latency(max(5, args.rounds))
    print(f"{len(rulebook.rules)} rules, {n} respondents, {hits / n:.2f} findings per respondent, "
          f"engines agree on all {n}; medians of {args.rounds} rounds, one core\n")
    print("| path | respondents/s | µs/respondent |")
    print("|---|---:|---:|")
    for name, value in rows:
        print(f"| {name} | {value:,.0f} | {1e6 / value:.1f} |")
    print(f"\n`screener score` one example, new process each time: median {median:.3f} s, max {worst:.3f} s")


if __name__ == "__main__":
    main()
