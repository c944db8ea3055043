"""`screener batch`: real-world files, nothing lost, same results however it is run."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path

import pytest
from helpers import invoke

from screener.io.batch_output import COLUMNS, safe_cell

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "batch"
EXAMPLES = ROOT / "examples"


def run(*args: str, stdin: str | bytes | None = None, code: int = 0):
    """`screener batch ARGS`, checked: the exit code and no escaped exception."""
    return invoke(["batch", *args], input=stdin, code=code)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def codes(row: dict[str, str], column: str) -> list[str]:
    return [code for code in row[column].split("; ") if code]


def write_synthetic(path: Path, rows: int) -> Path:
    """A realistic cohort from the benchmark's generator (blank cells, unsure answers, bad cells)."""
    spec = importlib.util.spec_from_file_location("batch_bench", ROOT / "benchmarks" / "batch_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(path, rows)
    return path


def data_rows(path: Path) -> int:
    """Records after the header, counted the way a spreadsheet would."""
    data = path.read_bytes()
    text = data.decode("utf-16") if data.startswith(b"\xff\xfe") else data.decode("utf-8-sig", errors="replace")
    delimiter = max((";", ",", "\t"), key=text.count)
    return max(0, len(list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))) - 1)


READABLE = ["bom", "semicolons", "crlf", "cp1252", "embedded_newline", "ragged_row", "text_in_number",
            "out_of_range", "duplicate_header", "header_only", "canonical", "utf16"]


@pytest.mark.parametrize("name", READABLE)
def test_rows_in_equal_rows_out_in_order(name):
    path = FIXTURES / f"{name}.csv"
    result = run(str(path), "--jobs", "1")
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert result.stdout.splitlines()[0] == ",".join(COLUMNS)
    assert [int(r["row"]) for r in rows] == list(range(1, data_rows(path) + 1))
    assert f"rows: {len(rows)}," in result.stderr


@pytest.mark.parametrize("name", ["bom", "semicolons", "crlf", "embedded_newline", "utf16"])
def test_encodings_delimiters_and_line_ends_read_like_the_plain_file(name):
    plain = rows_of(run(str(FIXTURES / "canonical.csv")).stdout)
    other = rows_of(run(str(FIXTURES / f"{name}.csv")).stdout)
    assert [r["status"] for r in other] == ["ok"] * 3
    assert other[0]["respondent_id"] == "P1"  # no BOM left on the first header
    assert other[1:] == plain[1:]
    if name != "embedded_newline":
        assert other == plain
    first = other[0]
    assert "iron_deficiency" in codes(first, "contributors") and "drug_ssri" in codes(first, "contributors")


def test_cp1252_is_read_with_a_warning():
    result = run(str(FIXTURES / "cp1252.csv"))
    assert result.exit_code == 0
    assert "Windows-1252" in result.stderr
    assert rows_of(result.stdout)[0]["respondent_id"] == "Zoë"


def test_known_findings_per_row():
    rows = rows_of(run(str(FIXTURES / "canonical.csv")).stdout)
    assert "pregnancy" in codes(rows[1], "contributors")
    assert "kidney_failure" in codes(rows[2], "contributors")


@pytest.mark.parametrize("name, row, field, reason", [
    ("ragged_row", 2, "(row)", "has 3 cells but the header has 9"),
    ("ragged_row", 3, "(row)", "has 11 cells but the header has 9"),
    ("text_in_number", 2, "ferritin_ng_ml", "'lots' is not a number"),
    ("out_of_range", 2, "pregnancy_trimester", "5 is out of range (1 to 3)"),
    ("out_of_range", 3, "age_years", "170 is out of range"),
    ("duplicate_header", 3, "ferritin_ng_ml", "given in several columns (4, 5) with different answers"),
])
def test_invalid_rows_name_field_and_reason_and_the_batch_goes_on(name, row, field, reason):
    result = run(str(FIXTURES / f"{name}.csv"))
    assert result.exit_code == 0
    rows = rows_of(result.stdout)
    bad = rows[row - 1]
    assert bad["status"] == "invalid" and f"{field}: {reason}" in bad["errors"]
    assert rows[0]["status"] == "ok"
    assert run(str(FIXTURES / f"{name}.csv"), "--strict", code=1)


