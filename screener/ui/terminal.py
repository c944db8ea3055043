"""The report on screen (rich): findings grouped by kind, each with its because, why it
matters, advice, evidence grade and sources, then the criteria line and the disclaimer.

Colour follows the terminal and the NO_COLOR convention (rich honours both); the words and
their order are the same as in the text and Markdown reports (`render`). Every text goes
through `_text`, so nothing from the answers reaches the terminal with an escape sequence.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..core.models import KIND_ORDER, Finding, Report
from .render import DISCLAIMER, HEADINGS, criteria_line
from .safe_text import printable

STYLES = {"alert": "bold red", "contributor": "bold yellow", "primary_indicator": "bold magenta",
          "mimic": "bold cyan", "data_gap": "bold blue"}


def _text(text: str, style: str = "") -> Text:
    """Rich text without terminal control sequences (rich passes ESC through)."""
    return Text(printable(text), style=style)


def _finding(finding: Finding) -> Padding:
    """One finding: its title, then labelled parts whose wrapped lines stay under their text."""
    title = _text(finding.title, "bold")
    title.append_text(_text(f"  ({finding.code}, {finding.rule_id})", "dim"))
    parts = Table.grid(padding=(0, 1))
    parts.add_column(style="bold", no_wrap=True)
    parts.add_column()
    rows = [("Because:", finding.because), ("Why it matters:", finding.why), ("Advice:", finding.advice),
            ("Evidence:", finding.evidence)]
    if finding.local_policy:
        rows.append(("Local policy:", finding.local_policy))
    for label, value in rows:
        parts.add_row(label, _text(value))
    for number, source in enumerate(finding.sources):
        parts.add_row("Sources:" if number == 0 else "", _text(f"- {source['citation']}"))
    return Padding(Group(title, parts), (0, 0, 1, 2), expand=False)


def render_report(report: Report, console: Console) -> None:
    """Print one report: groups in KIND_ORDER (alerts first), then criteria and disclaimer."""
    console.print(Rule(_text(f"Screening report: {report.respondent_id or 'respondent'}", "bold")))
    for error in report.errors:
        console.print(_text(f"Invalid answer: {error['field']}: {error['message']}", "bold red"))
    for warning in report.warnings:
        console.print(_text(f"Warning: {warning['field']}: {warning['message']}", "yellow"))
    groups = report.by_kind()
    for kind in KIND_ORDER:
        if not groups[kind]:
            continue
        console.print()
        console.print(_text(f"{HEADINGS[kind]} ({len(groups[kind])})", STYLES[kind]))
        for finding in groups[kind]:
            console.print(_finding(finding))
    if report.status == "ok" and not report.findings:
        console.print(_text("No finding: no rule matched these answers."))
    criteria = criteria_line(report)
    if criteria:
        console.print()
        console.print(_text(criteria))
    console.print()
    console.print(_text(DISCLAIMER, "italic"))
    stamp = report.rulebook
    console.print(_text(f"Rulebook {stamp.get('version', '?')} ({stamp.get('sha256', '')[:12]})", "dim"))
