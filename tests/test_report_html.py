"""The printable report: a self-contained HTML5 page (no resource from elsewhere, no script),
every answer escaped, header, summary, details, references and disclaimer in that order."""

from __future__ import annotations

import json
import re
from pathlib import Path

import html5lib
import pytest
from helpers import invoke

from screener.core.parse import parse_intake
from screener.ui.html_report import to_html

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
REMOTE = re.compile(r"(?i)\b(?:https?:)?//")
HOSTILE = {"respondent_id": "<script>alert(1)</script>&amp;\x1b[2J",
           "medications": ['<img src="http://e.org/x.png" onerror="alert(1)">', "sertraline"],
           "age_years": 40, "ferritin_ng_ml": 30}


def parse(page: str):
    """The page as an element tree; html5lib's strict parser raises on any HTML5 parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_score_html_is_a_self_contained_html5_page(tmp_path, path):
    out = tmp_path / "report.html"
    invoke(["score", str(path), "--format", "html", "-o", str(out)])
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    tree = parse(page)
    assert tree.find("head/meta").get("charset") == "utf-8"
    assert tree.findall(".//script") == [] and tree.findall(".//link") == [] and tree.findall(".//iframe") == []
    for element in tree.iter():
        for name, value in element.attrib.items():
            if name == "href" and element.tag == "a":
                continue  # a citation's link, followed only when a person clicks it
            assert not REMOTE.search(value), (element.tag, name, value)
    for style in tree.findall(".//style"):
        assert "url(" not in style.text and "@import" not in style.text
        assert "@media print" in style.text and "@page" in style.text
    assert not any(REMOTE.search(value) for value in re.findall(r'\b(?:src|srcset|data|poster)="([^"]*)"', page))


def test_the_page_holds_header_summary_details_references_disclaimer_in_order(durable):
    report = durable.screen_parsed(parse_intake(json.loads(EXAMPLES[1].read_text())))
    report = report.model_copy(update={"created": "2025-06-01T14:03:00+02:00"})
    tree = parse(to_html(report))
    body = tree.find("body")
    assert body.find("header/h1").text == "Screening report: example-002"
    meta = dict(zip((dt.text for dt in body.iter("dt")), ("".join(dd.itertext()) for dd in body.iter("dd"))))
    assert meta["Respondent"] == "example-002" and meta["Made"] == "2025-06-01 14:03 (UTC+02:00)"
    assert meta["Versions"].startswith("screener ") and "rulebook" in meta["Versions"]
    assert body.find(".//time").get("datetime") == "2025-06-01T14:03:00+02:00"
    sections = [section.get("class") for section in body.iter("section")]
    assert sections == ["summary", "details", "criteria-details", "answers", "references"]
    summary = "".join(body.find(".//section[@class='summary']").itertext())
    assert summary.index("Pregnant: treatment choices need obstetric input") < summary.index("Pregnancy (third")
    assert "not a diagnosis" in "".join(body.find("footer").itertext())
    references = body.findall(".//section[@class='references']/ol/li")
    cited = {a.get("href") for a in body.iter("a") if a.get("href", "").startswith("#ref-")}
    assert cited == {f"#ref-{li.get('id').removeprefix('ref-')}" for li in references}


def test_answers_holding_markup_are_escaped(durable, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(HOSTILE))
    out = tmp_path / "report.html"
    invoke(["score", str(answers), "-o", str(out)])
    page = out.read_text()
    tree = parse(page)
    assert tree.findall(".//script") == [] and tree.findall(".//img") == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;" in page
    text = "".join(tree.find("body").itertext())
    assert "<script>alert(1)</script>&amp;" in text  # shown as written, without the escape sequence
    assert '<img src="http://e.org/x.png" onerror="alert(1)">' in text
    assert "\x1b" not in page
