"""The columnar engine writes the bytes durable-rules writes: on the synthetic benchmark
cohort (clean and messy), on every rule example, on the awkward input fixtures (quotes, blank
and ragged lines, CRLF, other delimiters and encodings) and through a mapping file's codes.
The big run of the same check is `benchmarks/columnar_bench.py`."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ok, screener
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_batch_property import csv_files, score

from screener.core.rulebook import default_rulebook
from screener.io.batch import BatchOptions, default_engine

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "batch"
ENGINES = ("durable", "reference", "columnar")
_spec = importlib.util.spec_from_file_location("batch_bench", ROOT / "benchmarks" / "batch_bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # type: ignore[union-attr]


def outputs(path: Path, *extra: str, engines=ENGINES, where: Path | None = None) -> dict[str, tuple[bytes, bytes]]:
    """Each engine's output bytes and stderr for one input (outputs written beside it, or in `where`)."""
    found = {}
    for engine in engines:
        out = (where or path.parent) / f"{path.stem}-{engine}.out"
        result = ok(screener("batch", str(path), "-o", str(out), "--engine", engine, "--jobs", "2", *extra))
        found[engine] = (out.read_bytes(), result.stderr)
    return found


def assert_all_equal(found: dict[str, tuple[bytes, bytes]]) -> None:
    """The same output, and the same summary and notes (but the columnar engine's own note)."""
    durable = found["durable"]
    for engine, got in found.items():
        assert got[0] == durable[0], f"{engine} output differs from durable-rules"
        notes = b"".join(line for line in got[1].splitlines(keepends=True) if b"scored row by row" not in line)
        assert notes == durable[1], f"{engine} summary differs from durable-rules"


@pytest.mark.parametrize("messy", [False, True], ids=["clean", "messy"])
def test_three_engines_give_the_same_bytes_on_the_synthetic_cohort(tmp_path, messy):
    path = tmp_path / "cohort.csv"
    rows = 25_000 if messy else 10_000  # the messy file spans two chunks of the columnar engine
    bench.generate(path, rows, seed=11, messy=messy)
    found = outputs(path)
    assert_all_equal(found)
    written = list(csv.DictReader(found["columnar"][0].decode().splitlines()))
    assert len(written) == rows and {row["status"] for row in written} == {"ok", "invalid"}
    if messy:  # the mess is there: many invalid rows, warnings, formula-like ids
        assert sum(row["status"] == "invalid" for row in written) > 5_000
        assert sum(bool(row["warnings"]) for row in written) > 200
        assert any(row["respondent_id"].startswith("'") for row in written)


def test_three_engines_give_the_same_bytes_on_every_rule_example(tmp_path):
    rulebook = default_rulebook()
    answers = [example for rule in rulebook.rules for kind in ("fires", "silent")
               for example in getattr(rule.examples, kind)]
    header = list(dict.fromkeys(name for example in answers for name in example))
    path = tmp_path / "examples.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for example in answers:
            writer.writerow([_cell(example.get(name)) for name in header])
    found = outputs(path)
    assert_all_equal(found)
    answered = [example for example in answers if any(_cell(value) for value in example.values())]
    assert found["columnar"][0].count(b",ok,") == len(answered)  # an example of no answers is a blank line


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.csv")
                                        if p.name not in ("empty.csv", "header_only.csv")))
def test_the_awkward_inputs_give_the_same_bytes(name, tmp_path):
    assert_all_equal(outputs(FIXTURES / name, engines=("durable", "columnar"), where=tmp_path))


def test_blank_ragged_and_quoted_rows_in_one_chunk_keep_their_places(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"respondent_id,age_years,medications,smoker\r\n"
                     b"A,40,\"sertraline,\r\naspirin\",yes\r\n\r\n,,,\r\nB,30\r\nC,50,,no,extra\rD,20,,n\r\n")
    assert_all_equal(outputs(path, engines=("durable", "columnar")))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files())
def test_random_csv_files_give_the_same_bytes_by_column(case):
    """Quotes, CR, LF, CRLF, four delimiters and blank lines, as in test_batch_property."""
    text, expected = case
    columnar = score(text, "--jobs", "2", "--engine", "columnar")
    assert columnar == score(text, "--jobs", "1", "--engine", "durable")
    assert len(columnar.splitlines()) >= len(expected) + 1


RAGGED_CELL = st.sampled_from(["", "", "", "40", "yes", "no", "20", " ", "sertraline"])


