"""Property: any CSV text Python's csv module writes (quotes, CR, LF, CRLF, four delimiters,
blank lines between records), read back through `screener batch`, gives one output row per
respondent, in order, with the same ids and row numbers; a worker crash changes no byte."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from helpers import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.io.batch_output import safe_cell

TRICKY = st.sampled_from([",", ";", "\t", "|", '"', "\r", "\n", "\r\n", " ", "=", "-", "+", "@", "é", "x", "1"])
CELL = st.lists(TRICKY, max_size=6).map("".join)
IDENTIFIER = st.tuples(st.sampled_from("ABCxyz"), CELL).map("".join)  # never blank: it names the respondent


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, list[tuple[int, str]]]:
    """CSV text and the (row, respondent id) pairs a reader must find in it."""
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    # With LF or CR endings the csv module leaves a cell holding the other break unquoted, which
    # no reader can tell from a new row: quote every cell then, as careful writers do.
    quoting = csv.QUOTE_MINIMAL if ending == "\r\n" else csv.QUOTE_ALL
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=ending, quoting=quoting)
    writer.writerow(["respondent_id", "age_years", "medications"])
    expected, row = [], 0
    for identifier, age, medicines, blanks in draw(st.lists(st.tuples(
            IDENTIFIER, st.integers(18, 90), CELL, st.integers(0, 2)), min_size=1, max_size=25)):
        buffer.write(ending * blanks)
        row += blanks + 1
        writer.writerow([identifier, age, medicines])
        expected.append((row, identifier.strip()))
    buffer.write(ending * draw(st.integers(0, 2)))
    return buffer.getvalue(), expected


def respondents(output: str) -> list[tuple[int, str]]:
    return [(int(r["row"]), r["respondent_id"]) for r in csv.DictReader(io.StringIO(output, newline=""))]


def score(text: str, *args: str, env: dict[str, str] | None = None) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.csv"
        path.write_text(text, encoding="utf-8", newline="")
        return invoke(["batch", str(path), "--quiet", *args], env=env).stdout_bytes.decode()  # .stdout folds CRLF


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files())
def test_respondents_out_equal_respondents_in(case):
    text, expected = case
    out = score(text, "--jobs", "1")
    assert respondents(out) == [(row, safe_cell(identifier) or str(row)) for row, identifier in expected]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files(), st.data())
def test_a_worker_crash_changes_no_byte(case, data):
    text, expected = case
    clean = score(text, "--jobs", "2")
    crash_row = data.draw(st.sampled_from([row for row, _ in expected]))
    with tempfile.TemporaryDirectory() as folder:
        marker = Path(folder) / "crashed"
        crashed = score(text, "--jobs", "2", env={"SCREENER_TEST_CRASH_ROW": str(crash_row),
                                                 "SCREENER_TEST_CRASH_ONCE": str(marker)})
        assert marker.exists(), "the worker did not crash: the example proves nothing"
    assert crashed == clean
