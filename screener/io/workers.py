"""Worker processes that may die: tasks in, results out in input order, nothing lost.

The rule engine is a C extension; a bug in it can kill the process it runs in. Each worker is
a process with its own handler (built once by `init(*args)`) and one task in flight at a time,
watched through its pipe and its process sentinel. When a worker dies (or its handler raises),
a fresh worker takes over and the task is split (`split(task)`: one task per record) and run
again record by record; a record that still kills its worker gets `on_dead(task, reason)` as
its result. Results come back in task order; memory holds at most `2 * jobs` tasks.

A worker that makes no progress on a task for `timeout` seconds is treated as dead. Workers
start as tasks need them (never more than there are tasks), ignore Ctrl-C and the parent's
stop signals (the parent stops them, and raises KeyboardInterrupt or Stopped to its caller),
hold no end of any pipe but their own, and exit when the parent dies, even by SIGKILL.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator

from .interrupts import STOP_SIGNALS, held

MAX_DEATHS_IN_A_ROW = 8  # with no task finished in between: the workers cannot run at all
_PR_SET_PDEATHSIG = 1


class WorkersFailed(RuntimeError):
    """Workers die before finishing any task: a broken installation, not a bad row."""


def _die_with_parent(parent: int | None) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux), and go if it already has.
    A worker started by a fork server (`parent` None) is not the batch's child: end of file on its
    pipe stops it."""
    if parent is None:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # no prctl: end of file on the pipe still stops the worker
            pass
    if os.getppid() != parent:
        os._exit(1)


