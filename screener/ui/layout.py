"""The one-person report as a layout: what every format shows, and in which order.

`build_layout(report)` makes, once for all formats (screen and text in `terminal`, Markdown in
`render`, HTML in `html_report`):

- the summary: one entry per finding (its title and its decisive answers, the `because` text,
  shortened), grouped by kind with alerts first, within a kind by strength of evidence and then
  clinical priority of the topic (`ordered`); then the criteria in plain words;
- the details: because, why it matters, advice, evidence, references, rule id;
- the answers the report was built from, by label;
- the references: each source once, numbered in order of first citation, with its kind and
  verification status (never the registry's note).

Words and order are data (templates/report.yaml). Field ids become their labels. Every text
from the answers passes through `printable` here, so no format can carry a control character.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, Iterable

import yaml

from ..core.intake import FIELDS
from ..core.models import KIND_ORDER, Criterion, Finding, Report
from ..core.paths import templates_dir
from ..core.questionnaire import titled
from .safe_text import printable



@cache
def texts() -> dict[str, Any]:
    """The words and order of the report (templates/report.yaml)."""
    with open(templates_dir() / "report.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass(frozen=True)
class Reference:
    number: int
    citation: str
    url: str | None
    status: str   # its verification, in words
    kind: str     # what it is, in words

    @property
    def described(self) -> str:
        """Kind and verification, as every format shows them after the citation."""
        return f"{self.kind}; {self.status}"


@dataclass(frozen=True)
class Entry:
    """One finding: its summary (title and decisive answers) and its details."""

    kind: str
    title: str
    answers: str
    parts: list[tuple[str, str, str]]  # (key, label, text), in the order of templates/report.yaml
    refs: tuple[int, ...]
    rule_id: str


@dataclass(frozen=True)
class Group:
    kind: str
    heading: str
    entries: list[Entry]


@dataclass(frozen=True)
class Layout:
    respondent: str
    title: str
    created: str | None        # as a person reads it: 2025-06-01 14:03 (UTC+02:00)
    created_iso: str | None
    versions: str              # screener 0.1.0 · rulebook 0.1.0 (94ba28752955)
    problems: list[tuple[str, str, str]]   # ("invalid" | "warning", its label, text)
    groups: list[Group]
    empty: str | None          # the words for "no finding", when there is none
    criteria: str | None       # the summary line
    criteria_items: list[tuple[str, str]]
    criteria_note: str | None
    answers: list[tuple[str, str]]
    references: list[Reference]
    disclaimer: str
    sections: dict[str, str]   # summary, details, answers, references: their headings

    @property
    def stamp(self) -> str:
        return " · ".join(([f"Made {self.created}"] if self.created else []) + [self.versions])

    @property
    def criteria_heading(self) -> str:
        return texts()["criteria"]["heading"]

    @property
    def criteria_columns(self) -> tuple[str, str]:
        first, second = texts()["criteria"]["columns"]
        return first, second


def label(field: str) -> str:
    """A field's label as a person reads it (worse_at_rest -> worse at rest)."""
    spec = FIELDS.get(field)
    return spec.title if spec else field.replace("_", " ")


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def plain(text: str) -> str:
    """A message with its field ids replaced by their labels, without control characters."""
    return titled(printable(text))


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Kind (alerts first), then evidence (strong first), then topic (iron before lifestyle), then id."""
    order = texts()["order"]
    kinds = {kind: i for i, kind in enumerate(KIND_ORDER)}
    evidence = {grade: i for i, grade in enumerate(order["evidence"])}
    topics = {topic: i for i, topic in enumerate(order["topics"])}

    def key(finding: Finding) -> tuple[int, int, int, str]:
        topic = finding.rule_id.rsplit("-", 1)[0]
        return (kinds[finding.kind], evidence.get(finding.evidence, len(evidence)), topics.get(topic, len(topics)),
                finding.rule_id)

    return sorted(findings, key=key)


def shorten(text: str, budget: int) -> str:
    """`text` ("a; b; c") cut to the whole parts that fit in `budget` characters, counting the rest."""
    parts = text.split("; ")
    kept: list[str] = []
    for part in parts:
        if len("; ".join([*kept, part])) > budget:
            break
        kept.append(part)
    left = len(parts) - len(kept)
    if not kept:  # the first part alone is too long: cut it at a word
        kept, left = [parts[0][:max(budget - 1, 1)].rsplit(" ", 1)[0] + "…"], len(parts) - 1
    return "; ".join(kept) + (f"; +{left} more" if left else "")


def show_answer(field: str, value: Any) -> str:
    """An answer as a person says it: yes, 52 years, Female, none, unknown."""
    spec = FIELDS.get(field)
    if spec is None:
        return printable(str(value))
    if value == "unknown" and spec.kind != "text":
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if spec.kind == "choice":
        return spec.label_of(value)
    if isinstance(value, list):
        return printable(", ".join(value)) if value else "none"
    if isinstance(value, float):
        value = round(value, 2)
        value = int(value) if value.is_integer() else value
    return printable(f"{value} {spec.unit}" if spec.unit else str(value))


def when(iso: str) -> str:
    """An ISO 8601 time as a person reads it: 2025-06-01 14:03 (UTC+02:00)."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return printable(iso)
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} ({zone})"