def test_duplicate_header_agreeing_or_single_answers_are_used():
    result = run(str(FIXTURES / "duplicate_header.csv"))
    assert "columns 4, 5 all map to ferritin_ng_ml" in result.stderr
    rows = rows_of(result.stdout)
    assert [r["status"] for r in rows] == ["ok", "ok", "invalid"]
    assert "iron_deficiency" in codes(rows[0], "contributors")


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\n\n", "the file is empty"),
    (b"colour,shoe size\nblue,42\n", "no header matches an intake field"),
    (b"\x81\x8d\xff\xfebad", "neither UTF-8 nor Windows-1252"),
    (b"PK\x03\x04\x14\x00\x06\x00", "the file holds NUL bytes"),  # a workbook, not its CSV export
    ("age_years\n40\n".encode("utf-16-le"), "the file holds NUL bytes"),  # UTF-16 without its mark
])
def test_unreadable_files_exit_2_before_any_work(tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    out = tmp_path / "out.csv"
    result = run(str(path), "-o", str(out), code=2)
    assert message in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_empty_fixture_and_missing_file():
    run(str(FIXTURES / "empty.csv"), code=2)
    result = run(str(FIXTURES / "no-such-file.csv"), code=2)
    assert "cannot read" in result.stderr


def test_unmapped_header_is_reported_once_by_name_only():
    text = "respondent_id,age_years,favourite colour\nA,40,blue\nB,41,green\n"
    result = run("-", stdin=text)
    assert result.stderr.count("'favourite colour' matches no intake field") == 1
    assert "blue" not in result.stderr and "green" not in result.stderr
    assert [r["status"] for r in rows_of(result.stdout)] == ["ok", "ok"]


def test_respondent_id_defaults_to_the_row_number():
    rows = rows_of(run("-", stdin="age_years,ferritin_ng_ml\n40,10\n41,\n").stdout)
    assert [r["respondent_id"] for r in rows] == ["1", "2"]


def test_headers_match_ignoring_case_spaces_and_punctuation():
    rows = rows_of(run("-", stdin="Respondent ID,Age-Years,FERRITIN (ng/mL)\nA,40,10\n").stdout)
    assert rows[0]["respondent_id"] == "A" and "iron_deficiency" in codes(rows[0], "contributors")


def test_missing_codes_come_only_from_the_mapping(tmp_path):
    text = "respondent_id,age_years,ferritin_ng_ml\nA,40,NA\nB,41,-999\n"
    plain = rows_of(run("-", stdin=text).stdout)
    assert [r["status"] for r in plain] == ["invalid", "invalid"]  # no default list of missing codes
    assert "ferritin_ng_ml: 'NA' is not a number" in plain[0]["errors"]
    assert "ferritin_ng_ml: -999 is out of range" in plain[1]["errors"]
    mapping = tmp_path / "map.yaml"
    mapping.write_text('missing: ["NA", "-999"]\n')
    mapped = rows_of(run("-", "--mapping", str(mapping), stdin=text).stdout)
    assert [r["status"] for r in mapped] == ["ok", "ok"]
    assert all("ferritin_missing" in codes(r, "data_gaps") for r in mapped)


def test_redcap_example_with_mapping_file():
    result = run(str(EXAMPLES / "spreadsheet-export.csv"), "--mapping", str(EXAMPLES / "spreadsheet-mapping.yaml"))
    assert result.exit_code == 0, result.output
    rows = {r["respondent_id"]: r for r in rows_of(result.stdout)}
    assert list(rows) == ["1001", "1002", "1003", "1004"]
    assert all(r["status"] == "ok" for r in rows.values())
    assert "drug_ssri" in codes(rows["1001"], "contributors")            # meds___1 ticked
    assert "iron_deficiency" in codes(rows["1001"], "contributors")      # "Ferritin (ng/mL)"
    assert "tsat_missing" in codes(rows["1001"], "data_gaps")            # -999 = not answered
    assert "pregnancy" in codes(rows["1002"], "contributors")            # sex 1 = female, "Yes"
    assert "kidney_failure" in codes(rows["1003"], "contributors")       # kidney 2 = dialysis
    assert "drug_antiemetic_d2" in codes(rows["1004"], "contributors")   # meds___4 = metoclopramide
    assert "'Visit notes' matches no intake field" in result.stderr


def test_checkbox_cells_other_than_0_or_1_are_row_errors(tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("checkboxes:\n  meds:\n    codes: {1: sertraline}\n")
    rows = rows_of(run("-", "--mapping", str(mapping), stdin="age_years,meds___1\n40,1\n41,0\n42,x\n").stdout)
    assert "drug_ssri" in codes(rows[0], "contributors") and rows[1]["status"] == "ok"
    assert rows[2]["status"] == "invalid" and "medications: checkbox column 'meds___1'" in rows[2]["errors"]


@pytest.mark.parametrize("content, message", [
    ("columns: {Age: shoe_size}\n", "'shoe_size' is not an intake field"),
    ("colums: {}\n", "unknown section(s) ['colums']"),
    ("missing: NA\n", "missing: expected a list"),
    ("checkboxes: {meds: {codes: {1: 'a, b'}}}\n", "may not contain"),
    ("[unclosed\n", "not valid YAML"),
])
def test_bad_mapping_files_exit_2(tmp_path, content, message):
    mapping = tmp_path / "map.yaml"
    mapping.write_text(content)
    result = run(str(FIXTURES / "canonical.csv"), "--mapping", str(mapping), code=2)
    assert message in result.stderr


def test_formula_injection_is_escaped_in_text_cells_only():
    text = 'respondent_id,age_years,ferritin_ng_ml\n=HYPERLINK("x"),40,10\n-3,41,=1+1\n@SUM(A1),42,-3\n+cmd,43,\n'
    rows = rows_of(run("-", stdin=text).stdout)
    assert [r["respondent_id"] for r in rows] == ["'=HYPERLINK(\"x\")", "-3", "'@SUM(A1)", "'+cmd"]
    assert rows[1]["status"] == "invalid" and rows[1]["errors"].startswith("ferritin_ng_ml: '=1+1'")
    assert "ferritin_ng_ml: -3 is out of range" in rows[2]["errors"]
    assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx" and safe_cell("-3.5") == "-3.5"
    assert safe_cell("plain") == "plain" and safe_cell("") == ""


def test_cells_with_line_breaks_are_quoted_and_escaped_on_every_line():
    """A reader sees one row per respondent; no line of the file starts a formula, full-width forms included."""
    ids = ["x\r=cmd|' /C calc'!A0", "a\n+b", "c\r\n@d", "\uff1dSUM(A1)", "\uff0b1", "ok\rthen"]
    text = "respondent_id,age_years\n" + "".join(f'"{i}",40\n' for i in ids)
    out = run("-", stdin=text).stdout_bytes.decode()
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [r["respondent_id"] for r in rows] == [
        "x\r'=cmd|' /C calc'!A0", "a\n'+b", "c\r\n'@d", "'\uff1dSUM(A1)", "'\uff0b1", "ok\rthen"]
    for line in out.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")), line
    assert safe_cell("1\n-3") == "1\n-3" and safe_cell("\uff0dx") == "'\uff0dx" and safe_cell("\uff20x") == "'\uff20x"


def test_jobs_1_and_2_give_identical_output(tmp_path):
    path = write_synthetic(tmp_path / "cohort.csv", 4500)  # 3 chunks: both workers take part
    one = run(str(path), "--jobs", "1", "--quiet").stdout
    two = run(str(path), "--jobs", "2", "--quiet").stdout
    assert one == two and [int(r["row"]) for r in rows_of(one)] == list(range(1, 4501))


def test_csv_and_json_lines_input_give_identical_results(tmp_path):
    path = write_synthetic(tmp_path / "cohort.csv", 300)
    jsonl = tmp_path / "cohort.jsonl"
    with path.open(newline="") as handle, jsonl.open("w") as out:
        for record in csv.DictReader(handle):
            out.write(json.dumps({k: v for k, v in record.items() if v != ""}) + "\n")
    for fmt in ("csv", "jsonl"):
        from_csv = run(str(path), "--format", fmt, "--jobs", "2").stdout
        from_jsonl = run(str(jsonl), "--format", fmt, "--jobs", "2").stdout
        assert from_csv == from_jsonl


def test_json_lines_output_has_full_reports_and_bad_lines_are_invalid_rows(tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"respondent_id": "A", "age_years": 50, "ferritin_ng_ml": 10}\n'
                     "{not json\n"
                     "[1, 2]\n"
                     '{"respondent_id": "D", "age_years": 50, "favourite_colour": "blue"}\n'
                     '{"age_years": 30, "medications": ["sertraline"]}\n')
    result = run(str(jsonl), "--format", "jsonl")
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["row"] for r in reports] == [1, 2, 3, 4, 5]
    assert [r["status"] for r in reports] == ["ok", "invalid", "invalid", "invalid", "ok"]
    first = reports[0]
    assert first["respondent_id"] == "A" and first["rulebook"]["sha256"]
    iron = [f for f in first["findings"] if f["code"] == "iron_deficiency"]
    assert iron and iron[0]["sources"] and iron[0]["because"]
    assert reports[1]["errors"][0]["field"] == "(row)" and "not valid JSON" in reports[1]["errors"][0]["message"]
    assert reports[3]["errors"][0]["field"] == "favourite_colour"
    assert reports[4]["respondent_id"] == "5" and any(f["code"] == "drug_ssri" for f in reports[4]["findings"])


