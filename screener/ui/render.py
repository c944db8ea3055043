"""Reports as JSON, Markdown and plain text (the terminal view with colour lives in `terminal`).

Text and Markdown may be printed on a terminal, so both pass through `printable` as a whole:
answers (respondent ids, medication names, the because texts quoting them) lose any escape
sequence or control character. JSON escapes control characters itself.
"""

from __future__ import annotations

import re
from typing import Iterable

from ..core.models import Report, Finding
from .safe_text import printable

DISCLAIMER = (
    "screener is a screening aid for clinicians, not a diagnosis. Findings are plausible "
    "contributors, conditions to exclude and gaps to fill, for a clinician to interpret."
)
HEADINGS = {
    "alert": "Alerts: defer to a clinician",
    "contributor": "Plausible contributors",
    "primary_indicator": "Pointers to primary (familial) RLS",
    "mimic": "Mimics to exclude",
    "data_gap": "Data gaps: measure or ask next",
}


def to_json(report: Report, indent: bool = True) -> str:
    return report.to_json(indent)


def criteria_line(report: Report) -> str | None:
    crit = report.criteria
    if crit is None:
        return None
    state = {True: "met on the answers given", False: "not met", None: "undetermined"}[crit.met]
    extra = []
    if crit.missing:
        unknown = set(crit.unknown)
        extra.append("missing: " + ", ".join(f"{field} (answered unknown)" if field in unknown else field
                                               for field in crit.missing))
    if crit.mimics:
        extra.append(f"mimics to exclude: {', '.join(crit.mimics)}")
    tail = f" ({'; '.join(extra)})" if extra else ""
    return f"IRLSSG screening criteria {state}{tail}. {crit.note}"


def _groups(report: Report) -> Iterable[tuple[str, list[Finding]]]:
    for kind, findings in report.by_kind().items():
        if findings:
            yield HEADINGS[kind], findings


def to_text(report: Report) -> str:
    lines = [f"Respondent {report.respondent_id or '-'}" + (f" (row {report.row})" if report.row else "")]
    if report.errors:
        lines.append("Invalid answers:")
        lines += [f"  {e['field']}: {e['message']}" for e in report.errors]
    lines += [f"Warning: {w['field']}: {w['message']}" for w in report.warnings]
    for heading, findings in _groups(report):
        lines += ["", heading]
        for f in findings:
            lines.append(f"  [{f.rule_id}] {f.title} ({f.code}; evidence: {f.evidence})")
            lines.append(f"      because: {f.because}")
            lines.append(f"      advice:  {f.advice}")
            if f.local_policy:
                lines.append(f"      local policy: {f.local_policy}")
            lines += [f"      source:  {s['citation']}" for s in f.sources]
    if report.status == "ok" and not report.findings:
        lines += ["", "No finding: no rule matched these answers."]
    if (crit := criteria_line(report)) is not None:
        lines += ["", crit]
    lines += ["", DISCLAIMER, f"Rulebook {report.rulebook.get('version', '?')} ({report.rulebook.get('sha256', '')[:12]})"]
    return printable("\n".join(lines) + "\n")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    """Text that holds answers (ids, medication names), escaped so Markdown shows it as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text))  # sequences out first: "\x1b]" would become "\x1b\\]"


def to_markdown(report: Report) -> str:
    out = [f"# Screening report: {_md(report.respondent_id or 'respondent')}", "", f"> {DISCLAIMER}", ""]
    if report.errors:
        out += ["## Invalid answers", ""] + [f"- `{e['field']}`: {_md(e['message'])}" for e in report.errors] + [""]
    if report.warnings:
        out += ["## Warnings", ""] + [f"- `{w['field']}`: {_md(w['message'])}" for w in report.warnings] + [""]
    for heading, findings in _groups(report):
        out += [f"## {heading}", ""]
        for f in findings:
            out += [f"### {f.title} (`{f.code}`, {f.rule_id})", "",
                    f"- **Because:** {_md(f.because)}",
                    f"- **Why it matters:** {f.why}",
                    f"- **Advice:** {f.advice}",
                    f"- **Evidence:** {f.evidence}"]
            if f.local_policy:
                out.append(f"- **Local policy:** {f.local_policy}")
            out.append("- **Sources:**")
            out += [f"  - {s['citation']}" for s in f.sources]
            out.append("")
    if report.status == "ok" and not report.findings:
        out += ["No finding: no rule matched these answers.", ""]
    if (crit := criteria_line(report)) is not None:
        out += ["## Criteria", "", crit, ""]
    out.append(f"_Rulebook {report.rulebook.get('version', '?')}, sha256 {report.rulebook.get('sha256', '')[:12]}_")
    return printable("\n".join(out) + "\n")


FORMATS = {"json": to_json, "markdown": to_markdown, "text": to_text}
