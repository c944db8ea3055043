"""Scoring inside Apache Spark: a function for `DataFrame.mapInArrow` (needs pyarrow).

    from screener.io.spark import SPARK_SCHEMA, score_arrow
    scored = intake_df.mapInArrow(score_arrow, SPARK_SCHEMA)

Each Spark task feeds Arrow record batches of intake rows (columns named by the intake field
ids, or mapped with `scorer(mapping=...)`); the function yields batches with the columns of
`screener batch` CSV output. Every input row gives one output row: a null cell is a question
not answered (as in Parquet input). A `row` column, when present (for example from
`zipWithIndex`), gives the row numbers; without it rows are numbered within each Spark
partition. The scoring is the one `screener batch` runs (`ChunkScorer`), built once per Python
worker process and reused for every batch.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterable, Iterator

from .batch_output import COLUMNS
from .csv_input import Chunk
from .mapping import field_for, load_mapping
from .scorer import ChunkScorer, Settings
from .sources import json_line

SPARK_SCHEMA = "row long, " + ", ".join(f"{name} string" for name in COLUMNS[1:])
_SCORERS: dict[tuple[str, str | None], ChunkScorer] = {}


def scorer(engine: str = "durable", mapping: str | None = None) -> Callable[[Iterable[Any]], Iterator[Any]]:
    """A `mapInArrow` function with another engine or a mapping file (a path every worker can read)."""
    def score(batches: Iterable[Any]) -> Iterator[Any]:
        return _score(batches, engine, mapping)
    return score


def score_arrow(batches: Iterable[Any]) -> Iterator[Any]:
    """The `mapInArrow` function with the durable-rules engine and no mapping file."""
    return _score(batches, "durable", None)


def _score(batches: Iterable[Any], engine: str, mapping_path: str | None) -> Iterator[Any]:
    import pyarrow as pa

    key = (engine, mapping_path)
    if key not in _SCORERS:
        mapping = load_mapping(mapping_path) if mapping_path else None
        _SCORERS[key] = ChunkScorer(Settings("jsonl", ",", None, mapping, "csv", engine))
    chunk_scorer = _SCORERS[key]
    mapping = chunk_scorer.settings.mapping
    schema = pa.schema([("row", pa.int64()), *((name, pa.string()) for name in COLUMNS[1:])])
    numbered = 0
    for batch in batches:
        records = batch.to_pylist()
        rows = [record.pop("row", None) for record in records]
        text = "".join(json_line({k: v for k, v in record.items() if field_for(k, mapping)}) for record in records)
        out, _ = chunk_scorer(Chunk(1, len(records), text))
        cells = list(csv.reader(io.StringIO(out, newline="")))
        columns: dict[str, list[Any]] = {name: [line[i] for line in cells] for i, name in enumerate(COLUMNS)}
        columns["row"] = [given if given is not None else numbered + i + 1 for i, given in enumerate(rows)]
        for i, record in enumerate(records):  # an absent id is the row number, as in `screener batch`
            if not str(record.get("respondent_id") or "").strip():
                columns["respondent_id"][i] = str(columns["row"][i])
        numbered += len(records)
        yield pa.RecordBatch.from_pydict(columns, schema=schema)


