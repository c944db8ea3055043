"""Spark: the `mapInArrow` function scores Arrow batches like `screener batch`, and the worked
example runs in Spark's local mode where pyspark (and Java) are installed."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow", reason="the Spark function needs pyarrow: pip install 'screener[parquet]'")
pq = pytest.importorskip("pyarrow.parquet")

from helpers import cohort, ok, screener, to_parquet  # noqa: E402


def rows_of(data: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data, newline="")))


def test_the_spark_function_scores_arrow_batches_like_a_local_run(tmp_path):
    from screener.io.spark import SPARK_SCHEMA, score_arrow

    path = cohort(tmp_path / "in.csv", 2_500)
    table = pq.read_table(to_parquet(path, tmp_path / "in.parquet"))
    numbered = table.append_column("row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    out = pa.Table.from_batches(list(score_arrow(numbered.to_batches(max_chunksize=600))))
    assert out.schema.names == [part.split()[0] for part in SPARK_SCHEMA.split(", ")]
    local = rows_of(ok(screener("batch", str(path), "--quiet")).stdout.decode())
    assert [{k: str(v) for k, v in row.items()} for row in out.to_pylist()] == local


def test_the_spark_function_keeps_ids_and_given_row_numbers():
    from screener.io.spark import score_arrow

    batch = pa.RecordBatch.from_pydict({"respondent_id": [0, None, 7], "age_years": [40, 41, 42], "row": [5, 9, 10]})
    out = pa.Table.from_batches(list(score_arrow([batch]))).to_pylist()
    assert [(r["row"], r["respondent_id"], r["status"]) for r in out] == [(5, "0", "ok"), (9, "9", "ok"), (10, "7", "ok")]


def test_the_spark_example_runs_in_local_mode(tmp_path):
    pytest.importorskip("pyspark", reason="pyspark is not installed: the Spark example is checked only where it is")
    path = cohort(tmp_path / "in.csv", 500)
    example = Path(__file__).resolve().parent.parent / "examples" / "spark_score.py"
    result = subprocess.run([sys.executable, str(example), str(path), str(tmp_path / "out")], capture_output=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    written = "".join(p.read_text() for p in sorted((tmp_path / "out").glob("part-*.csv")))
    assert rows_of(written) == rows_of(ok(screener("batch", str(path), "--quiet")).stdout.decode())