@st.composite
def ragged_files(draw: st.DrawFn) -> str:
    """Rows under a header of 5 cells, where cells move from one row to another (so the total count
    of delimiters still fits, the case where polars reads the chunk), blank lines, with or without a
    last line break."""
    rows = draw(st.lists(st.lists(RAGGED_CELL, min_size=5, max_size=5), min_size=2, max_size=12))
    row = st.one_of(st.just(0), st.just(-1), st.integers(0, 11))  # the first and last rows are the edges
    for source, target, cell in draw(st.lists(st.tuples(row, row, RAGGED_CELL), max_size=2)):
        if source < len(rows) and target < len(rows) and len(rows[source]) > 2:
            rows[source].pop()
            rows[target].append(cell)
    blank = draw(st.one_of(st.none(), st.sampled_from(range(len(rows)))))  # a blank line: the csv module reads
    lines = ["" if i == blank else f"R{i}," + ",".join(cells[1:]) for i, cells in enumerate(rows)]
    text = "respondent_id,age_years,medications,smoker,ferritin_ng_ml\n" + "\n".join(lines)
    return text + ("\n" if draw(st.booleans()) else "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ragged_files())
def test_random_ragged_files_give_the_same_bytes_by_column(text):
    assert score(text, "--jobs", "1", "--engine", "columnar") == score(text, "--jobs", "1", "--engine", "durable")


def test_workers_started_from_a_process_with_polars_loaded_see_its_environment(tmp_path):
    """In-process (polars loaded here): workers come from a fork server, yet the crash switch set
    in this process's environment reaches them, and the crash changes no byte."""
    import polars  # noqa: F401 (its threads run in this process now)

    text = "respondent_id,age_years,ferritin_ng_ml\n" + "".join(f"R{i},{30 + i % 50},{10 + i}\n" for i in range(300))
    clean = score(text, "--jobs", "2", "--engine", "columnar")
    marker = tmp_path / "crashed"
    crashed = score(text, "--jobs", "2", "--engine", "columnar",
                    env={"SCREENER_TEST_CRASH_ROW": "150", "SCREENER_TEST_CRASH_ONCE": str(marker)})
    assert marker.exists() and crashed == clean


def test_a_mapping_files_codes_apply_by_column(tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns: {ID: respondent_id, Ferritin: ferritin_ng_ml}\nmissing: [-999, NA]\n"
                       "unknown: [-888]\nvalues: {sex: {1: female, 2: male}, smoker: {j: yes}}\ndecimal_comma: true\n")
    path = tmp_path / "coded.csv"
    path.write_text("ID,age_years,sex,Ferritin,smoker\nA,40,1,\"12,5\",j\nNA,-999,2,-888,-888\n -999 ,30,3,abc,n\n")
    assert_all_equal(outputs(path, "--mapping", str(mapping), engines=("durable", "columnar")))


@pytest.mark.parametrize("export", ["export-raw.csv", "export-labels.csv"])
def test_redcap_exports_read_by_their_dictionary_are_scored_by_column(tmp_path, export):
    redcap = ROOT / "examples" / "redcap"
    found = outputs(redcap / export, "--redcap-dictionary", str(redcap / "dictionary.csv"),
                    engines=("durable", "columnar"), where=tmp_path)
    assert_all_equal(found)
    assert b"scored row by row" not in found["columnar"][1]


def test_inputs_the_columnar_engine_does_not_cover_are_scored_row_by_row_and_counted(tmp_path):
    found = outputs(ROOT / "examples" / "spreadsheet-export.csv",
                    "--mapping", str(ROOT / "examples" / "spreadsheet-mapping.yaml"),
                    engines=("durable", "columnar"), where=tmp_path)
    assert_all_equal(found)
    assert b"rows were scored row by row with durable-rules" in found["columnar"][1]


def test_the_default_engine_is_columnar_for_csv_output_of_big_inputs_on_local_workers():
    assert default_engine(BatchOptions(["x.csv"]), 5_000_000) == "columnar"
    assert default_engine(BatchOptions(["-"]), None) == "columnar"  # standard input: size unknown
    assert default_engine(BatchOptions(["x.csv"]), 20_000) == "durable"  # small: polars would not pay for itself
    assert default_engine(BatchOptions(["x.csv"], verify_sample=10), 20_000) == "columnar"
    for other in ("x.jsonl", "x.JSON", "x.parquet"):  # read row by row anyway: no polars for nothing
        assert default_engine(BatchOptions(["x.csv", other]), 5_000_000) == "durable"


@pytest.mark.parametrize("body", [
    b"C,1,,,\nB,50,,no\nA,40,sertraline,yes,20,",  # no last line break, a trailing empty cell
    b"A,40,x,yes,20,extra\nB,50,,no\nC,30,,no,5\n",  # too many cells first, too few after
], ids=["trailing-cell-at-end", "too-many-then-too-few"])
def test_ragged_rows_read_by_polars_stay_invalid(tmp_path, body):
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"respondent_id,age_years,medications,smoker,ferritin_ng_ml\n" + body)
    found = outputs(path, engines=("durable", "columnar"))
    assert_all_equal(found)
    assert b"died" not in found["columnar"][1]  # read as CSV, not by a worker failure and a retry
    assert default_engine(BatchOptions(["x.csv"], format="jsonl")) == "durable"
    assert default_engine(BatchOptions(["x.csv"], cluster="local[2]")) == "durable"
    assert default_engine(BatchOptions(["x.csv"], engine="reference")) == "reference"


