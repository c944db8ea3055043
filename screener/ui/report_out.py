"""A one-person report leaving `score` or `ask`: stamped with the time it is made, in the format
asked for (or that of the file's extension), printed, paged on a terminal, or written atomically.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Iterable

import click

from ..core.models import Report
from .render import EXTENSIONS, FORMATS


def created_now() -> str:
    """Now, ISO 8601 with the UTC offset; `SOURCE_DATE_EPOCH` (reproducible builds) when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).isoformat()
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def stamped(report: Report) -> Report:
    """The report with `created` set: it is about to be printed or saved for a person."""
    return report.model_copy(update={"created": created_now()})


def format_for(path: str | os.PathLike[str] | None) -> str | None:
    """The format a report file's extension asks for (report.html -> html), None when unknown."""
    return EXTENSIONS.get(Path(path).suffix.lower()) if path else None


def report_text(report: Report, fmt: str) -> str:
    text = FORMATS[fmt](report)
    return text + "\n" if fmt == "json" else text


def report_bytes(report: Report, fmt: str) -> bytes:
    return report_text(report, fmt).encode()


def write_report(report: Report, fmt: str, path: str, protected: Iterable[str] = ()) -> None:
    """Write the report to `path` through a temporary file renamed into place; OutputError when
    it cannot be written (or `path` is one of the `protected` files)."""
    from ..io.batch_output import write_atomically

    write_atomically(report_text(report, fmt), path, protected)


def print_report(report: Report, fmt: str, pager: bool) -> None:
    """The report on stdout; text on a terminal is the coloured view, paged when long."""
    if fmt == "text":
        from rich.console import Console

        from .terminal import show_report

        show_report(report, Console(highlight=False), pager)
        return
    click.echo(report_text(report, fmt), nl=False)