def test_output_file_is_written_whole_and_the_engines_agree(tmp_path):
    out_durable, out_reference = tmp_path / "d.csv", tmp_path / "r.csv"
    assert run(str(FIXTURES / "canonical.csv"), "-o", str(out_durable)).exit_code == 0
    assert run(str(FIXTURES / "canonical.csv"), "-o", str(out_reference), "--engine", "reference").exit_code == 0
    assert out_durable.read_text() == out_reference.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "r.csv"]  # no temporary file left


def test_tab_and_pipe_delimiters_and_override(tmp_path):
    canonical = (FIXTURES / "canonical.csv").read_text()
    plain = run(str(FIXTURES / "canonical.csv")).stdout
    for delimiter, option in (("\t", "tab"), ("|", "|")):
        text = canonical.replace(",", delimiter)
        assert run("-", stdin=text).stdout == plain
        assert run("-", "--delimiter", option, stdin=text).stdout == plain


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_blank_lines_are_skipped_and_counted_keeping_row_numbers(ending):
    """Wholly blank lines (and rows of empty cells) are no respondents; rows keep spreadsheet numbers."""
    lines = ["", "age_years,ferritin_ng_ml", "", "40,10", "", "41,12", "  ", ",", " , ", "42,13", "", ""]
    result = run("-", "-o", "-", stdin=ending.join(lines))
    rows = rows_of(result.stdout)
    assert [(r["row"], r["status"]) for r in rows] == [("2", "ok"), ("4", "ok"), ("8", "ok")]
    assert "rows: 3, ok: 3, invalid: 0, error: 0, with warnings: 0, blank lines skipped: 6" in result.stderr
    jsonl = ending.join(["", '{"age_years": 40}', " ", '{"age_years": 41}', "{}", '{"sex": "", "age_years": null}',
                         '{"age_years": 42}', ""])
    result = run("-", stdin=jsonl)
    assert [(r["row"], r["status"]) for r in rows_of(result.stdout)] == [("2", "ok"), ("4", "ok"), ("7", "ok")]
    assert "blank lines skipped: 4" in result.stderr