def build_layout(report: Report) -> Layout:
    """The layout of one report (see the module docstring)."""
    words = texts()
    findings = ordered(report.findings)
    references: dict[str, Reference] = {}
    for finding in findings:
        for source in finding.sources:
            if source["id"] not in references:
                references[source["id"]] = Reference(len(references) + 1, source["citation"], source.get("url"),
                                                     *source_words(source))
    groups = []
    for kind in KIND_ORDER:
        entries = [_entry(finding, references) for finding in findings if finding.kind == kind]
        if entries:
            groups.append(Group(kind, words["kinds"][kind]["heading"], entries))
    respondent = printable(report.respondent_id or "respondent") + (f" (row {report.row})" if report.row else "")
    stamp = report.rulebook
    summary, items, note = _criteria(report)
    return Layout(
        respondent=respondent,
        title=words["title"].format(respondent=respondent),
        created=when(report.created) if report.created else None,
        created_iso=report.created,
        versions=(f"{report.tool.get('name', 'screener')} {report.tool.get('version', '?')} · rulebook "
                  f"{stamp.get('version', '?')} ({stamp.get('sha256', '')[:12]})"),
        problems=[(name, words["problems"][name], f"{label(p['field'])}: {plain(p['message'])}")
                  for name, problems in (("invalid", report.errors), ("warning", report.warnings)) for p in problems],
        groups=groups,
        empty=words["no_finding"] if report.status == "ok" and not report.findings else None,
        criteria=summary,
        criteria_items=items,
        criteria_note=note,
        answers=[(capital(label(field)), show_answer(field, value)) for field, value in (report.answers or {}).items()],
        references=list(references.values()),
        disclaimer=" ".join(words["disclaimer"].split()),
        sections=words["sections"],
    )


def _entry(finding: Finding, references: dict[str, Reference]) -> Entry:
    words = texts()
    names = words["parts"]
    refs = tuple(sorted(references[source["id"]].number for source in finding.sources))
    because = printable(finding.because)
    values = {"because": because, "why": finding.why, "advice": finding.advice, "evidence": finding.evidence,
              "local_policy": finding.local_policy, "references": cite(refs), "rule": finding.rule_id}
    parts = [(key, name, values[key]) for key, name in names.items() if values.get(key)]
    budget = max(words["summary_chars"] - len(finding.title) - 3, 30)
    return Entry(finding.kind, finding.title, shorten(because, budget), parts, refs, finding.rule_id)


def source_words(source: dict[str, Any]) -> tuple[str, str]:
    """A source's verification status and kind in words (templates/report.yaml)."""
    words = texts()
    return words["verification"][source["verified"]], words["source_kinds"][source["kind"]]


