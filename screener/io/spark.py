"""Scoring inside Apache Spark: a function for `DataFrame.mapInArrow` (needs pyarrow).

    from screener.io.spark import SPARK_SCHEMA, score_arrow
    scored = intake_df.mapInArrow(score_arrow, SPARK_SCHEMA)

Each Spark task feeds Arrow record batches of intake rows (columns named by the intake field
ids, or mapped with `scorer(mapping=...)`; checkbox columns are for CSV input only); the
function yields batches with the columns of `screener batch` CSV output. A null cell is a
question not answered; a row with no answer at all is skipped like a blank line, as in
`screener batch`. A `row` column, when present (for example from `zipWithIndex`), gives the
row numbers (and the respondent id where none is given); without it rows are numbered within
each Spark partition. The scoring is the one `screener batch` runs (`ChunkScorer`), built once per Python
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
        if mapping is not None and mapping.checkboxes:
            raise ValueError("the mapping's checkboxes apply to CSV input only; give the list field as one column")
        _SCORERS[key] = ChunkScorer(Settings("jsonl", ",", None, mapping, "csv", engine))
    chunk_scorer = _SCORERS[key]
    mapping = chunk_scorer.settings.mapping
    schema = pa.schema([("row", pa.int64()), *((name, pa.string()) for name in COLUMNS[1:])])
    numbered = 0
    for batch in batches:
        records = batch.to_pylist()
        given = [record.pop("row", None) for record in records]
        rows = [row if row is not None else numbered + i + 1 for i, row in enumerate(given)]
        numbered += len(records)
        lines = [json_line({k: v for k, v in record.items() if field_for(k, mapping)}) for record in records]
        if not rows or rows == list(range(rows[0], rows[0] + len(rows))):
            out = chunk_scorer(Chunk(rows[0] if rows else 1, len(rows), "".join(lines)))[0]
        else:  # rows out of order: each record with its own number (an absent id is its row number)
            out = "".join(chunk_scorer(Chunk(row, 1, line))[0] for row, line in zip(rows, lines))
        cells = list(csv.reader(io.StringIO(out, newline="")))
        columns: dict[str, list[Any]] = {name: [line[i] for line in cells] for i, name in enumerate(COLUMNS)}
        columns["row"] = [int(row) for row in columns["row"]]
        yield pa.RecordBatch.from_pydict(columns, schema=schema)
