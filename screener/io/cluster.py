"""`screener batch --cluster`: the same scoring on a Dask distributed cluster (an optional
dependency: `pip install 'screener[dask]'`).

The parent reads each input in chunks of whole records exactly as a local run does, groups
them into partitions of about `PARTITION_ROWS` records, and submits each with the settings of
its input to the cluster (a worker scores a partition chunk by chunk, as a local worker does). A worker keeps one `ChunkScorer` per input settings for its whole life
(built on its first partition, never pickled), so the engine and caches are built once per
worker. Results come back in input order and go through the same atomic output: the bytes
equal those of a local run. A worker lost mid-partition is replaced by Dask and the partition
run again; a partition that keeps failing stops the run (ClusterFailed, exit 1) naming its
file and rows, and no output is written: never a silent gap.

`--cluster local[N]` starts a LocalCluster of N single-threaded worker processes on this
machine; `--cluster dask://HOST:PORT` (or `tcp://`, `tls://`) joins a running scheduler.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .csv_input import Chunk, InputError
from .scorer import ChunkScorer, Settings, Tally

if TYPE_CHECKING:
    from .batch import BatchOptions
    from .sources import Source

PARTITION_ROWS = 20_000
RETRIES = 2                     # further tries of a partition whose task raised
_LOCAL = re.compile(r"^local\[(\d+)\]$")
_SCORERS: dict[str, ChunkScorer] = {}  # on a worker: one scorer per input settings


class ClusterFailed(RuntimeError):
    """A partition could not be scored on the cluster (its file and rows are named)."""


def score_partition(key: str, settings: Settings, chunks: list[Chunk]) -> tuple[str, Tally]:
    """On a Dask worker: score one partition, chunk by chunk, with this worker's long-lived
    scorer for `key` (small chunks keep few objects alive at a time, which the collector likes)."""
    scorer = _SCORERS.get(key)
    if scorer is None:
        scorer = _SCORERS[key] = ChunkScorer(settings)
    texts, tally = [], Tally()
    for chunk in chunks:
        text, part = scorer(chunk)
        texts.append(text)
        tally.add(part)
    return "".join(texts), tally


def partitions(chunks: Iterable[Chunk], rows: int = PARTITION_ROWS) -> Iterator[list[Chunk]]:
    """Consecutive chunks grouped into partitions of about `rows` records."""
    group: list[Chunk] = []
    for chunk in chunks:
        group.append(chunk)
        if sum(c.count for c in group) >= rows:
            yield group
            group = []
    if group:
        yield group


def address(cluster: str) -> tuple[str | None, int]:
    """(scheduler address or None for a local cluster, number of local workers)."""
    local = _LOCAL.match(cluster)
    if local:
        workers = int(local.group(1))
        if workers < 1:
            raise InputError(f"--cluster {cluster}: give at least one worker, e.g. local[2]")
        return None, workers
    for scheme in ("dask://", "tcp://", "tls://"):
        if cluster.startswith(scheme) and len(cluster) > len(scheme):
            return "tcp://" + cluster[len(scheme):] if scheme == "dask://" else cluster, 0
    raise InputError(f"--cluster {cluster}: expected local[N] or dask://HOST:PORT")


class ClusterScorer:
    """Scores sources on a Dask cluster, partitions in flight bounded, results in input order."""

    def __init__(self, options: BatchOptions, note: Callable[[str], None]):
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError("--cluster needs Dask: pip install 'screener[dask]'") from None
        scheduler, workers = address(options.cluster or "")
        # The workers' statistical profiler samples every 10 ms and costs time: off.
        dask.config.set({"distributed.worker.profile.enabled": False})
        self.cluster = None
        try:
            if scheduler is None:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(scheduler, timeout="30s")
        except OSError as exc:
            self.close()
            raise InputError(f"--cluster {options.cluster}: cannot reach the scheduler ({exc})") from None
        self.window = 2 * max(1, sum(self.client.nthreads().values()))
        note(f"scoring on {'a local Dask cluster' if scheduler is None else scheduler} with "
             f"{sum(self.client.nthreads().values())} worker thread(s)")

    def __call__(self, source: Source, chunks: Iterable[Chunk]) -> Iterator[tuple[str, Tally]]:
        key = hashlib.sha256(pickle.dumps(source.settings)).hexdigest()
        in_flight: deque[tuple[list[Chunk], Any]] = deque()
        try:
            for partition in partitions(chunks):
                in_flight.append((partition, self.client.submit(score_partition, key, source.settings, partition,
                                                                pure=False, retries=RETRIES)))
                if len(in_flight) >= self.window:
                    yield self._result(source, *in_flight.popleft())
            while in_flight:
                yield self._result(source, *in_flight.popleft())
        finally:
            for _, future in in_flight:
                future.cancel()

    @staticmethod
    def _result(source: Source, partition: list[Chunk], future: Any) -> tuple[str, Tally]:
        try:
            return future.result()
        except Exception as exc:  # a task that raised, or KilledWorker after repeated worker deaths
            first, last = partition[0].start_row, partition[-1].start_row + partition[-1].count - 1
            raise ClusterFailed(f"{source.name}: rows {first}-{last} could not be scored on the "
                                f"cluster ({type(exc).__name__}: {exc})") from None

    def notes(self, tally: Tally) -> list[str]:
        return []

    def close(self) -> None:
        for part in (getattr(self, "client", None), self.cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:  # closing a cluster that failed to start is best effort
                    pass
