"""Worker processes that may die: tasks in, results out in input order, nothing lost.

The rule engine is a C extension; a bug in it can kill the process it runs in. Each worker is
a process with its own handler (built once by `init(*args)`) and one task in flight at a time,
watched through its pipe and its process sentinel. When a worker dies (or its handler raises),
a fresh worker takes over and the task is split (`split(task)`: one task per record) and run
again record by record; a record that still kills its worker gets `on_dead(task, reason)` as
its result. Results come back in task order; memory holds at most `2 * jobs` tasks.

Workers ignore Ctrl-C; the parent stops them (and raises KeyboardInterrupt to its caller).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import signal
import sys
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator

MAX_DEATHS_IN_A_ROW = 8  # with no task finished in between: the workers cannot run at all
_CAN_MASK = hasattr(signal, "pthread_sigmask")


class WorkersFailed(RuntimeError):
    """Workers die before finishing any task: a broken installation, not a bad row."""


def _worker_main(conn: Connection, init: Callable[..., Callable[[Any], Any]], args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _CAN_MASK:  # blocked by the parent while it forked (see OrderedPool._spawn)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        handle = init(*args)
    except Exception as exc:  # reported on the first task, so that the parent sees why
        handle, failure = None, f"the worker could not start: {type(exc).__name__}: {exc}"
    # A worker allocates millions of short-lived objects: collect cycles less often than the
    # default (every 700 allocations), which spent about a fifth of the time rescanning. (Not
    # gc.freeze(): in a forked child it touches every inherited object and unshares its pages.)
    gc.set_threshold(50_000, 20, 100)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        if handle is None:
            conn.send(("failed", failure))
            return
        try:
            result = handle(task)
        except Exception as exc:  # the handler may be unusable now: report, then make way for a fresh worker
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
            return
        conn.send(("ok", result))


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Connection
    task: tuple[int, int, Any, bool] | None = None  # (sequence, part, payload, single record)


@dataclass
class _Slot:
    expected: int = 1
    done: dict[int, Any] = field(default_factory=dict)


def describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class OrderedPool:
    def __init__(self, jobs: int, init: Callable[..., Callable[[Any], Any]], init_args: tuple[Any, ...],
                 split: Callable[[Any], list[Any]], on_dead: Callable[[Any, str], Any]):
        self.jobs = max(1, jobs)
        self.init, self.init_args = init, init_args
        self.split, self.on_dead = split, on_dead
        methods = mp.get_all_start_methods()
        self._ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        self.deaths = 0

    def _spawn(self) -> _Worker:
        sys.stdout.flush()  # a forked child flushes inherited std streams when it exits
        sys.stderr.flush()
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self.init, self.init_args), daemon=True)
        # Ctrl-C while forking would raise KeyboardInterrupt in the child before it ignores
        # SIGINT (a traceback on the terminal): keep SIGINT pending until the fork is done.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if _CAN_MASK else None
        try:
            process.start()
        finally:
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child.close()
        return _Worker(process, parent)

    def map(self, tasks: Iterable[Any]) -> Iterator[tuple[Any, list[Any]]]:
        """Yield (task, [results of its parts]) in task order."""
        source = iter(tasks)
        queue: deque[tuple[int, int, Any, bool]] = deque()
        slots: dict[int, _Slot] = {}
        originals: dict[int, Any] = {}
        next_seq = next_out = 0
        exhausted = False
        in_a_row = 0
        workers = [self._spawn() for _ in range(self.jobs)]
        try:
            while True:
                while not exhausted and next_seq - next_out < 2 * self.jobs and len(queue) < self.jobs:
                    try:
                        payload = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    queue.append((next_seq, 0, payload, False))
                    slots[next_seq], originals[next_seq] = _Slot(), payload
                    next_seq += 1
                for index, worker in enumerate(workers):
                    if worker.task is None and queue:
                        item = queue.popleft()
                        try:
                            worker.conn.send(item[2])
                        except (BrokenPipeError, ConnectionResetError, EOFError):  # died while idle
                            queue.appendleft(item)
                            workers[index] = self._replace(worker)
                            continue
                        worker.task = item
                while next_out in slots and len(slots[next_out].done) == slots[next_out].expected:
                    done = slots.pop(next_out).done
                    yield originals.pop(next_out), [done[part] for part in sorted(done)]
                    next_out += 1
                if exhausted and not queue and next_out == next_seq:
                    return
                busy = [w for w in workers if w.task is not None]
                if not busy:
                    continue
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for index, worker in enumerate(workers):
                    if worker.task is None or (worker.conn not in ready and worker.process.sentinel not in ready):
                        continue
                    seq, part, payload, single = worker.task
                    reason = None
                    try:
                        status, result = worker.conn.recv() if worker.conn.poll() else ("died", None)
                    except (EOFError, ConnectionResetError, OSError):
                        status, result = "died", None
                    if status == "ok":
                        slots[seq].done[part] = result
                        worker.task = None
                        in_a_row = 0
                        continue
                    if status == "failed":
                        reason = f"scoring failed ({result})"
                    worker.process.join(5)
                    reason = reason or f"the scoring process stopped unexpectedly ({describe_exit(worker.process.exitcode)})"
                    workers[index] = self._replace(worker)
                    self.deaths += 1
                    in_a_row += 1
                    if in_a_row > MAX_DEATHS_IN_A_ROW:
                        raise WorkersFailed(f"the scoring processes keep failing: {reason}")
                    if single:
                        slots[seq].done[part] = self.on_dead(payload, reason)
                    else:  # run it again in fresh workers, one record at a time
                        parts = self.split(payload)
                        slots[seq].expected = len(parts)
                        queue.extendleft(reversed([(seq, i, sub, True) for i, sub in enumerate(parts)]))
        finally:
            self._stop(workers)

    def _replace(self, worker: _Worker) -> _Worker:
        self._kill(worker)
        return self._spawn()

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _stop(self, workers: list[_Worker]) -> None:
        for worker in workers:
            if worker.task is None and worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for worker in workers:
            worker.process.join(2 if worker.task is None else 0)
            self._kill(worker)