def test_an_output_folder_that_does_not_exist_fails_before_any_work(tmp_path):
    result = run(str(FIXTURES / "canonical.csv"), "-o", str(tmp_path / "missing" / "out.csv"), code=2)
    assert "cannot write" in result.stderr


def test_quoted_line_breaks_across_chunk_boundaries(tmp_path):
    path = tmp_path / "multiline.csv"
    lines = ["respondent_id,age_years,medications"]
    lines += [f'R{i},{30 + i % 50},"sertraline\r\nferrous sulfate, ""extra"""' for i in range(1, 4101)]
    path.write_text("\r\n".join(lines) + "\r\n", newline="")
    one = run(str(path), "--jobs", "1").stdout
    rows = rows_of(one)
    assert [r["respondent_id"] for r in rows] == [f"R{i}" for i in range(1, 4101)]
    assert all(r["status"] == "ok" and "drug_ssri" in codes(r, "contributors") for r in rows)
    assert run(str(path), "--jobs", "2").stdout == one


def test_outputs_that_cannot_be_renamed_over_are_written_in_place(tmp_path):
    """A named pipe (like /dev/stdout or /dev/null) is written to, not replaced; a link to a file is refused."""
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    run(str(FIXTURES / "canonical.csv"), "-o", str(fifo), "--quiet")
    reader.join(10)
    assert len(rows_of(received[0])) == 3 and fifo.is_fifo()
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    link.symlink_to(real)
    result = run(str(FIXTURES / "canonical.csv"), "-o", str(link), "--quiet", code=2)
    assert f"{link}: is a symbolic link; give the path of the file itself" in result.stderr
    assert link.is_symlink() and real.read_text() == "old\n"
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere.csv")
    run(str(FIXTURES / "canonical.csv"), "-o", str(dangling), "--quiet", code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.csv", "link.csv", "pipe", "real.csv"]


@pytest.mark.parametrize("rows, bad_row", [(3, 1), (3000, 2500)])
def test_a_quote_never_closed_stops_the_run_naming_the_row(tmp_path, rows, bad_row):
    """Otherwise every line after it would vanish into one cell, and the row could even pass as ok."""
    lines = ["respondent_id,age_years,notes"]
    lines += [f"R{i},40," + ('"unclosed' if i == bad_row else "x") for i in range(1, rows + 1)]
    path = tmp_path / "in.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    result = run(str(path), "-o", str(out), code=2)
    after = rows - bad_row
    assert f"{path}: row {bad_row}: a quoted cell opens there and is never closed, so the {after} lines" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    # a quote left open on the last line takes in nothing: that row is read (here: ok), the run goes on
    path.write_text("respondent_id,age_years,notes\nR1,40,x\nR2,41,\"open\n")
    assert [r["status"] for r in rows_of(run(str(path)).stdout)] == ["ok", "ok"]


def test_mapping_values_are_read_as_written_not_as_yaml_booleans(tmp_path):
    """Unquoted No/Yes/Off in YAML would be false/true: a label such as `No: none` must still match."""
    mapping = tmp_path / "map.yaml"
    mapping.write_text("values:\n  kidney_disease: {No: none, Yes: ckd}\nunknown: [Off]\nmissing: [01]\n")
    text = "respondent_id,kidney_disease,smoker,age_years\nA,No,Off,40\nB,Yes,no,01\n"
    rows = rows_of(run("-", "--mapping", str(mapping), stdin=text).stdout)
    assert [r["status"] for r in rows] == ["ok", "ok"], rows
    assert "kidney_disease" in codes(rows[1], "contributors")


def test_json_lines_numbers_are_recoded_like_csv_cells(tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("missing: [-999]\nunknown: [-888]\nvalues:\n  sex: {1: female, 2: male}\n")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"respondent_id": "A", "sex": 1, "ferritin_ng_ml": -999, "urge_to_move": -888}\n'
                     '{"respondent_id": "B", "sex": "1", "ferritin_ng_ml": "-999", "urge_to_move": "-888"}\n')
    reports = [json.loads(line) for line in run(str(jsonl), "--mapping", str(mapping), "--format", "jsonl").stdout.splitlines()]
    assert [r["status"] for r in reports] == ["ok", "ok"], reports
    for report in reports:
        assert any(f["code"] == "ferritin_missing" for f in report["findings"])


