"""`screener batch`: score intake files, one output row per respondent, in input order.

The parent opens every input first (`sources`: CSV, JSON Lines, Parquet; headers matched
before any work), then reads each in chunks of whole records, has them scored (`scorer`) by
worker processes (`workers`) or on a Dask cluster (`cluster`), and writes the results in input
order through an atomic output (`batch_output`). Several inputs are one: row numbers run on
from file to file. Rows whose worker died twice get status "error"; nothing is dropped.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from .batch_output import AtomicOutput, header_line
from .csv_input import Chunk
from .scorer import CHUNK_ROWS, ChunkScorer, Tally, error_output, split_records
from .sources import Source, expand, open_source

Parts = Iterator[tuple[str, Tally]]  # output text and tally of each part, in input order


@dataclass
class BatchOptions:
    inputs: list[str]
    output: str | None = None
    format: str = "csv"
    mapping: str | None = None
    jobs: int | None = None
    delimiter: str | None = None
    engine: str = "durable"
    progress: bool = False
    worker_timeout: float = 300.0
    cluster: str | None = None


@dataclass
class _Local:
    """Scores each source's chunks in local worker processes."""

    options: BatchOptions
    deaths: int = 0

    def __call__(self, source: Source, chunks: Iterable[Chunk]) -> Parts:
        from ..core.rulebook import default_rulebook
        from .workers import OrderedPool

        settings, stamp = source.settings, default_rulebook().stamp
        pool = OrderedPool(self.options.jobs or os.cpu_count() or 1, ChunkScorer, (settings,),
                           lambda chunk: split_records(settings, chunk),
                           lambda chunk, reason: error_output(settings, stamp, chunk, reason),
                           self.options.worker_timeout)
        try:
            for _, parts in pool.map(chunks):
                yield from parts
        finally:
            self.deaths += pool.deaths

    def notes(self, tally: Tally) -> list[str]:
        if not self.deaths:
            return []
        return [f"{self.deaths} worker process(es) died or stalled and were replaced; their rows were scored again "
                "one by one" + ("; see the rows with status error" if tally.error else "")]

    def close(self) -> None:
        pass


def run_batch(options: BatchOptions, note: Callable[[str], None]) -> Tally:
    """Score every input into the output; raises InputError before any work (OutputError, a
    subclass, also when writing fails), and KeyboardInterrupt, WorkersFailed or ClusterFailed
    during it (the final output is then not written)."""
    paths = expand(options.inputs)
    sources: list[Source] = []
    try:
        sources.extend(open_source(path, options, note) for path in paths)
        output = AtomicOutput(options.output, [p for p in (*paths, options.mapping) if p and p != "-"])
    except BaseException:
        for source in sources:
            source.close()
        raise
    tally, offset, done = Tally(), 0, 0
    scorer: Any = None
    try:
        scorer = _scorer(options, note)
        with _progress(options.progress, sum(source.size for source in sources)) as advance:
            if options.format == "csv":
                output.write(header_line())
            for source in sources:
                counted = _Counted(source.chunks(CHUNK_ROWS), offset)
                for text, part in scorer(source, counted):
                    output.write(text)
                    tally.add(part)
                    advance(done + source.position())
                if source.spans:
                    note(f"{source.name}: {_spans_note([(row + offset, *lines) for row, *lines in source.spans])}")
                offset, done = offset + counted.records, done + source.size
        output.commit()
    except BaseException:
        output.discard()
        raise
    finally:
        if scorer is not None:
            scorer.close()
        for source in sources:
            source.close()
    for line in scorer.notes(tally):
        note(line)
    return tally


def _scorer(options: BatchOptions, note: Callable[[str], None]) -> Any:
    """Local worker processes, or a Dask cluster with --cluster."""
    if options.cluster:
        from .cluster import ClusterScorer

        return ClusterScorer(options, note)
    return _Local(options)


@dataclass
class _Counted:
    """A source's chunks with row numbers that run on from the inputs before it; counts records."""

    chunks: Iterator[Chunk]
    offset: int
    records: int = field(default=0)

    def __iter__(self) -> Iterator[Chunk]:
        for chunk in self.chunks:
            self.records += chunk.count
            yield Chunk(chunk.start_row + self.offset, chunk.count, chunk.text) if self.offset else chunk


def _spans_note(spans: list[tuple[int, int, int]], shown: int = 5) -> str:
    """Rows whose quoted cells run over several lines (a misplaced quote takes in the rows after it)."""
    listed = ", ".join(f"row {row} (lines {first}-{last})" for row, first, last in spans[:shown])
    more = f" and {len(spans) - shown} more" if len(spans) > shown else ""
    return (f"{listed}{more}: a quoted cell runs over several lines of the file; if a quote is misplaced there, "
            "the lines after it were read into that cell instead of as rows")


class _progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total = enabled, total

    def __enter__(self) -> Callable[[int], None]:
        """A function that moves the bar to a position in the file (bytes read so far)."""
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

        self.bar = Progress("scoring", BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                            console=Console(file=sys.stderr), transient=True)
        self.bar.start()
        task = self.bar.add_task("scoring", total=max(self.total, 1))
        return lambda position: self.bar.update(task, completed=position)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()

