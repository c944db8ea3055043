"""Signals that end a command: Ctrl-C (SIGINT), SIGTERM and SIGHUP.

- `held()`: signals wait while heavy modules load. An import interrupted inside a C extension
  (orjson, pydantic-core) was seen to surface as an unrelated error or to crash the process
  later; held, the signal arrives as soon as the block ends, at a point the command handles.
- `stop_on_signals()`: SIGTERM and SIGHUP raise `Stopped` (a KeyboardInterrupt), so a run
  stopped by a service manager or a closed terminal cleans up exactly as after Ctrl-C.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
ALL = {signal.SIGINT, *STOP_SIGNALS}
CAN_MASK = hasattr(signal, "pthread_sigmask")


class Stopped(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM, SIGHUP): handled like Ctrl-C, exit 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


@contextmanager
def held() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP stay pending; they are delivered at its end."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ALL) if CAN_MASK else None
    try:
        yield
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise Stopped in the main thread."""
    def stop(signum: int, frame: object) -> None:
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