def test_ticked_checkboxes_are_kept_when_the_other_column_says_unknown(tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns: {meds_other: medications}\nunknown: [-888]\n"
                       "checkboxes:\n  meds:\n    codes: {1: sertraline, 2: pramipexole}\n")
    text = "age_years,meds___1,meds___2,meds_other\n40,1,0,-888\n41,0,0,-888\n"
    rows = rows_of(run("-", "--mapping", str(mapping), stdin=text).stdout)
    assert "drug_ssri" in codes(rows[0], "contributors")
    assert rows[1]["status"] == "ok" and "drug_ssri" not in codes(rows[1], "contributors")


def test_duplicate_columns_that_agree_in_value_are_not_a_conflict():
    text = "respondent_id,ferritin_ng_ml,Ferritin (ng/mL),pregnant,Pregnant\nA,10,10.0,Yes,1\nB,10,12,no,no\n"
    rows = rows_of(run("-", stdin=text).stdout)
    assert rows[0]["status"] == "ok" and "iron_deficiency" in codes(rows[0], "contributors")
    assert rows[1]["status"] == "invalid" and "ferritin_ng_ml: given in several columns (2, 3)" in rows[1]["errors"]


def test_decimal_commas_only_when_the_mapping_says_so(tmp_path):
    text = "respondent_id;age_years;ferritin_ng_ml;hemoglobin_g_dl;medications\nE1;52;18,5;12,1 g/dL;sertraline, iron\n"
    plain = rows_of(run("-", stdin=text).stdout)[0]
    assert plain["status"] == "invalid" and "ferritin_ng_ml: '18,5'" in plain["errors"]
    mapping = tmp_path / "map.yaml"
    mapping.write_text("decimal_comma: true\n")
    row = rows_of(run("-", "--mapping", str(mapping), stdin=text).stdout)[0]
    assert row["status"] == "ok" and "iron_deficiency" in codes(row, "contributors")
    assert "drug_ssri" in codes(row, "contributors")  # a list keeps its commas
    mapping.write_text("decimal_comma: perhaps\n")
    run("-", "--mapping", str(mapping), stdin=text, code=2)


def test_ragged_rows_keep_their_respondent_id_and_a_stray_line_break_is_pointed_out():
    rows = rows_of(run(str(FIXTURES / "ragged_row.csv")).stdout)
    assert [r["respondent_id"] for r in rows] == ["P1", "P2", "P3"]
    text = 'respondent_id,age_years,notes\nA,40,"one\ntwo",x\nB,41,ok\n'
    rows = rows_of(run("-", stdin=text).stdout)
    assert rows[0]["respondent_id"] == "A" and "a quoted cell holds a line break" in rows[0]["errors"]
    assert rows[1]["status"] == "ok"


def test_an_unmatched_header_that_looks_like_a_field_gets_a_hint():
    result = run("-", stdin="respondent_id,Age,Ferritin,Notes\nA,40,10,x\n")
    assert "'Age' matches no intake field and is ignored (is it age_years?" in result.stderr
    assert "'Ferritin' matches no intake field and is ignored (is it ferritin_ng_ml?" in result.stderr
    assert "'Notes' matches no intake field and is ignored\n" in result.stderr