def cite(numbers: Iterable[int]) -> str:
    return "[" + ", ".join(str(n) for n in numbers) + "]"


def _criteria(report: Report) -> tuple[str | None, list[tuple[str, str]], str | None]:
    """The criteria in plain words: a summary line, one line per criterion, the note.

    Criteria 1-4 are met, not met or unknown with the decisive answer; criterion 5 names the
    possible mimics for a clinician to exclude and never reads "not met".
    """
    crit = report.criteria
    if crit is None:
        return None, [], None
    words = texts()["criteria"]
    states = words["states"]

    def given(item: Criterion) -> str:
        if isinstance(item.answer, bool):
            return show_answer(item.field, item.answer)
        return words["answered_unknown"] if item.answer == "unknown" else words["not_answered"]

    groups: dict[str, list[Criterion]] = {}
    for item in crit.criteria_1_4:
        groups.setdefault(item.status, []).append(item)
    parts = []
    for status in states:  # met, not met, unknown, not applicable
        items = groups.get(status, [])
        if not items:
            continue
        numbers = [item.number for item in items]
        which = words["one" if len(numbers) == 1 else "many"].format(numbers=_numbers(numbers, words["and"]))
        part = f"{which} {states[status]}"
        if status == "unknown" and len(items) > 2 and len({given(item) for item in items}) == 1:
            part += f" ({given(items[0])})"  # criteria 1-4 unknown (not answered)
        elif status in ("not_met", "unknown"):
            part += " (" + ", ".join(f"{label(item.field)}: {given(item)}" for item in items) + ")"
        elif status == "not_applicable":
            part += f" ({words['no_urge']})"
        parts.append(part)

    mimic_titles = {f.code: f.title for f in report.findings if f.kind == "mimic"}
    mimics = [_lower(mimic_titles.get(code, code.replace("_", " "))) for code in crit.mimics]
    unanswered = crit.mimic_questions_unanswered
    if mimics:
        parts.append(_count(words["mimics"], len(mimics)).format(mimics=", ".join(mimics)))
    if unanswered:
        parts.append(_count(words["mimic_questions"], len(unanswered)))
    if not mimics and not unanswered and crit.met is not False:
        parts.append(words["no_mimic"])
    summary = words["line"].format(parts="; ".join(parts))

    rows = []
    for item in crit.criteria_1_4:
        why = given(item)
        if item.status == "not_applicable":  # an answer given anyway is shown, not counted
            also = "" if item.answer is None else why if item.answer == "unknown" else f"{words['answered']} {why}"
            why = "; ".join(filter(None, [words["no_urge"], also]))
        rows.append((f"{item.number}. {capital(label(item.field))}", f"{states[item.status]} ({why})"))
    fifth = []
    if mimics:
        fifth.append(words["mimics_row"].format(mimics=", ".join(mimics)))
    if unanswered:
        fifth.append(words["mimic_questions_row"].format(fields=", ".join(label(field) for field in unanswered)))
    rows.append((f"5. {capital(words['fifth'])}", "; ".join(fifth) or words["no_mimic_row"]))
    return summary, rows, crit.note


def _numbers(numbers: list[int], and_word: str) -> str:
    """[2, 3, 4] -> 2-4; [1, 2, 4] -> 1, 2 and 4; [3] -> 3."""
    if len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    text = [str(n) for n in numbers]
    return text[0] if len(text) == 1 else f"{', '.join(text[:-1])} {and_word} {text[-1]}"


def _count(template: dict[str, str], count: int) -> str:
    """A template's `one` or `many` form, with the count filled in."""
    return template["one" if count == 1 else "many"].replace("{count}", str(count))


def _lower(title: str) -> str:
    """A title inside a sentence: Nocturnal leg cramps -> nocturnal leg cramps (PLMD stays)."""
    return title if title[1:2].isupper() else title[:1].lower() + title[1:]
