"""The report on screen (rich) and as plain text: one rendering of the layout (`layout`).

The summary comes first and fits one screen for a typical person: one entry per finding (title
and decisive answers), alerts first, then the criteria. The details, the answers, the numbered
references and the disclaimer follow. `to_text` is the same rendering without colour, wrapped
at 80 columns; `show_report` (used by `score --format text` and by `ask`) prints it, or on a
terminal shows the coloured view, through the pager when it is longer than the screen.

Colour follows the terminal and the NO_COLOR convention (rich honours both). Every text goes
through `_text`, so nothing from the answers reaches the terminal with an escape sequence.
"""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..core.models import Report
from .layout import Layout, build_layout, cite
from .safe_text import printable

STYLES = {"alert": "bold red", "contributor": "bold yellow", "primary_indicator": "bold magenta",
          "mimic": "bold cyan", "data_gap": "bold blue"}
BULLETS = {"alert": "!", "contributor": "•", "primary_indicator": "•", "mimic": "•", "data_gap": "•"}
TEXT_WIDTH = 80


def _text(text: str, style: str = "") -> Text:
    """Rich text without terminal control sequences (rich passes ESC through)."""
    return Text(printable(text), style=style)


def _grid(rows: list[tuple[str, str]], indent: int = 2, label_style: str = "bold") -> Padding:
    """Label and value columns; a value that wraps stays under its own text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style=label_style, no_wrap=True)
    grid.add_column()
    for name, value in rows:
        grid.add_row(_text(name), _text(value))
    return Padding(grid, (0, 0, 0, indent))


def summary(layout: Layout) -> list[RenderableType]:
    """The header and the summary: what the first screen shows."""
    out: list[RenderableType] = [Rule(_text(layout.title, "bold"), style="dim"), _text(layout.stamp, "dim"), Text()]
    for kind, name, text in layout.problems:
        out.append(_text(f"{name}: {text}", "bold red" if kind == "invalid" else "yellow"))
    for group in layout.groups:
        out.append(_text(group.heading, STYLES[group.kind]))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for entry in group.entries:
            line = _text(entry.title, "bold")
            line.append_text(_text(f" — {entry.answers}"))
            grid.add_row(_text(f"  {BULLETS[group.kind]}", STYLES[group.kind]), line)
        out.append(grid)
    if layout.empty:
        out.append(_text(layout.empty))
    if layout.criteria:
        out.append(_text(layout.criteria, "italic"))
    return out


def details(layout: Layout) -> list[RenderableType]:
    """Everything after the summary: details, criteria, answers, references, disclaimer."""
    out: list[RenderableType] = [Text(), Rule(_text(layout.sections["details"], "bold"), style="dim")]
    for group in layout.groups:
        out.append(_text(f"{group.heading} ({len(group.entries)})", STYLES[group.kind]))
        for entry in group.entries:
            out += [Padding(_text(entry.title, "bold"), (0, 0, 0, 2)),
                    _grid([(f"{name}:", value) for _, name, value in entry.parts], indent=4), Text()]
    if layout.criteria_items:
        out += [_text(layout.criteria_heading, "bold"), _grid(layout.criteria_items, label_style=""),
                Padding(_text(layout.criteria_note or "", "dim"), (0, 0, 0, 2)), Text()]
    if layout.answers:
        out += [_text(layout.sections["answers"], "bold"), _grid(layout.answers, label_style=""), Text()]
    if layout.references:
        rows = [(cite([ref.number]), f"{ref.citation} ({ref.described})") for ref in layout.references]
        out += [_text(layout.sections["references"], "bold"), _grid(rows, label_style="dim"), Text()]
    out += [_text(layout.disclaimer, "italic"), _text(layout.versions, "dim")]
    return out


def render_report(report: Report, console: Console) -> None:
    """Print one report: the summary first, then the details."""
    layout = build_layout(report)
    for renderable in [*summary(layout), *details(layout)]:
        console.print(renderable)


def plain_console(width: int = TEXT_WIDTH) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                   force_jupyter=False, highlight=False, markup=False, emoji=False, soft_wrap=False)


def to_text(report: Report, width: int = TEXT_WIDTH) -> str:
    """The report as plain text wrapped at `width` columns (no trailing spaces, no control characters)."""
    console = plain_console(width)
    render_report(report, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return printable("\n".join(line.rstrip() for line in text.splitlines()) + "\n")


def summary_text(report: Report, width: int = TEXT_WIDTH) -> str:
    """Only the header and the summary, as plain text (what the first screen shows)."""
    console = plain_console(width)
    for renderable in summary(build_layout(report)):
        console.print(renderable)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()) + "\n"  # type: ignore[attr-defined]


def show_report(report: Report, console: Console, pager: bool = True) -> None:
    """The report for a person: plain text when the output is not a terminal; on a terminal the
    coloured view, through the pager (`PAGER`) when it is longer than the screen and `pager`."""
    if not console.is_terminal:
        console.file.write(to_text(report))
        console.file.flush()
        return
    with console.capture() as captured:
        render_report(report, console)
    text = captured.get()
    from .pager import page

    if not (pager and text.count("\n") > console.height and page(text)):
        console.file.write(text)
        console.file.flush()
