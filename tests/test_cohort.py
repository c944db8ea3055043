"""`screener report`: the cohort report of a batch output. Wilson intervals, counts equal to the
batch CSV's, JSON Lines and CSV inputs, byte-identical output, a self-contained HTML5 page, and
a clear error (exit 2, never a traceback) for a line that is not a batch result."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
from pathlib import Path

import html5lib
import pytest
from helpers import invoke, ok, screener

from screener.core.rulebook import default_rulebook
from screener.ui import cohort_plots
from screener.ui.cohort import FERRITIN_LINES, TSAT_LINE, reason_of
from screener.ui.stats import CappedCounter, Histogram, wilson

ROOT = Path(__file__).resolve().parent.parent
REMOTE = re.compile(r"(?i)\b(?:https?:)?//")
KIND_COLUMNS = {"alert": "alerts", "contributor": "contributors", "primary_indicator": "primary_indicators",
                "mimic": "mimics", "data_gap": "data_gaps"}


def load_example_script():
    spec = importlib.util.spec_from_file_location("make_cohort", ROOT / "examples" / "make_cohort.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A synthetic cohort (two blank lines, three invalid rows) scored by batch both ways."""
    folder = tmp_path_factory.mktemp("cohort")
    intake = folder / "intake.csv"
    load_example_script().write(intake, 320, seed=11)
    outputs = {}
    for fmt in ("csv", "jsonl"):
        outputs[fmt] = folder / f"results.{fmt}"
        result = invoke(["batch", str(intake), "-o", str(outputs[fmt]), "--format", fmt, "--jobs", "1"])
        outputs[f"{fmt}-summary"] = result.stderr
    return outputs


def report_json(path: Path, tmp_path: Path) -> dict:
    out = tmp_path / f"{path.stem}-{path.suffix[1:]}.json"
    invoke(["report", str(path), "-o", str(out)])
    return json.loads(out.read_text())