def _worker_main(conn: Connection, inherited: list[Connection], parent: int | None,
                 init: Callable[..., Callable[[Any], Any]], args: tuple[Any, ...],
                 environment: dict[str, str] | None = None) -> None:
    if environment is not None:  # started by a fork server: the batch's environment, not the server's
        os.environ.clear()
        os.environ.update(environment)
    for other in inherited:  # the parent's ends of this and other workers' pipes: end of file
        other.close()        # on this worker's pipe must come as soon as the parent is gone
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # held by the parent while it forked (see OrderedPool._spawn)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, *STOP_SIGNALS})
    _die_with_parent(parent)
    try:
        handle = init(*args)
    except Exception as exc:  # reported on the first task, so that the parent sees why
        handle, failure = None, f"the worker could not start: {type(exc).__name__}: {exc}"
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
            conn.send(("failed", type(exc).__name__))  # not its message: it may quote an answer
            return
        conn.send(("ok", result))


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Connection
    task: tuple[int, int, Any, bool] | None = None  # (sequence, part, payload, single record)
    since: float = 0.0                               # when the task was sent


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
                 split: Callable[[Any], list[Any]], on_dead: Callable[[Any, str], Any], timeout: float = 300.0,
                 start_method: str | None = None):
        self.jobs = max(1, jobs)
        self.init, self.init_args = init, init_args
        self.split, self.on_dead = split, on_dead
        self.timeout = timeout
        methods = mp.get_all_start_methods()
        self._ctx = mp.get_context(start_method or ("fork" if "fork" in methods else "spawn"))
        self.workers: list[_Worker] = []
        self.deaths = 0
        self.started = 0
        self.succeeded = 0

    def _spawn(self) -> _Worker:
        sys.stdout.flush()  # a forked child flushes inherited std streams when it exits
        sys.stderr.flush()
        parent, child = self._ctx.Pipe()
        method = self._ctx.get_start_method()
        served = method == "forkserver"
        inherited = [parent, *(worker.conn for worker in self.workers)] if method == "fork" else []
        process = self._ctx.Process(target=_worker_main, daemon=True,
                                    args=(child, inherited, None if served else os.getpid(), self.init,
                                          self.init_args, dict(os.environ) if served else None))
        # A signal while forking would run the parent's handler in the child before it sets its
        # own (a traceback on the terminal): keep them pending until the fork is done.
        with held():
            process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        self.started += 1
        return worker

    def map(self, tasks: Iterable[Any]) -> Iterator[tuple[Any, list[Any]]]:
        """Yield (task, [results of its parts]) in task order."""
        source = iter(tasks)
        queue: deque[tuple[int, int, Any, bool]] = deque()
        slots: dict[int, _Slot] = {}
        originals: dict[int, Any] = {}
        next_seq = next_out = 0
        exhausted = False
        self.in_a_row = 0
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
                self._dispatch(queue)
                while next_out in slots and len(slots[next_out].done) == slots[next_out].expected:
                    done = slots.pop(next_out).done
                    yield originals.pop(next_out), [done[part] for part in sorted(done)]
                    next_out += 1
                if exhausted and not queue and next_out == next_seq:
                    return
                busy = [w for w in self.workers if w.task is not None]
                if not busy:
                    continue
                overdue = min(w.since for w in busy) + self.timeout
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                                 timeout=max(0.0, overdue - time.monotonic())))
                now = time.monotonic()
                for worker in busy:
                    if worker.conn in ready or worker.process.sentinel in ready:
                        self._collect(worker, slots, queue)
                    elif now - worker.since >= self.timeout:
                        self._failed(worker, f"the scoring process made no progress for {self.timeout:g} s and "
                                             "was stopped", slots, queue)
        finally:
            self._stop()

    def _dispatch(self, queue: deque[tuple[int, int, Any, bool]]) -> None:
        """Send queued tasks to idle workers, starting workers (up to `jobs`) as tasks need them."""
        while queue:
            idle = next((w for w in self.workers if w.task is None), None)
            if idle is None and len(self.workers) >= self.jobs:
                return
            worker = idle or self._spawn()
            item = queue.popleft()
            try:
                worker.conn.send(item[2])
            except (BrokenPipeError, ConnectionResetError, EOFError):  # died while idle
                queue.appendleft(item)
                self._retire(worker)
                continue
            worker.task, worker.since = item, time.monotonic()

    def _collect(self, worker: _Worker, slots: dict[int, _Slot], queue: deque) -> None:
        """A worker's pipe or sentinel is ready: its result, or its death."""
        try:
            status, result = worker.conn.recv() if worker.conn.poll() else ("died", None)
        except (EOFError, ConnectionResetError, OSError):
            status, result = "died", None
        if status == "ok":
            assert worker.task is not None
            seq, part = worker.task[:2]
            slots[seq].done[part] = result
            worker.task = None
            self.in_a_row = 0
            self.succeeded += 1
            return
        if status == "failed":
            reason = f"scoring failed ({result})"
        else:
            worker.process.join(5)
            reason = f"the scoring process stopped unexpectedly ({describe_exit(worker.process.exitcode)})"
        self._failed(worker, reason, slots, queue)

    def _failed(self, worker: _Worker, reason: str, slots: dict[int, _Slot], queue: deque) -> None:
        """The worker died, failed or stalled on its task: retire it, and run the task again record
        by record (or, for a single record, give it `on_dead`)."""
        assert worker.task is not None
        seq, part, payload, single = worker.task
        self._retire(worker)
        self.deaths += 1
        if not (single and self.succeeded):  # once any task has succeeded, a record that kills is a row fault
            self.in_a_row += 1
        if self.in_a_row > MAX_DEATHS_IN_A_ROW:
            raise WorkersFailed(f"the scoring processes keep failing: {reason}")
        if single:
            slots[seq].done[part] = self.on_dead(payload, reason)
        else:
            parts = self.split(payload)
            slots[seq].expected = len(parts)
            queue.extendleft(reversed([(seq, i, sub, True) for i, sub in enumerate(parts)]))

    def _retire(self, worker: _Worker) -> None:
        self.workers.remove(worker)
        self._kill(worker)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _stop(self) -> None:
        for worker in self.workers:
            if worker.task is None and worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for worker in self.workers:
            worker.process.join(2 if worker.task is None else 0)
            self._kill(worker)
        self.workers.clear()
