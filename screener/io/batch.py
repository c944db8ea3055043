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
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator

from .batch_output import AtomicOutput, header_line
from .csv_input import Chunk
from .scorer import CHUNK_ROWS, Scorers, Tally, Task, error_output, split_task
from .sources import PARQUET_SUFFIXES, Source, expand, open_source

Parts = Iterator[tuple[str, Tally]]  # output text and tally of each part, in input order
REPORT_CHUNK_ROWS = 200  # JSON Lines: a full report is about 17 kB, so smaller chunks keep memory down
SMALL_INPUT_BYTES = 1_000_000  # about 5,000 intakes: below it the default engine is durable-rules
COLUMNAR_CHUNK_ROWS = 10_000  # the columnar engine pays a fixed cost per chunk: fewer, larger chunks
COLUMNAR_REPORT_CHUNK_ROWS = 1_000  # JSON Lines: full reports are large; the fixed cost is small beside them


class VerifyFailed(RuntimeError):
    """A row scored again with durable-rules (--verify-sample) gave other output: the run stops unwritten."""


@dataclass
class BatchOptions:
    inputs: list[str]
    output: str | None = None
    format: str = "csv"
    mapping: str | None = None
    jobs: int | None = None
    delimiter: str | None = None
    engine: str | None = None  # None: columnar for CSV output on local workers, else durable
    progress: bool = False
    worker_timeout: float = 300.0
    cluster: str | None = None
    redcap_dictionary: str | None = None  # a REDCap data dictionary: the column plan of REDCap exports
    verify_sample: int = 0  # rows to score again with durable-rules (columnar engine), spread over the run


def _polars_safe_start() -> str:
    """How to start workers from a process that has run polars threads (a test, a notebook): never
    by forking it (the child could deadlock), but from a fork server, which has not loaded polars
    and has the scoring modules loaded once for all the workers it starts."""
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return "spawn"
    mp.get_context("forkserver").set_forkserver_preload(["screener.io.scorer", "screener.io.columnar",
                                                         "screener.core.screening"])
    return "forkserver"


@dataclass
class _Local:
    """Scores the run's tasks in local worker processes (one pool for every input)."""

    options: BatchOptions
    deaths: int = 0

    def __call__(self, tasks: Iterable[Task]) -> Parts:
        from ..core.rulebook import default_rulebook
        from .workers import OrderedPool

        stamp = default_rulebook().stamp
        method = None
        if self.options.engine == "columnar" and "polars" in sys.modules:
            method = _polars_safe_start()
        pool = OrderedPool(self.options.jobs or os.cpu_count() or 1, Scorers, (), split_task,
                           lambda task, reason: error_output(task[1], stamp, task[2], reason),
                           self.options.worker_timeout, method)
        try:
            for _, parts in pool.map(tasks):
                yield from parts
        finally:
            self.deaths += pool.deaths

    def notes(self, tally: Tally) -> list[str]:
        out = []
        if tally.per_row:
            out.append(f"{tally.per_row} rows were scored row by row with durable-rules (the same results): the "
                       "columnar engine reads CSV only, without checkbox columns or several columns for one field")
        if not self.deaths:
            return out
        return out + [f"{self.deaths} worker process(es) died or stalled and were replaced; their rows were scored again "
                "one by one" + ("; see the rows with status error" if tally.error else "")]

    def close(self) -> None:
        pass