def parse(page: str):
    """The page as an element tree; html5lib's strict parser raises on any HTML5 parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)


def svgs(tree) -> list:
    return [element for element in tree.iter() if str(element.tag).rsplit("}", 1)[-1] == "svg"]


# -- statistics ----------------------------------------------------------------------------------

def test_wilson_interval_matches_known_values():
    low, high = wilson(12, 40)
    assert (round(low * 100, 1), round(high * 100, 1)) == (18.1, 45.4)
    assert wilson(0, 25)[0] == 0.0 and 0 < wilson(0, 25)[1] < 0.14
    assert wilson(25, 25)[1] == 1.0
    assert wilson(0, 0) is None
    for k, n in [(1, 7), (3, 10), (50, 1000)]:  # symmetric: k/n and (n-k)/n mirror each other
        assert wilson(k, n)[0] == pytest.approx(1 - wilson(n - k, n)[1])


def test_histogram_bins_edges_and_quantiles():
    hist = Histogram.linear(0, 100, 10)
    for value in (-1, 0, 9.99, 10, 100, 100.5):
        hist.add(value)
    assert hist.counts[0] == 2 and hist.counts[1] == 1 and hist.counts[-1] == 1
    assert (hist.below, hist.above, hist.n) == (1, 1, 6)
    ages = Histogram.linear(0, 121, 1)
    for age in (40, 50):
        ages.add(age)
    assert ages.exact_quantile(0.5) == 45 and ages.exact_quantile(0) == 40 and ages.exact_quantile(1) == 50
    assert Histogram.log10(0, 5, 100).quantile(0.5) is None


def test_capped_counter_keeps_exact_counts_of_what_it_tracks():
    counter = CappedCounter[str](2)
    for key in "aabxxc":
        counter.add(key)
    assert counter.counts == {"a": 2, "b": 1} and counter.untracked == 3
    assert counter.most_common(1) == [("a", 2)]
    masks = CappedCounter[int](2)
    for key in [1, 1, 2, *[3] * 5, *[4] * 2]:
        masks.add(key)
    assert masks.untracked == 7 and 5 <= masks.untracked_max() <= 7  # a bound on any one untracked key


def test_plot_thresholds_are_those_of_the_rules():
    rules = {rule.id: rule.when for rule in default_rulebook().rules}
    text = json.dumps([rules["IRON-001"], rules["IRON-003"]])
    assert '"ferritin_ng_ml": {"le": 75}' in text and '"tsat_percent": {"lt": 20}' in text
    assert '"ferritin_ng_ml": {"gt": 75, "le": 100}' in text
    assert FERRITIN_LINES == (75, 100) and TSAT_LINE == 20


@pytest.mark.parametrize("message, reason", [
    ("999 is out of range (0 to 120 years)", "out of range (0 to 120 years)"),
    ("'see lab sheet' is not a number", "not a number"),
    ('"it\'s high" is not a number', "not a number"),
    ("age at onset (30) is later than age_years (20)", "age at onset is later than age_years"),
    ("unknown unit 'stone' (accepted units: kg, lb)", "unknown unit (accepted units: kg, lb)"),
    ("2500 is outside the usual range 1-2000 ng/mL; please check",
     "outside the usual range 1-2000 ng/mL; please check"),
    ("has 3 cells but the header has 5", "has 3 cells but the header has 5"),
])
def test_reasons_are_shown_without_the_answer(message, reason):
    assert reason_of(message) == reason


# -- counts --------------------------------------------------------------------------------------

def test_cohort_counts_equal_those_of_the_batch_csv(batch, tmp_path):
    rows = list(csv.DictReader(batch["csv"].open(newline="")))
    scored = [row for row in rows if row["status"] == "ok"]
    blank = int(re.search(r"blank lines skipped: (\d+)", batch["csv-summary"]).group(1))
    assert blank == 2
    for source in (batch["csv"], batch["jsonl"]):
        summary = report_json(source, tmp_path)
        stages = summary["stages"]
        assert stages["respondents"] == len(rows)
        assert stages["invalid"] == sum(row["status"] == "invalid" for row in rows) == 3
        assert stages["error"] == sum(row["status"] == "error" for row in rows)
        assert stages["scored"] == len(scored)
        assert stages["blank"] == blank and stages["rows_read"] == len(rows) + blank == int(rows[-1]["row"])
        assert stages["scored_with_warnings"] == sum(bool(row["warnings"]) for row in scored)
        for finding in summary["findings"]:
            column = KIND_COLUMNS[finding["kind"]]
            assert finding["n"] == sum(finding["code"] in row[column].split("; ") for row in scored), finding["code"]
            assert finding["N"] == len(scored)
        assert sum(reason["n"] for reason in summary["reasons"]["invalid"]) == 3


def test_jsonl_adds_subgroups_missing_data_and_distributions(batch, tmp_path):
    from_jsonl, from_csv = report_json(batch["jsonl"], tmp_path), report_json(batch["csv"], tmp_path)
    assert [f["n"] for f in from_jsonl["findings"]] == [f["n"] for f in from_csv["findings"]]
    assert from_jsonl["contributor_sets"] == from_csv["contributor_sets"]
    assert from_csv["strata"] is from_csv["missing"] is from_csv["distributions"] is None
    assert any("not the answers" in note for note in from_csv["notes"])
    scored = from_jsonl["stages"]["scored"]
    for name, stratum in from_jsonl["strata"].items():
        assert sum(level["n"] for level in stratum["levels"]) == scored, name
        for finding in from_jsonl["findings"]:
            assert sum(cell["n"] for cell in finding["by"][name]) == finding["n"]
    missing = {m["field"]: m for m in from_jsonl["missing"]}
    assert missing["age_years"]["missing"] == 0 and missing["height_cm"]["missing"] == scored
    assert all(m["answered"] + m["unknown"] + m["not_answered"] == scored for m in missing.values())
    ferritin = from_jsonl["distributions"]["ferritin_ng_ml"]
    assert sum(ferritin["counts"]) + ferritin["below_range"] + ferritin["above_range"] == ferritin["n"]
    assert ferritin["n"] == missing["ferritin_ng_ml"]["answered"]
    assert from_jsonl["run"]["scored_with"][0]["rulebook_sha256"] == default_rulebook().sha256


def test_blank_rows_are_the_gaps_in_row_numbers(tmp_path):
    lines = [json.dumps({"schema_version": "1.2", "tool": {"name": "screener", "version": "0"}, "row": row,
                         "status": "invalid", "errors": [{"field": "age_years", "message": "'x' is not a number"}],
                         "warnings": [], "findings": [], "answers": None, "rulebook": {}}) for row in (2, 3, 7)]
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines) + "\n\n")
    stages = report_json(path, tmp_path)["stages"]
    assert (stages["rows_read"], stages["blank"], stages["respondents"], stages["invalid"]) == (7, 4, 3, 3)
    page = tmp_path / "cohort.html"
    invoke(["report", str(path), "-o", str(page)])  # nobody scored: the page still parses
    assert "Cohort report: results.jsonl" in "".join(parse(page.read_text()).find("body").itertext())
    path.write_text("\n".join(lines[::-1]) + "\n")
    summary = report_json(path, tmp_path)
    assert summary["stages"]["blank"] is None and any("line 2" in note for note in summary["notes"])


# -- the page ------------------------------------------------------------------------------------

def test_html_is_self_contained_html5_and_byte_identical(batch, tmp_path):
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "first.html", tmp_path / "second.html"
    invoke(["report", str(batch["jsonl"]), "-o", str(first)])
    invoke(["report", str(batch["jsonl"]), "-o", str(second), "--format", "html"])
    assert first.read_bytes() == second.read_bytes()
    page = first.read_text()
    assert page.startswith("<!DOCTYPE html>")
    tree = parse(page)
    assert tree.findall(".//script") == [] and tree.findall(".//link") == [] and tree.findall(".//img") == []
    assert len(svgs(tree)) == 4
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert not REMOTE.search(value), (element.tag, name, value)
    style = tree.find("head/style").text
    assert "url(" not in style and "@import" not in style and "@media print" in style and "@page" in style
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # several plots in one page: no id twice
    assert "see lab sheet" not in page  # an invalid answer from the intake never shows


def test_separate_processes_give_the_same_bytes(batch, tmp_path):
    pytest.importorskip("matplotlib")
    pages = []
    for seed in ("1", "2"):
        out = tmp_path / f"cohort-{seed}.html"
        ok(screener("report", str(batch["jsonl"]), "-o", str(out), env={"PYTHONHASHSEED": seed}))
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]


def test_csv_input_gives_tables_and_says_what_is_not_available(batch, tmp_path):
    out = tmp_path / "cohort.html"
    invoke(["report", str(batch["csv"]), "-o", str(out)])
    body = "".join(parse(out.read_text()).find("body").itertext())
    assert "Not available: the batch CSV holds the finding codes but not the answers" in body
    assert "Findings by subgroup" in body and "CSV of screener batch" in body


def test_without_matplotlib_the_tables_are_written(batch, tmp_path, monkeypatch):
    monkeypatch.setattr(cohort_plots, "available", lambda: False)
    out = tmp_path / "cohort.html"
    result = invoke(["report", str(batch["jsonl"]), "-o", str(out)])
    assert "pip install 'screener[report]'" in result.stderr
    tree = parse(out.read_text())
    assert svgs(tree) == [] and "screener[report]" in "".join(tree.find("body").itertext())


def test_date_is_printed_only_when_given(batch, tmp_path):
    out = tmp_path / "cohort.json"
    invoke(["report", str(batch["csv"]), "-o", str(out), "--date", "2025-06-01"])
    assert json.loads(out.read_text())["run"]["date"] == "2025-06-01"
    invoke(["report", str(batch["csv"]), "-o", str(out)], env={"SOURCE_DATE_EPOCH": ""})
    assert json.loads(out.read_text())["run"]["date"] is None
    result = invoke(["report", str(batch["csv"]), "--date", "June 1st"], code=2)
    assert "YYYY-MM-DD" in result.stderr


def test_stdin_and_stdout(batch):
    result = invoke(["report", "-", "--format", "json"], input=batch["csv"].read_bytes())
    summary = json.loads(result.stdout)
    assert summary["run"]["input"]["name"] == "stdin" and summary["stages"]["invalid"] == 3


# -- errors --------------------------------------------------------------------------------------

GOOD = ('{"schema_version":"1.2","tool":{"name":"screener","version":"0"},"row":1,"status":"invalid",'
        '"errors":[],"warnings":[],"findings":[],"answers":null,"rulebook":{}}')


@pytest.mark.parametrize("name, text, message", [
    ("not-json.jsonl", GOOD + "\n{oops\n", "line 2: not valid JSON"),
    ("array.jsonl", GOOD + "\n" + GOOD + "\n[1, 2]\n", "line 3: not a JSON object"),
    ("no-row.jsonl", GOOD.replace('"row":1,', "") + "\n", "line 1: has no 'row'"),
    ("bad-status.jsonl", GOOD.replace("invalid", "fine") + "\n", "line 1: its 'status' is not ok, invalid or error"),
    ("no-answers.jsonl", GOOD.replace('"invalid"', '"ok"') + "\n", "line 1: a scored report without its answers"),
    ("bad-finding.jsonl", GOOD.replace('"findings":[]', '"findings":[{"code":"x","kind":"rumour"}]') + "\n",
     "line 1: its 'findings' are not findings"),
    ("bad-code.jsonl", GOOD.replace('"findings":[]', '"findings":[{"code":"<b>x</b>","kind":"alert"}]') + "\n",
     "line 1: a finding code is not lower-case letters"),
    ("wrong-columns.csv", "a,b,c\n1,2,3\n", "expected JSON Lines reports, or CSV with the columns row, respondent_id"),
    ("ragged.csv", "row,respondent_id,status,errors,warnings,contributors,primary_indicators,mimics,data_gaps,"
                   "alerts\n1,R1,ok,,,,,,,\n2,R2,ok\n", "line 3: has 3 cells but the header has 10"),
    ("empty.jsonl", "\n\n", "the file is empty"),
])
def test_a_line_that_is_not_a_batch_result_is_named_with_exit_2(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "cohort.html"
    result = invoke(["report", str(path), "-o", str(out)], code=2)
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_missing_input_and_output_over_the_input_are_refused(batch, tmp_path):
    result = invoke(["report", str(tmp_path / "missing.jsonl")], code=2)
    assert "cannot read" in result.stderr
    result = invoke(["report", str(batch["csv"]), "-o", str(batch["csv"])], code=2)
    assert "this is the input file" in result.stderr


# -- the shipped example -------------------------------------------------------------------------

def test_the_example_cohort_is_the_script_output_and_the_readme_commands_run(tmp_path):
    shipped = ROOT / "examples" / "cohort.csv"
    load_example_script().write(tmp_path / "cohort.csv", 400, seed=2025)
    assert (tmp_path / "cohort.csv").read_bytes() == shipped.read_bytes()
    readme = (ROOT / "README.md").read_text()
    command = ("screener batch examples/cohort.csv -o cohort.jsonl --format jsonl && "
               "screener report cohort.jsonl -o cohort.html")
    assert command in readme
    jsonl, page = tmp_path / "cohort.jsonl", tmp_path / "cohort.html"
    invoke(["batch", str(shipped), "-o", str(jsonl), "--format", "jsonl", "--jobs", "1"])
    invoke(["report", str(jsonl), "-o", str(page)])
    assert "Cohort report: cohort.jsonl" in page.read_text()
    assert io.StringIO(page.read_text()).readline().startswith("<!DOCTYPE html>")
