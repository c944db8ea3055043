"""The one-person report: summary first and on one 80x24 screen, findings in order of kind,
evidence and topic, each source once in a numbered list, labels instead of ids, and every saved
report stamped with when and from what it was made. One layout for text, Markdown and HTML."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from helpers import invoke
from rich.console import Console

from screener.core.intake import FIELDS
from screener.core.parse import parse_intake
from screener.core.models import Finding
from screener.ui.layout import build_layout, ordered, shorten, texts
from screener.ui.terminal import render_report, to_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
SCREEN = (24, 80)  # rows, columns
SHORT_CODES = re.compile(r"\b[a-z]+_[a-z_]+\b")  # finding codes and field ids all hold an underscore


def report_of(durable, answers: dict):
    return durable.screen_parsed(parse_intake(answers)).model_copy(update={"created": "2025-06-01T14:03:00+02:00"})


def example(durable, path: Path):
    return report_of(durable, json.loads(path.read_text()))


def summary_part(text: str) -> list[str]:
    """The lines of a text report before its details."""
    lines = text.splitlines()
    return lines[:next(i for i, line in enumerate(lines) if "Details" in line and line.startswith("─"))]


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_summary_fits_one_screen_and_holds_every_alert_and_contributor(durable, path):
    report = example(durable, path)
    summary = summary_part(to_text(report, width=SCREEN[1]))
    assert len(summary) <= SCREEN[0] and all(len(line) <= SCREEN[1] for line in summary)
    shown = words("\n".join(summary))
    for finding in report.findings:  # every finding has its entry: title whole, then its answers
        assert f"{finding.title} — " in shown, finding.title
    assert shown.index("IRLSSG screen:") > max(shown.index(f.title) for f in report.findings)
    if any(f.kind == "alert" for f in report.findings):
        assert shown.index("Alerts") < shown.index("Plausible contributors")


def test_the_first_screen_of_the_terminal_view_shows_the_alert(durable):
    report = example(durable, ROOT / "examples" / "pregnant-third-trimester.json")
    out = io.StringIO()
    render_report(report, Console(file=out, force_terminal=True, color_system="standard", width=SCREEN[1]))
    first = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue()).splitlines()[:SCREEN[0]]
    assert "! Pregnant: treatment choices need obstetric input — pregnant: yes" in "\n".join(first)
    assert "\x1b[1;31m" in out.getvalue()  # alerts in bold red


def as_read(fmt: str, text: str) -> str:
    """What a reader sees: Markdown without its escapes, HTML as its text."""
    if fmt == "markdown":
        return re.sub(r"\\(.)", r"\1", text)
    if fmt == "html":
        import html5lib

        return "".join(html5lib.parse(text, namespaceHTMLElements=False).find("body").itertext())
    return text


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_each_reference_once_numbered_and_cited(durable, fmt):
    from screener.ui.render import FORMATS

    report = example(durable, ROOT / "examples" / "low-ferritin-on-sertraline.json")
    shown = words(as_read(fmt, FORMATS[fmt](report)))
    sources = {s["id"]: s["citation"] for f in report.findings for s in f.sources}
    assert len(sources) < sum(len(f.sources) for f in report.findings)  # some are cited more than once
    for citation in sources.values():
        assert shown.count(words(citation)) == 1, citation
    layout = build_layout(report)
    assert [ref.number for ref in layout.references] == list(range(1, len(sources) + 1))
    assert {n for group in layout.groups for entry in group.entries for n in entry.refs} == set(range(1, len(sources) + 1))
    assert all(ref.status in texts()["verification"].values() for ref in layout.references)


def test_references_show_the_verification_status(durable):
    layout = build_layout(example(durable, ROOT / "examples" / "pregnant-third-trimester.json"))
    statuses = {ref.status for ref in layout.references}
    assert {"abstract only or partly checked", "unverified"} <= statuses


def finding(rule_id: str, kind: str, evidence: str) -> Finding:
    return Finding(rule_id, "code", kind, rule_id, "b", "why", "advice", evidence, None, [])  # type: ignore[arg-type]


def test_order_kind_then_evidence_then_topic():
    findings = [finding("LIFE-001", "contributor", "strong"), finding("DRUG-001", "contributor", "weak"),
                finding("IRON-001", "contributor", "strong"), finding("GAP-001", "data_gap", "strong"),
                finding("ALERT-001", "alert", "moderate"), finding("LIFE-002", "contributor", "weak"),
                finding("DRUG-002", "contributor", "contested"), finding("MIMIC-001", "mimic", "weak"),
                finding("NEW-001", "contributor", "weak"), finding("PREG-001", "contributor", "moderate")]
    assert [f.rule_id for f in ordered(findings)] == [
        "ALERT-001", "IRON-001", "LIFE-001", "PREG-001", "DRUG-001", "LIFE-002", "NEW-001", "DRUG-002",
        "MIMIC-001", "GAP-001"]


def test_every_topic_of_the_rulebook_has_a_priority(rulebook):
    topics = texts()["order"]["topics"]
    assert {rule.id.rsplit("-", 1)[0] for rule in rulebook.rules} <= set(topics)
    assert topics.index("IRON") < topics.index("DRUG") < topics.index("LIFE")
    assert texts()["order"]["evidence"] == ["strong", "moderate", "weak", "contested"]


@pytest.mark.parametrize("text, budget, expected", [
    ("a: yes; b: no", 40, "a: yes; b: no"),
    ("a: yes; b: no; c: not answered", 14, "a: yes; b: no; +1 more"),
    ("a very long first part; b", 10, "a very…; +1 more"),
])
def test_shorten_keeps_whole_parts_and_counts_the_rest(text, budget, expected):
    assert shorten(text, budget) == expected


MIMICS = {"age_years": 60, "sex": "male", "urge_to_move": "yes", "worse_at_rest": "unsure", "leg_swelling": "yes",
          "eased_by_leg_elevation": "yes", "numb_or_burning_feet": "yes", "kidney_disease": "ckd",
          "weight_kg": 95, "height_cm": 170, "medications": ["amitriptyline"]}


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_labels_never_raw_ids(durable, fmt):
    from screener.ui.render import FORMATS

    report = report_of(durable, MIMICS)
    shown = as_read(fmt, FORMATS[fmt](report))
    codes = {f.code for f in report.findings} | set(FIELDS) | {"no_mimic_reported", "not_met", "not_applicable"}
    leaked = {word for word in SHORT_CODES.findall(shown) if word in codes}
    assert not leaked
    assert "leg swelling" in shown and "worse at rest: answered unsure" in words(shown)
    assert "Chronic kidney disease, not on dialysis" in shown  # a choice by its label


def test_an_invalid_report_lists_the_problems_by_label(durable):
    report = durable.screen_parsed(parse_intake({"ferritin_ng_ml": "abc", "age_years": 300}))
    text = to_text(report)
    assert "Invalid answer: ferritin:" in text and "Invalid answer: age:" in text and "References" not in text


@pytest.mark.parametrize("suffix, marker", [(".json", '"created"'), (".md", "## Answers"), (".html", "<h2 id=\"answers\">"),
                                            (".txt", "Answers")])
def test_a_saved_report_records_when_and_from_what(tmp_path, suffix, marker):
    out = tmp_path / f"report{suffix}"
    result = invoke(["score", str(EXAMPLES[0]), "-o", str(out)], env={"SOURCE_DATE_EPOCH": "1748779380"})
    assert result.stdout == "" and oct(os.stat(out).st_mode & 0o777) == "0o600"
    text = out.read_text()
    assert marker in text and "not a diagnosis" in text
    if suffix == ".json":
        saved = json.loads(text)
        assert saved["created"] == "2025-06-01T12:03:00+00:00" and saved["tool"]["name"] == "screener"
        assert saved["answers"]["ferritin_ng_ml"] == 42 and saved["answers"]["medications"][0] == "sertraline 50 mg"
    else:
        assert "2025-06-01 12:03 (UTC)" in text and "screener 0.1.0" in text and "rulebook" in text
        assert "42 ng/mL" in text and "sertraline 50 mg, Tylenol PM, atorvastatin" in text


def test_score_output_problems(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(EXAMPLES[0].read_text())
    before = answers.read_bytes()
    refused = invoke(["score", str(answers), "--format", "json", "-o", str(tmp_path / "." / "answers.json")], code=2)
    assert "this is the input file" in refused.stderr and answers.read_bytes() == before
    unknown = invoke(["score", str(answers), "-o", str(tmp_path / "report.pdf")], code=2)
    assert "give --format" in unknown.output and not (tmp_path / "report.pdf").exists()
    missing = invoke(["score", str(answers), "-o", str(tmp_path / "nope" / "report.html")], code=2)
    assert "cannot write" in missing.stderr
    forced = invoke(["score", str(answers), "--format", "markdown", "-o", str(tmp_path / "report.txt")])
    assert forced.exit_code == 0 and (tmp_path / "report.txt").read_text().startswith("# Screening report")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_printing_a_report_stamps_it_too():
    result = invoke(["score", str(EXAMPLES[0]), "--format", "json"], env={"SOURCE_DATE_EPOCH": "0"})
    assert json.loads(result.stdout)["created"] == "1970-01-01T00:00:00+00:00"
    text = invoke(["score", str(EXAMPLES[0])], env={"SOURCE_DATE_EPOCH": "0"}).stdout
    assert text.splitlines()[1].startswith("Made 1970-01-01 00:00 (UTC) · screener ")
