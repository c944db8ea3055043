"""Answers cannot drive the terminal: escape sequences and control characters in a respondent
id or a medication name are removed from every report shown on screen."""

from __future__ import annotations

import io
import json
import re

import pytest
from helpers import invoke
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from screener.core.parse import parse_intake
from screener.ui.safe_text import printable
from screener.ui.terminal import render_report

TITLE, RED, CLEAR = "\x1b]0;evil\x07", "\x1b[31m", "\x1b[2J"
HOSTILE = {"respondent_id": f"id{TITLE}-{RED}red{CLEAR}\x07\x9b31m\r",
           "medications": [f"{TITLE}amlodipin{RED}", f"zzz{CLEAR}\x1b]8;;http://e.org\x1b\\link\x1b]8;;\x1b\\"],
           "ferritin_ng_ml": 2500}


def assert_clean(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\r" not in text


@pytest.mark.parametrize("text, expected", [
    ("plain text, tabs\tand\nnewlines", "plain text, tabs\tand\nnewlines"),
    (f"a{TITLE}b", "ab"), (f"a{RED}b{CLEAR}c", "abc"), ("a\x1b]0;t\x1b\\b", "ab"), ("a\x1bcb", "ab"),
    ("a\x1b[?25lb", "ab"), ("a\x9b2Jb", "ab"), ("a\x1bPq#0;2\x1b\\b", "ab"), ("a\x00\x08\x7f\x85b", "ab"),
    ("a\x1b]0;unterminated", "a0;unterminated"), ("trailing\x1b", "trailing"), ("café ✓ 50 µg", "café ✓ 50 µg"),
])
def test_printable(text, expected):
    assert printable(text) == expected


@given(st.text())
def test_printable_leaves_no_control_character(text):
    cleaned = printable(text)
    assert all(ch in "\n\t" or not (ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f) for ch in cleaned)
    assert printable(cleaned) == cleaned


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_score_text_and_markdown_reports(fmt):
    result = invoke(["score", "-", "--format", fmt], input=json.dumps(HOSTILE))
    assert_clean(result.stdout)
    assert "id-red" in result.stdout and "amlodipin" in result.stdout  # the text itself is kept


def test_score_json_escapes_them():
    result = invoke(["score", "-", "--format", "json"], input=json.dumps(HOSTILE))
    assert "\x1b" not in result.stdout
    assert json.loads(result.stdout)["respondent_id"] == HOSTILE["respondent_id"].strip()


def test_the_on_screen_report_of_ask(durable):
    report = durable.screen_parsed(parse_intake(HOSTILE))
    out = io.StringIO()
    render_report(report, Console(file=out, color_system=None, width=120))
    assert_clean(out.getvalue())
    assert "Screening report: id-red" in out.getvalue() and "amlodipin" in out.getvalue()
    # on a colour terminal rich adds its own styles (ESC [ ... m), and nothing else
    out = io.StringIO()
    render_report(report, Console(file=out, force_terminal=True, color_system="standard", width=120))
    assert_clean(re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue()))
    assert "\x1b[2J" not in out.getvalue() and "\x1b]" not in out.getvalue()


def test_a_whole_ask_session(tmp_path, monkeypatch):
    from screener.core.questionnaire import default_questionnaire

    monkeypatch.chdir(tmp_path)
    q = default_questionnaire()
    typed = {"respondent_id": HOSTILE["respondent_id"], "age_years": "50", "sex": "m",
             "medications": ", ".join(HOSTILE["medications"])}
    given_, lines = {}, []
    while todo := [x for x in q.applicable(given_) if x.id not in given_]:
        lines.append(typed.get(todo[0].id, ""))
        given_ = q.effective({**given_, todo[0].id: q.check(todo[0], lines[-1], given_).value})
    result = invoke(["ask"], input="\n".join([*lines, ""]) + "\n")
    assert_clean(result.stdout)
    assert "Screening report: id-red" in result.stdout


def test_an_answer_in_the_review_table_is_never_read_as_markup(tmp_path, monkeypatch):
    from screener.core.questionnaire import default_questionnaire

    monkeypatch.chdir(tmp_path)
    q = default_questionnaire()
    given_, lines = {}, []
    while todo := [x for x in q.applicable(given_) if x.id not in given_]:
        lines.append({"respondent_id": "[/x] [bold]id", "age_years": "50", "sex": "m"}.get(todo[0].id, ""))
        given_ = q.effective({**given_, todo[0].id: q.check(todo[0], lines[-1], given_).value})
    result = invoke(["ask"], input="\n".join([*lines, ""]) + "\n")  # rich's MarkupError escaped here once
    assert "│ [/x] [bold]id" in result.stdout
