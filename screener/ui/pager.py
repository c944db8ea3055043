"""Long output on a terminal through the person's pager.

`PAGER` is a shell command, as for git and man (`less`, `more`, `most -s`); unset, it is `less`,
else `more`. `LESS` defaults to `FRX` (colours, quit at once when the text fits the screen,
leave it on screen afterwards). An empty `PAGER` or `cat`, or a pager that cannot run, leaves
the text to the caller to print.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

NOT_FOUND = 127  # the shell's exit status when the command does not exist


def pager_command() -> str | None:
    """The pager to run, or None for none."""
    command = os.environ.get("PAGER")
    if command is None:
        command = next((name for name in ("less", "more") if shutil.which(name)), "")
    return None if command.strip() in ("", "cat") else command


def page(text: str) -> bool:
    """Show `text` through the pager; False when no pager ran (the caller prints `text` itself)."""
    command = pager_command()
    if command is None:
        return False
    env = {**os.environ}
    env.setdefault("LESS", "FRX")
    try:
        process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)  # noqa: S602 (a shell command by convention)
    except OSError:
        return False
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode(sys.stdout.encoding or "utf-8", errors="replace"))
        process.stdin.close()
    except BrokenPipeError:  # the person left the pager before the end: fine
        pass
    except OSError:
        pass
    while True:
        try:
            status = process.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager while it runs
            continue
    return status != NOT_FOUND
