"""Sources a clinician can trust: every registry entry has a kind from a closed vocabulary and a
verification status; no rule, named condition or medication class rests only on the weakest kinds
(consumer page, forum, AI summary, unknown author or journal); reports and the catalogue show kind
and verification in words; the registry's notes for authors never reach a report."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import get_args

import pytest
import yaml

from test_rulebook_loader import GOOD_RULE

from screener.core.parse import parse_intake
from screener.core.models import WEAK_SOURCE_KINDS, SourceKind
from screener.core.paths import rules_dir, schemas_dir
from screener.core.rulebook import RulebookError, default_rulebook, load_rulebook
from screener.ui import catalogue
from screener.ui.layout import build_layout, texts
from screener.ui.render import FORMATS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
RULEBOOK = default_rulebook()

WEAK_SOURCE = {"id": "test-forum-post", "citation": "A forum post about restless legs.", "verified": "U",
               "kind": "forum"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(rules_dir(), target)
    return target


def add_sources(folder: Path, *entries: dict) -> None:
    path = folder / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"].extend(entries)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def write_rule(folder: Path, **changes) -> None:
    (folder / "zz_test.yaml").write_text(yaml.safe_dump({"rules": [{**GOOD_RULE, **changes}]}))


def problems(folder: Path) -> list[str]:
    with pytest.raises(RulebookError) as exc:
        load_rulebook(folder)
    return exc.value.problems


# -- the loader ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(WEAK_SOURCE_KINDS))
def test_a_rule_resting_only_on_the_weakest_kinds_is_refused(folder, kind):
    add_sources(folder, {**WEAK_SOURCE, "kind": kind}, {**WEAK_SOURCE, "id": "test-blog", "kind": "consumer-page"})
    write_rule(folder, sources=["test-forum-post", "test-blog"])
    [problem] = [p for p in problems(folder) if "TEST-001" in p]
    assert problem.startswith("zz_test.yaml: rule TEST-001: rests only on the weakest kinds of source")
    assert f"test-forum-post ({kind})" in problem and "cite a guideline or primary study" in problem


def test_a_weak_source_next_to_a_guideline_is_accepted(folder):
    add_sources(folder, WEAK_SOURCE)
    write_rule(folder, sources=["test-forum-post", "aasm-2025"])
    assert "TEST-001" in {rule.id for rule in load_rulebook(folder).rules}


def test_a_medication_class_resting_only_on_the_weakest_kinds_is_refused(folder):
    add_sources(folder, WEAK_SOURCE)
    path = folder / "medications.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("    sources: [tan-2004]\n") == 1
    path.write_text(text.replace("    sources: [tan-2004]\n", "    sources: [test-forum-post]\n"), encoding="utf-8")
    assert any(p.startswith("medications.yaml: class levothyroxine: rests only on the weakest kinds")
               for p in problems(folder))


@pytest.mark.parametrize("changes, expected", [
    ({"kind": "blog"}, "source test-source: kind: Input should be 'guideline'"),
    ({"kind": None}, "source test-source: kind: Field required"),
    ({"verified": None}, "source test-source: verified: Field required"),
    ({"verified": "maybe"}, "source test-source: verified: Input should be 'V', 'P' or 'U'"),
])
def test_a_source_needs_a_known_kind_and_a_verification_status(folder, changes, expected):
    entry = {"id": "test-source", "citation": "A study of something, 2020.", "verified": "P", "kind": "cohort"}
    add_sources(folder, {k: v for k, v in {**entry, **changes}.items() if v is not None})
    assert any(p.startswith("sources.yaml: ") and expected in p for p in problems(folder)), problems(folder)


# -- the shipped rulebook ------------------------------------------------------------------------

def resting_only_on_weak(ids: list[str]) -> bool:
    return all(RULEBOOK.sources[sid].kind in WEAK_SOURCE_KINDS for sid in ids)


@pytest.mark.parametrize("rule", RULEBOOK.rules, ids=[r.id for r in RULEBOOK.rules])
def test_no_shipped_rule_rests_only_on_the_weakest_kinds(rule):
    assert not resting_only_on_weak(rule.sources), rule.sources


def test_no_shipped_class_or_named_condition_rests_only_on_the_weakest_kinds():
    holders = [*RULEBOOK.lexicon.classes.values(), *RULEBOOK.definitions.values()]
    assert not [h.id for h in holders if resting_only_on_weak(list(h.sources))]


def test_the_kind_vocabulary_is_documented_in_the_registry_and_the_report_schema():
    header = (rules_dir() / "sources.yaml").read_text(encoding="utf-8").split("\nsources:")[0]
    for kind in get_args(SourceKind):
        assert re.search(rf"^#   {re.escape(kind)} ", header, re.M), kind
    schema = json.loads((schemas_dir() / "report.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["source"]["properties"]["kind"]["enum"] == list(get_args(SourceKind))
    assert set(texts()["source_kinds"]) == set(get_args(SourceKind))
    assert set(texts()["verification"]) == {"V", "P", "U"}


def test_a_case_report_on_lithium_is_cited_for_lithium_only():
    citing = {r.id for r in RULEBOOK.rules if "terao-1991" in r.sources}
    citing |= {c.id for c in RULEBOOK.lexicon.classes.values() if "terao-1991" in c.sources}
    assert citing <= {"DRUG-005", "lithium"}


@pytest.mark.parametrize("rule", [r for r in RULEBOOK.rules if r.kind == "alert"], ids=lambda r: r.id)
def test_no_alert_rests_only_on_case_reports(rule):
    kinds = {RULEBOOK.sources[sid].kind for sid in rule.sources}
    assert kinds - {"case-report", "case-series", *WEAK_SOURCE_KINDS}, kinds


AUTHORING = re.compile(r"could not be (retrieved|checked|read)|not (yet )?(confirmed|retrieved|verified)|"
                       r"from memory|seen only in|secondary (summar|cop)|abstract level|"
                       r"\bunverified\b|\bunconfirmed\b|\b(we|I) (could|did)\b", re.I)


@pytest.mark.parametrize("rule", RULEBOOK.rules, ids=[r.id for r in RULEBOOK.rules])
def test_rule_texts_carry_no_authoring_notes(rule):
    advice = rule.advice if isinstance(rule.advice, str) else " ".join(v.text for v in rule.advice)
    text = " ".join([rule.title, rule.why, advice, rule.local_policy or ""])
    assert not AUTHORING.search(text), AUTHORING.search(text)


def test_named_conditions_carry_no_authoring_notes():
    for definition in RULEBOOK.definitions.values():
        text = " ".join([definition.title, definition.why, definition.local_policy or ""])
        assert not AUTHORING.search(text), (definition.id, AUTHORING.search(text))


# -- what reports and the catalogue show ---------------------------------------------------------

NOTES = [source.note for source in RULEBOOK.sources.values() if source.note]


def shown(text: str, fmt: str = "text") -> str:
    """What a reader sees, on one line: Markdown without its escapes, HTML as its text."""
    if fmt == "html":
        import html5lib

        text = "".join(html5lib.parse(text, namespaceHTMLElements=False).find("body").itertext())
    elif fmt == "markdown":
        text = re.sub(r"\\(.)", r"\1", text)
    return " ".join(text.split())


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_no_report_format_shows_a_registry_note(durable, path):
    report = durable.screen_parsed(parse_intake(json.loads(path.read_text())))
    assert report.findings
    for fmt, render in FORMATS.items():
        text = shown(render(report), fmt)
        leaked = [note for note in NOTES if " ".join(note.split()) in text]
        assert not leaked, (fmt, leaked)
    assert all(set(source) == {"id", "citation", "url", "verified", "kind"}
               for finding in report.findings for source in finding.sources)


@pytest.mark.parametrize("fmt", sorted(catalogue.FORMATS))
def test_the_catalogue_shows_no_registry_note(fmt):
    text = shown(catalogue.FORMATS[fmt](RULEBOOK), fmt)
    assert not [note for note in NOTES if " ".join(note.split()) in text]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_reference_shows_its_kind_and_verification_in_words(durable, fmt):
    report = durable.screen_parsed(parse_intake(json.loads((ROOT / "examples" / "pregnant-third-trimester.json")
                                                           .read_text())))
    layout = build_layout(report)
    words = texts()
    assert {words["verification"]["P"], words["verification"]["U"]} <= {ref.status for ref in layout.references}
    text = shown(FORMATS[fmt](report), fmt)
    for ref in layout.references:
        assert ref.kind in words["source_kinds"].values() and ref.status in words["verification"].values()
        assert f"({ref.kind}; {ref.status})" in text, ref


def test_the_catalogue_shows_kind_and_verification_of_every_cited_source():
    text = catalogue.to_markdown(RULEBOOK)
    words = texts()
    for rule in RULEBOOK.rules:
        for sid in rule.sources:
            source = RULEBOOK.sources[sid]
            described = f"({words['source_kinds'][source.kind]}; {words['verification'][source.verified]})"
            assert f"`{sid}`: {source.full_citation()} {described}" in text, sid
