"""`screener batch --cluster`: the same scoring on a Dask distributed cluster (an optional
dependency: `pip install 'screener[dask]'`).

The parent reads each input in chunks of whole records exactly as a local run does, groups
them into partitions of about `PARTITION_ROWS` records, and submits each with the settings of
its input to the cluster (a worker scores a partition chunk by chunk, as a local worker does).
A worker keeps one `ChunkScorer` per input of the run (built on its first partition, never
pickled; the last few runs' are kept), so the engine and caches are built once per worker.
Results come back in input order and go through the same atomic output: the bytes equal
those of a local run. A worker lost mid-partition is replaced by Dask and the partition run
again; a partition that keeps failing, or makes no progress for `--worker-timeout` seconds
per chunk, stops the run (ClusterFailed, exit 1) naming its file and rows, and no output is
written: never a silent gap. (A local run would instead mark the one row that kills its
worker `status=error` and go on.)

`--cluster local[N]` starts a LocalCluster of N single-threaded worker processes on this
machine; `--cluster dask://HOST:PORT` (or `tcp://`, `tls://`) joins a running scheduler.
"""

from __future__ import annotations

import logging
import re
import signal
import uuid
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .csv_input import Chunk, InputError
from .interrupts import held
from .scorer import ChunkScorer, Settings, Tally, Task

if TYPE_CHECKING:
    from .batch import BatchOptions

PARTITION_ROWS = 20_000
RETRIES = 2                     # further tries of a partition whose task raised
KEPT_SCORERS = 4                # scorers a worker keeps (inputs of the latest runs)
_LOCAL = re.compile(r"^local\[(\d+)\]$")
_SCORERS: OrderedDict[str, ChunkScorer] = OrderedDict()  # on a worker, by run and input


class ClusterFailed(RuntimeError):
    """A partition could not be scored on the cluster (its file and rows are named)."""


def score_partition(key: str, settings: Settings, chunks: list[Chunk]) -> tuple[str, Tally]:
    """On a Dask worker: score one partition, chunk by chunk, with this worker's long-lived
    scorer for `key` (small chunks keep few objects alive at a time, which the collector likes)."""
    scorer = _SCORERS.get(key)
    if scorer is None:
        scorer = _SCORERS[key] = ChunkScorer(settings)
        while len(_SCORERS) > KEPT_SCORERS:
            _SCORERS.popitem(last=False)
    _SCORERS.move_to_end(key)
    texts, tally = [], Tally()
    for chunk in chunks:
        text, part = scorer(chunk)
        texts.append(text)
        tally.add(part)
    return "".join(texts), tally


def partitions(tasks: Iterable[Task], rows: int = PARTITION_ROWS) -> Iterator[tuple[int, Settings, list[Chunk]]]:
    """Consecutive chunks of one input grouped into partitions of about `rows` records."""
    group: list[Chunk] = []
    current: tuple[int, Settings] | None = None
    for index, settings, chunk in tasks:
        if current is not None and (index != current[0] or sum(c.count for c in group) >= rows):
            yield (*current, group)
            group = []
        current = (index, settings)
        group.append(chunk)
    if current is not None and group:
        yield (*current, group)


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
    """Scores the run's tasks on a Dask cluster, partitions in flight bounded, results in input order."""

    def __init__(self, options: BatchOptions, note: Callable[[str], None], names: list[str]):
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError("--cluster needs Dask: pip install 'screener[dask]'") from None
        scheduler, workers = address(options.cluster or "")
        self.names, self.timeout = names, options.worker_timeout
        self.run = uuid.uuid4().hex
        self.cluster: Any = None
        self.client: Any = None
        # The workers' statistical profiler samples every 10 ms and costs time: off.
        dask.config.set({"distributed.worker.profile.enabled": False})
        try:
            with held():  # a signal waits until the cluster is up, then the run handles it
                interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # workers inherit it: the parent stops them
                try:
                    if scheduler is None:
                        self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                    dashboard_address=None, silence_logs=logging.ERROR)
                        self.client = Client(self.cluster)
                    else:
                        self.client = Client(scheduler, timeout="30s")
                finally:
                    signal.signal(signal.SIGINT, interrupt)
        except OSError as exc:
            self.close()
            raise InputError(f"--cluster {options.cluster}: cannot reach the scheduler ({exc})") from None
        except BaseException:
            self.close()
            raise
        threads = sum(self.client.nthreads().values())
        self.window = 2 * max(1, threads)
        note(f"scoring on {'a local Dask cluster' if scheduler is None else scheduler} with {threads} worker thread(s)")

    def __call__(self, tasks: Iterable[Task]) -> Iterator[tuple[str, Tally]]:
        in_flight: deque[tuple[int, list[Chunk], Any]] = deque()
        try:
            for index, settings, chunks in partitions(tasks):
                future = self.client.submit(score_partition, f"{self.run}:{index}", settings, chunks, pure=False,
                                            retries=RETRIES)
                in_flight.append((index, chunks, future))
                if len(in_flight) >= self.window:
                    yield self._result(*in_flight.popleft())
            while in_flight:
                yield self._result(*in_flight.popleft())
        finally:
            for _, _, future in in_flight:
                future.cancel()

    def _result(self, index: int, chunks: list[Chunk], future: Any) -> tuple[str, Tally]:
        first, last = chunks[0].start_row, chunks[-1].start_row + chunks[-1].count - 1
        where = f"{self.names[index]}: rows {first}-{last}"
        try:
            return future.result(timeout=self.timeout * len(chunks))
        except TimeoutError:
            raise ClusterFailed(f"{where} made no progress on the cluster for {self.timeout * len(chunks):g} s "
                                "(--worker-timeout per chunk)") from None
        except Exception as exc:  # a task that raised, or KilledWorker after repeated worker deaths
            raise ClusterFailed(f"{where} could not be scored on the cluster ({type(exc).__name__}: {exc})") from None

    def notes(self, tally: Tally) -> list[str]:
        return []

    def close(self) -> None:
        """Close the client and a local cluster (again is harmless)."""
        for part in (self.client, self.cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:  # closing a cluster that failed to start is best effort
                    pass
        self.client = self.cluster = None
