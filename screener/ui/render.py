"""A report in each format: JSON (the report itself), text (`terminal`), Markdown (here) and HTML
(`html_report`). Text, Markdown and HTML lay out one `layout.build_layout`, so they say the same
things in the same order: summary, details, criteria, answers, references, disclaimer.

Text and Markdown may be printed on a terminal, so both pass through `printable` as a whole:
answers (respondent ids, medication names, the because texts quoting them) lose any escape
sequence or control character. Markdown escapes every text, so an answer shows as written and
never as markup. JSON escapes control characters itself; HTML is escaped by its template engine.
"""

from __future__ import annotations

import re

from ..core.models import KIND_ORDER, Report
from .layout import build_layout, texts
from .safe_text import printable

DISCLAIMER = " ".join(texts()["disclaimer"].split())
HEADINGS = {kind: texts()["kinds"][kind]["heading"] for kind in KIND_ORDER}
EXTENSIONS = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
              ".txt": "text"}  # a report file's format follows its extension


def to_json(report: Report, indent: bool = True) -> str:
    return report.to_json(indent)


def to_text(report: Report) -> str:
    from .terminal import to_text as text  # rich, loaded only for text

    return text(report)


def to_html(report: Report) -> str:
    from .html_report import to_html as html  # jinja2, loaded only for HTML

    return html(report)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    """Text escaped so that Markdown shows it as written (an answer is never markup)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text))  # sequences out first: "\x1b]" would become "\x1b\\]"


def _cell(text: str) -> str:
    return _md(" ".join(text.split()))


def _table(head: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    return [f"| {head[0]} | {head[1]} |", "|---|---|", *[f"| {_cell(a)} | {_cell(b)} |" for a, b in rows], ""]


def to_markdown(report: Report) -> str:
    layout = build_layout(report)
    out = [f"# {_md(layout.title)}", "", _md(layout.stamp), ""]
    out += [f"- **{name}:** {_md(text)}" for _, name, text in layout.problems] + ([""] if layout.problems else [])
    out += [f"## {layout.sections['summary']}", ""]
    for group in layout.groups:
        out += [f"**{_md(group.heading)}**", ""]
        out += [f"- **{_md(entry.title)}** — {_md(entry.answers)}" for entry in group.entries] + [""]
    if layout.empty:
        out += [_md(layout.empty), ""]
    if layout.criteria:
        out += [_md(layout.criteria), ""]
    if layout.groups:
        out += [f"## {layout.sections['details']}", ""]
    for group in layout.groups:
        out += [f"### {_md(group.heading)}", ""]
        for entry in group.entries:
            out += [f"#### {_md(entry.title)}", ""]
            out += [f"- **{name}:** {_md(value)}" for _, name, value in entry.parts] + [""]
    if layout.criteria_items:
        out += [f"## {_md(layout.criteria_heading)}", "", *_table(layout.criteria_columns, layout.criteria_items)]
        out += [_md(layout.criteria_note or ""), ""]
    if layout.answers:
        out += [f"## {layout.sections['answers']}", "", *_table(("Question", "Answer"), layout.answers)]
    if layout.references:
        out += [f"## {layout.sections['references']}", ""]
        out += [f"{ref.number}. {_md(ref.citation)} ({_md(ref.described)})" for ref in layout.references] + [""]
    out += [f"> {_md(layout.disclaimer)}", ""]
    return printable("\n".join(out))


FORMATS = {"json": to_json, "markdown": to_markdown, "text": to_text, "html": to_html}