@dataclass
class _Inputs:
    """The inputs read one after another as one: tasks whose row numbers run on from file to
    file, and the position for the progress bar. Each input is opened and matched first (a bad
    one stops the run before any work). The first stays open (it is read first, and stdin can
    be read only once); the others are closed again, so that many files do not hold many
    descriptors, and opened again when their turn comes."""

    paths: list[str]
    options: BatchOptions
    note: Callable[[str], None]
    sizes: list[int] = field(default_factory=list)
    kept: Source | None = None
    current: Source | None = None
    done: int = 0

    def check(self) -> None:
        for index, path in enumerate(self.paths):
            source = open_source(path, self.options, self.note)
            self.sizes.append(source.size)
            if index == 0:
                self.kept = source
            else:
                source.close()

    def __iter__(self) -> Iterator[Task]:
        offset = 0
        wanted, total, seen = self.options.verify_sample, max(sum(self.sizes), 1), 0
        for index, path in enumerate(self.paths):
            source = self.current = self.kept if index == 0 else open_source(path, self.options, lambda line: None)
            records = 0
            try:
                for chunk in source.chunks(_chunk_rows(self.options)):
                    records += chunk.count
                    # Rows to verify in proportion to the text: about `wanted` over the whole run.
                    before, seen = seen, seen + len(chunk.text)
                    verify = min(chunk.count, wanted * seen // total - wanted * before // total) if wanted else 0
                    yield index, source.settings, Chunk(chunk.start_row + offset, chunk.count, chunk.text, verify)
            finally:
                source.close()
                self.current = None
            if source.spans:
                self.note(f"{source.name}: {_spans_note([(row + offset, *lines) for row, *lines in source.spans])}")
            offset += records
            self.done += self.sizes[index]

    def position(self) -> int:
        return self.done + (self.current.position() if self.current else 0)

    def close(self) -> None:
        if self.kept is not None:
            self.kept.close()


def _chunk_rows(options: BatchOptions) -> int:
    if options.format != "csv":
        return COLUMNAR_REPORT_CHUNK_ROWS if options.engine == "columnar" else REPORT_CHUNK_ROWS
    return COLUMNAR_CHUNK_ROWS if options.engine == "columnar" else CHUNK_ROWS


def default_engine(options: BatchOptions, size: int | None = None) -> str:
    """The engine a run uses: the one asked for, else columnar for CSV output on local workers
    (`size`: the inputs' bytes, None when unknown), except for small inputs, where loading the
    column library in each worker costs more than it saves (the output is the same bytes)."""
    if options.engine:
        return options.engine
    if options.format != "csv" or options.cluster or not all(map(_csv_named, options.inputs)):
        return "durable"
    small = size is not None and size < SMALL_INPUT_BYTES and not options.verify_sample
    return "durable" if small else "columnar"


def _csv_named(path: str) -> bool:
    """Whether an input may be CSV by its name: the columnar engine reads CSV only (JSON Lines,
    FHIR and Parquet inputs would be scored row by row after loading polars for nothing)."""
    return not path.lower().endswith((".jsonl", ".ndjson", ".json", *PARQUET_SUFFIXES))


def _size(paths: list[str]) -> int | None:
    """The inputs' total bytes (None for standard input, or a file that cannot be read: reported later)."""
    try:
        return sum(os.path.getsize(path) for path in paths) if "-" not in paths else None
    except OSError:
        return None


def run_batch(options: BatchOptions, note: Callable[[str], None]) -> Tally:
    """Score every input into the output; raises InputError before any work (OutputError, a
    subclass, also when writing fails), and KeyboardInterrupt, WorkersFailed or ClusterFailed
    during it (the final output is then not written)."""
    paths = expand(options.inputs)
    options.engine = default_engine(replace(options, inputs=paths), _size(paths))
    inputs = _Inputs(paths, options, note)
    scorer: Any = None
    try:
        inputs.check()
        output = AtomicOutput(options.output, [p for p in (*paths, options.mapping, options.redcap_dictionary) if p and p != "-"])
    except BaseException:
        inputs.close()
        raise
    tally = Tally()
    try:
        scorer = _scorer(options, note, paths)
        with _progress(options.progress, sum(inputs.sizes)) as advance:
            if options.format == "csv":
                output.write(header_line())
            with closing(scorer(iter(inputs))) as parts:
                for text, part in parts:
                    if part.differed:
                        raise VerifyFailed(f"--verify-sample: durable-rules gives another output for row(s) "
                                           f"{', '.join(map(str, part.differed[:5]))}")
                    output.write(text)
                    tally.add(part)
                    advance(inputs.position())
        scorer.close()  # before the commit: once committed, the run is done
        output.commit()
    except BaseException:
        output.discard()
        raise
    finally:
        if scorer is not None:
            scorer.close()
        inputs.close()
    for line in scorer.notes(tally):
        note(line)
    return tally


def _scorer(options: BatchOptions, note: Callable[[str], None], names: list[str]) -> Any:
    """Local worker processes, or a Dask cluster with --cluster."""
    if options.cluster:
        from .cluster import ClusterScorer

        return ClusterScorer(options, note, names)
    return _Local(options)


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

