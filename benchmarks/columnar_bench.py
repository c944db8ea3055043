"""Benchmark the columnar engine of `screener batch` against durable-rules and the reference
evaluator, on the synthetic intake CSVs of `batch_bench.py` (clean, and messy: about 40 %
invalid rows, units, full-width digits, decimal commas, soft-range warnings), and check that
every engine writes the same bytes.

Per file size, each a fresh process, output to a file, memory of the whole process tree
sampled every 100 ms (RSS and PSS summed over parent and workers):

- `screener batch FILE --engine columnar|durable|reference --jobs J` (CSV out);
- the floor: reading the CSV alone with polars (all columns as text, J threads);
- the messy file with the columnar and durable engines;
- JSON Lines (full reports) with the columnar and durable engines, on `--jsonl-rows` rows;
- with `--big N`: the columnar engine alone on N rows (the largest file repeated).

    .venv/bin/python benchmarks/columnar_bench.py                        # 1 M rows, --jobs 2
    .venv/bin/python benchmarks/columnar_bench.py --rows 100000 --big 10000000
"""

from __future__ import annotations

import argparse
import filecmp
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_bench import generate, measure  # noqa: E402

READ_FLOOR = ("import sys, polars as pl; "
              "print(pl.read_csv(sys.argv[1], infer_schema=False).height)")


def _row(rows: int, name: str, run: dict[str, float], base: dict[str, float] | None = None) -> None:
    ratio = f"{base['seconds'] / run['seconds']:.1f}x" if base else ""
    print(f"| {rows:,} | {name} | {run['seconds']:.2f} | {rows / run['seconds']:,.0f} | {ratio} "
          f"| {run['rss']:.0f} | {run['pss']:.0f} |", flush=True)


def _batch(path: Path, out: Path, engine: str, jobs: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "screener", "batch", str(path), "-o", str(out), "--jobs", str(jobs), "--quiet",
            "--engine", engine, *extra]


def _same(first: Path, second: Path, what: str) -> None:
    if not filecmp.cmp(first, second, shallow=False):
        raise SystemExit(f"{what}: the outputs differ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--jsonl-rows", type=int, default=100_000)
    parser.add_argument("--big", type=int, nargs="*", default=[], help="also the columnar engine alone on N rows")
    parser.add_argument("--folder", help="where to write the files [default: a temporary folder]")
    args = parser.parse_args()
    jobs, rows = args.jobs, args.rows
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, --jobs {jobs}\n")
    print("| rows | pipeline | seconds | rows/s | columnar faster by | peak RSS sum (MiB) | peak PSS sum (MiB) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        where = Path(folder)
        clean, messy, small = where / "clean.csv", where / "messy.csv", where / "small.csv"
        generate(clean, rows)
        generate(messy, rows, seed=8, messy=True)
        generate(small, args.jsonl_rows, seed=9, messy=True)
        out = {name: where / f"{name}.out" for name in ("columnar", "durable", "reference", "m-col", "m-dur",
                                                         "j-col", "j-dur", "big")}
        col = measure(_batch(clean, out["columnar"], "columnar", jobs), interval=0.1)
        _row(rows, "batch, columnar engine (CSV out)", col)
        for engine in ("durable", "reference"):
            run = measure(_batch(clean, out[engine], engine, jobs), interval=0.1)
            _row(rows, f"batch, {engine}", run)
            print(f"|  | columnar / {engine} |  |  | {run['seconds'] / col['seconds']:.1f}x |  |  |", flush=True)
            _same(out["columnar"], out[engine], f"clean, columnar and {engine}")
        env_threads = {"POLARS_MAX_THREADS": str(jobs)}
        os.environ.update(env_threads)
        floor = measure([sys.executable, "-c", READ_FLOOR, str(clean)], interval=0.1)
        for name in env_threads:  # the workers choose their own threads
            del os.environ[name]
        _row(rows, f"floor: polars read_csv alone, {jobs} threads", floor)
        print(f"|  | columnar / floor |  |  | {floor['seconds'] / col['seconds']:.2f}x |  |  |", flush=True)
        m_col = measure(_batch(messy, out["m-col"], "columnar", jobs), interval=0.1)
        _row(rows, "messy file, columnar", m_col)
        m_dur = measure(_batch(messy, out["m-dur"], "durable", jobs), interval=0.1)
        _row(rows, "messy file, durable", m_dur)
        _same(out["m-col"], out["m-dur"], "messy, columnar and durable")
        j_col = measure(_batch(small, out["j-col"], "columnar", jobs, "--format", "jsonl"), interval=0.1)
        _row(args.jsonl_rows, "JSON Lines (messy), columnar", j_col)
        j_dur = measure(_batch(small, out["j-dur"], "durable", jobs, "--format", "jsonl"), interval=0.1)
        _row(args.jsonl_rows, "JSON Lines (messy), durable", j_dur)
        print(f"|  | columnar / durable, JSON Lines |  |  | {j_dur['seconds'] / j_col['seconds']:.1f}x |  |  |")
        _same(out["j-col"], out["j-dur"], "JSON Lines, columnar and durable")
        for big in args.big:
            path = where / "big.csv"
            with clean.open("rb") as source, path.open("wb") as target:
                header = source.readline()
                body = source.read()
                target.write(header)
                for _ in range(big // rows):
                    target.write(body)
            for name in ("columnar", "durable", "reference", "m-col", "m-dur"):
                out[name].unlink(missing_ok=True)
            run = measure(_batch(path, out["big"], "columnar", jobs), interval=0.1)
            _row(big // rows * rows, "batch, columnar engine (CSV out)", run)
            path.unlink()
            out["big"].unlink()


if __name__ == "__main__":
    main()
