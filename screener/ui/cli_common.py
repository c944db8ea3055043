"""Helpers shared by the commands (`cli`) and `ask`: failing with one line per problem, reading
an answers file, loading the rulebook. Below both, so neither imports the other for them.

Light on purpose: `screener --help` imports this module, so heavy modules (orjson, the
rulebook) are imported inside the functions. Messages name the file, the field and the reason,
never an answer: stderr may end up in a log.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .safe_text import printable  # light (re only); imported here, not while failing on a Ctrl-C

if TYPE_CHECKING:
    from ..core.rulebook import Rulebook

BOM = b"\xef\xbb\xbf"


def fail(lines: list[str] | str, code: int = 1) -> NoReturn:
    """Print one line per problem on stderr (without control characters) and exit."""
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(printable(line), err=True)
    sys.exit(code)


def read_json(path: str | Path, what: str) -> Any:
    """JSON from a file or stdin ('-'), a UTF-8 byte-order mark allowed; exits 1 when unreadable.

    `what` says what the file should hold, for the message about an empty file.
    """
    import orjson

    name = "stdin" if str(path) == "-" else str(path)
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except OSError as exc:
        fail(f"{name}: cannot read: {exc.strerror or type(exc).__name__}")
    data = data.removeprefix(BOM)  # as written by Windows tools (batch accepts it too)
    if not data.strip():
        fail(f"{name}: the file is empty; expected {what}")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:  # the reason and the place, never the text
        fail(f"{name}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")


def read_answers(path: str) -> Any:
    """Answers JSON from a file or stdin ('-'); exits 1 with a clear message when unreadable."""
    return read_json(path, "a JSON object of field: answer pairs")


def load_rulebook_or_exit() -> Rulebook:
    """The shipped rulebook; exits 1 listing its problems when it does not load."""
    from ..core.rulebook import RulebookError, default_rulebook

    try:
        return default_rulebook()
    except RulebookError as exc:
        fail(["The rulebook has problems:", *[f"  {p}" for p in exc.problems]])