PROBE = """
import sys
from screener.ui.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("POLARS" if "polars" in sys.modules else "NO POLARS", file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["batch", "--help"], ["score", "examples/low-ferritin-on-sertraline.json"]],
                         ids=["help", "batch-help", "score"])
def test_polars_is_imported_only_by_the_batch_path(args):
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, timeout=60)
    assert result.stderr.decode().strip().endswith("NO POLARS"), result.stderr.decode()


def test_a_last_chunk_of_one_row_is_no_input_the_engine_cannot_read(tmp_path):
    path = tmp_path / "tail.csv"
    path.write_text("respondent_id,age_years\n" + "".join(f"R{i},{20 + i % 60}\n" for i in range(10_001)))
    found = outputs(path, engines=("durable", "columnar"))  # chunks of 10,000 rows: the last holds one
    assert_all_equal(found)
    assert b"scored row by row" not in found["columnar"][1]


def test_json_lines_reports_from_columns_equal_durable_rules_reports(tmp_path):
    path = tmp_path / "messy.csv"
    bench.generate(path, 3_000, seed=5, messy=True)
    found = outputs(path, "--format", "jsonl", engines=("durable", "columnar"))
    assert_all_equal(found)
    assert b'"status":"invalid"' in found["columnar"][0] and b'"warnings":[{' in found["columnar"][0]
    assert b"scored row by row" not in found["columnar"][1]  # built from the columns, not scored row by row


def test_verify_sample_scores_rows_again_with_durable_rules(tmp_path):
    path = tmp_path / "messy.csv"
    bench.generate(path, 3_000, seed=3, messy=True)
    checked, plain = tmp_path / "checked.csv", tmp_path / "plain.csv"
    result = ok(screener("batch", str(path), "-o", str(checked), "--verify-sample", "200"))
    ok(screener("batch", str(path), "-o", str(plain), "--engine", "durable"))
    assert checked.read_bytes() == plain.read_bytes()
    line = next(text for text in result.stderr.decode().splitlines() if text.startswith("verified:"))
    sampled = int(line.split()[1])
    assert 190 <= sampled <= 200 and line.endswith(", 0 differ")
    refused = screener("batch", str(path), "--verify-sample", "5", "--engine", "reference")
    assert refused.returncode == 2 and b"--verify-sample checks the columnar engine" in refused.stderr


def test_verify_names_the_rows_whose_output_durable_rules_does_not_confirm(tmp_path):
    from screener.io.columnar import ColumnarScorer
    from screener.io.csv_input import Chunk
    from screener.io.scorer import Tally
    from screener.io.sources import open_source

    path = tmp_path / "in.csv"
    bench.generate(path, 40, seed=2)
    source = open_source(str(path), BatchOptions([str(path)], engine="columnar"), lambda line: None)
    [chunk] = list(source.chunks(100))
    source.close()
    scorer = ColumnarScorer(source.settings)
    text, _ = scorer(chunk)
    tally = Tally()
    scorer.verify(Chunk(chunk.start_row, chunk.count, chunk.text, verify=40), text, tally)
    assert (tally.verified, tally.differed) == (40, [])
    tampered = text.replace("\n7,R0000007,ok,", "\n7,R0000007,invalid,")
    assert tampered != text
    tally = Tally()
    scorer.verify(Chunk(chunk.start_row, chunk.count, chunk.text, verify=40), tampered, tally)
    assert tally.differed == [7]
