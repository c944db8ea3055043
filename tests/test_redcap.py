"""The REDCap data dictionary export: its 18 columns, names, field types, ranges, and branching
logic that shows exactly the questions the questionnaire's own skip logic asks (an independent
evaluator of REDCap's logic syntax, over random answer sets)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from answer_sets import Q, answer_sets, asked
from helpers import invoke
from hypothesis import given, settings

from screener.io.redcap import dictionary_csv

HEADERS = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
           "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
           "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
           "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
           "Matrix Ranking?", "Field Annotation"]
TEXT = dictionary_csv(Q)
READER = csv.reader(io.StringIO(TEXT))
HEADER_ROW = next(READER)
ROWS = [dict(zip(HEADER_ROW, row)) for row in READER]
BY_NAME = {row["Variable / Field Name"]: row for row in ROWS}


def test_the_dictionary_has_exactly_the_18_headers_in_order_and_one_row_per_question():
    assert HEADER_ROW == HEADERS
    assert all(len(row) == 18 for row in ROWS)
    assert [row["Variable / Field Name"] for row in ROWS] == [q.redcap for q in Q.questions]
    assert ROWS[0]["Variable / Field Name"] == "respondent_id" and ROWS[0]["Field Type"] == "text"
    assert {row["Form Name"] for row in ROWS} == {"rls_intake"}


def test_names_are_valid_unique_and_branching_refers_only_to_earlier_fields():
    names = [row["Variable / Field Name"] for row in ROWS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,25}", name) for name in names)
    for index, row in enumerate(ROWS):
        for ref in re.findall(r"\[([^\]]+)\]", row["Branching Logic (Show field only if...)"]):
            assert ref in names[:index], (row["Variable / Field Name"], ref)


def test_types_choices_ranges_and_notes():
    types = {row["Field Type"] for row in ROWS}
    assert types <= {"text", "notes", "radio", "yesno", "checkbox", "dropdown"}
    assert BY_NAME["urge_to_move"]["Choices, Calculations, OR Slider Labels"] == "1, Yes | 0, No | UNK, Don't know"
    assert BY_NAME["sex"]["Choices, Calculations, OR Slider Labels"] == "female, Female | male, Male | other, Other"
    assert BY_NAME["sex"]["Required Field?"] == "y"
    kidney = BY_NAME["kidney_disease"]["Choices, Calculations, OR Slider Labels"]
    assert kidney.startswith("none, No kidney disease | ckd, Chronic kidney disease, not on dialysis") and "UNK" in kidney
    ferritin = BY_NAME["ferritin_ng_ml"]
    assert (ferritin["Field Type"], ferritin["Text Validation Type OR Show Slider Number"]) == ("text", "number")
    assert (ferritin["Text Validation Min"], ferritin["Text Validation Max"]) == ("0", "100000")
    assert ferritin["Field Annotation"] == "@FORCE-MINMAX"
    assert ferritin["Field Note"].startswith("Unit: ng/mL. Usually 1-2000 ng/mL.")
    assert BY_NAME["age_years"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert BY_NAME["medications"]["Field Type"] == "notes"
    assert BY_NAME["position_change_relieves"]["Field Label"] == Q["relieved_by_one_position_change"].text
    assert BY_NAME["pregnant"]["Branching Logic (Show field only if...)"] == (
        "([sex] = 'female' and (([age_years] <> '' and [age_years] >= 12) and ([age_years] <> '' and "
        "[age_years] <= 55)))")
    headers = [row["Section Header"] for row in ROWS if row["Section Header"]]
    assert headers == list(Q.sections.values())


def test_export_command_writes_the_same_bytes_each_time(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    invoke(["export", "--format", "redcap", "-o", str(first)])
    invoke(["export", "--format", "redcap", "-o", str(second)])
    assert first.read_bytes() == second.read_bytes() == TEXT.encode("utf-8")


# -- an independent evaluator of REDCap branching logic -------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\[[a-z0-9_]+\])|'([^']*)'|\"([^\"]*)\"|(-?\d+(?:\.\d+)?)|(<>|<=|>=|=|<|>)|"
                    r"(\(|\)|,)|([a-z_]+))")


def tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        assert match, f"cannot read {text[pos:]!r}"
        var, sq, dq, num, op, punct, word = match.groups()
        out.append(("var", var[1:-1]) if var else ("str", sq if sq is not None else dq) if sq is not None or
                   dq is not None else ("num", num) if num else ("op", op) if op else ("p", punct) if punct
                   else ("word", word))
        pos = match.end()
    return out


class Logic:
    """REDCap logic over a record: blank is ''; numbers compare as numbers, everything else as text."""

    FUNCTIONS = {"contains": lambda a, b: b in a, "lower": str.lower, "trim": str.strip}

    def __init__(self, text: str, record: dict[str, str]):
        self.tokens, self.at, self.record = tokenize(text), 0, record

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        self.at += 1
        return self.tokens[self.at - 1]

    def run(self) -> bool:
        value = self.expr()
        assert self.peek() is None
        return bool(value)

    def expr(self) -> Any:
        value = self.conj()
        while self.peek() == ("word", "or"):
            self.take()
            other = self.conj()
            value = bool(value) or bool(other)
        return value

    def conj(self) -> Any:
        value = self.cmp()
        while self.peek() == ("word", "and"):
            self.take()
            other = self.cmp()
            value = bool(value) and bool(other)
        return value

    def cmp(self) -> Any:
        left = self.term()
        if self.peek() and self.peek()[0] == "op":
            op = self.take()[1]
            return compare(left, op, self.term())
        return left

    def term(self) -> Any:
        kind, text = self.take()
        if (kind, text) == ("p", "("):
            value = self.expr()
            assert self.take() == ("p", ")")
            return value
        if kind == "var":
            return self.record.get(text, "")
        if kind in ("str", "num"):
            return text
        assert kind == "word" and text in self.FUNCTIONS, text
        assert self.take() == ("p", "(")
        args = [self.expr()]
        while self.peek() == ("p", ","):
            self.take()
            args.append(self.expr())
        assert self.take() == ("p", ")")
        return self.FUNCTIONS[text](*args)


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def compare(left: Any, op: str, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if op in ("=", "<>"):
        same = a == b if a is not None and b is not None else str(left) == str(right)
        return same if op == "=" else not same
    if a is None or b is None:  # an ordering test on a blank or a text is false
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def raw_value(question, value: Any) -> str:
    """An answer as a REDCap raw export stores it."""
    if value == "unsure":
        return "UNK"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return "\n".join(value) or "none"
    return str(value)


def redcap_shown(answers: dict[str, Any]) -> set[str]:
    """The fields REDCap shows, in order; a hidden field's value is erased (blank) for later logic."""
    record: dict[str, str] = {}
    shown = set()
    for question in Q.questions:
        row = BY_NAME[question.redcap]
        logic = row["Branching Logic (Show field only if...)"]
        if not logic or Logic(logic, record).run():
            shown.add(question.id)
            if question.id in answers:
                record[question.redcap] = raw_value(question, answers[question.id])
    return shown - {Q.record_id.id}


def test_the_logic_evaluator_reads_what_the_export_writes():
    assert Logic("[a] <> '' and [a] >= 12", {"a": "30"}).run()
    assert not Logic("[a] <> '' and [a] >= 12", {"a": ""}).run()
    assert Logic("([a] = '1' or contains(lower([m]), 'sinemet'))", {"m": "SINEMET 25"}).run()
    assert Logic("[p] <> '1'", {}).run()  # <> is true on a blank, like FHIR !=


@settings(max_examples=150, deadline=None)
@given(answer_sets())
def test_redcap_branching_shows_exactly_the_questions_the_skip_logic_asks(answers):
    assert redcap_shown(answers) == asked(answers)


@pytest.mark.parametrize("answers", [
    {"age_years": 30, "sex": "female"},
    {"age_years": 30, "sex": "female", "pregnant": "unsure"},
    {"urge_to_move": "unsure"},
    {"medications": ["Sinemet 25/100", "sertraline"]},
    {"medications": ["nil"]},
    {"height_cm": 170.0},
])
def test_known_cases_of_the_redcap_branching(answers):
    assert redcap_shown(answers) == asked(answers)
