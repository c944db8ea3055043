"""The batch mapping file: every wrong entry is a plain `FILE: mapping: SECTION: REASON`
error (exit 2), never a traceback, and no small file can expand into gigabytes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.core.intake import FIELDS
from screener.io.mapping import ALIASES, MAX_BYTES, SECTIONS, MappingError, _read_yaml, load_mapping

CANONICAL_CSV = Path(__file__).resolve().parent / "fixtures" / "batch" / "canonical.csv"


def write(folder: Path, text: str, name: str = "map.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return str(caught.value)


def bomb(levels: int = 9) -> str:
    """The "billion laughs" lattice inside a real section: 9 ** levels texts once expanded."""
    rows = ["  - &a0 [" + ", ".join(["lol"] * 9) + "]"]
    rows += [f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "missing:\n" + "\n".join(rows) + "\n"


# -- hand-picked wrong entries, one or more per section -----------------------------------------

WRONG = [
    # the document as a whole
    ("- columns\n", "expected a mapping with the sections " + ", ".join(SECTIONS) + ", got a list"),
    ("just text\n", "expected a mapping with the sections " + ", ".join(SECTIONS) + ", got 'just text'"),
    ("colums: {}\n", "unknown section(s) ['colums']; expected " + ", ".join(SECTIONS)),
    ("? [columns]\n: x\n", "keys must be text, got a list as a key"),
    # columns
    ("columns: [Age, age_years]\n", "columns: expected a mapping (key: value), got a list"),
    ("columns: age_years\n", "columns: expected a mapping (key: value), got 'age_years'"),
    ("columns: {Age: [age_years]}\n", "columns: Age: expected a field id (text), got a list"),
    ("columns: {Age: {field: age_years}}\n", "columns: Age: expected a field id (text), got a mapping"),
    ("columns: {Age: }\n", "columns: Age: '' is not an intake field"),
    ("columns: {Age: shoe_size}\n", "columns: Age: 'shoe_size' is not an intake field"),
    ("columns: {Age: age_year}\n", "columns: Age: 'age_year' is not an intake field (did you mean age_years?)"),
    ("columns: {[Age, Years]: age_years}\n", "columns: keys must be text, got a list as a key"),
    ("columns:\n  ? {Age: 1}\n  : age_years\n", "columns: keys must be text, got a mapping as a key"),
    # missing and unknown
    ("missing: NA\n", "missing: expected a list such as [NA, -999], got 'NA'"),
    ("missing: {NA: 1}\n", "missing: expected a list such as [NA, -999], got a mapping"),
    ("missing: [NA, [-999]]\n", "missing: item 2: expected text, got a list"),
    ("unknown: [{dont know: 1}]\n", "unknown: item 1: expected text, got a mapping"),
    # values
    ("values: [sex]\n", "values: expected a mapping (key: value), got a list"),
    ("values: {shoe_size: {1: big}}\n", "values: 'shoe_size' is not an intake field"),
    ("values: {sex: [female, male]}\n", "values: sex: expected a mapping of code: text, got a list"),
    ("values: {sex: female}\n", "values: sex: expected a mapping of code: text, got 'female'"),
    ("values: {sex: {1: [female]}}\n", "values: sex: 1: expected an answer (text), got a list"),
    ("values: {sex: {1: {f: female}}}\n", "values: sex: 1: expected an answer (text), got a mapping"),
    ("values: {sex: {[1, 2]: female}}\n", "values: sex: keys must be text, got a list as a key"),
    # checkboxes
    ("checkboxes: [meds]\n", "checkboxes: expected a mapping (key: value), got a list"),
    ("checkboxes: {meds: [1, 2]}\n", "checkboxes: meds: expected a mapping with field and codes, got a list"),
    ("checkboxes: {meds: {codes: [[1, sertraline]]}}\n",
     "checkboxes: meds: codes: expected a mapping of code: text, got a list"),
    ("checkboxes: {meds: {codes: {1: [sertraline]}}}\n",
     "checkboxes: meds: codes: 1: expected a label (text), got a list"),
    ("checkboxes: {meds: {field: [medications], codes: {1: x}}}\n",
     "checkboxes: meds: field: expected a field id (text), got a list"),
    ("checkboxes: {meds: {field: age_years, codes: {1: x}}}\n", "checkboxes: meds: field: age_years is not a list field"),
    ("checkboxes: {meds: {label: x, codes: {1: x}}}\n", "checkboxes: meds: unknown key(s) ['label']; expected field, codes"),
    ("checkboxes: {meds: {}}\n", "checkboxes: meds: give the codes, e.g. codes: {1: sertraline}"),
    ("checkboxes: {meds: {codes: {1: 'a; b'}}}\n", "checkboxes: meds: codes: a label may not contain ';' or ',': 'a; b'"),
    # decimal_comma
    ("decimal_comma: [true]\n", "decimal_comma: expected true or false, got a list"),
    ("decimal_comma: {true: 1}\n", "decimal_comma: expected true or false, got a mapping"),
    ("decimal_comma: perhaps\n", "decimal_comma: expected true or false, got 'perhaps'"),
    ("decimal_comma:\n", "decimal_comma: expected true or false, got nothing"),
]


@pytest.mark.parametrize("content, reason", WRONG)
def test_each_wrong_entry_is_named_with_its_section(tmp_path, content, reason):
    path = write(tmp_path, content)
    assert refusal(path) == f"{path}: mapping: {reason}"


def test_a_long_or_odd_key_is_shortened_in_the_message(tmp_path):
    path = write(tmp_path, "columns:\n  " + "x" * 100 + ": [age_years]\n  \"a\\nb\": [sex]\n")
    assert refusal(path) == f"{path}: mapping: columns: {'x' * 40!r}...: expected a field id (text), got a list"


@pytest.mark.parametrize("content, reason", [
    ("[unclosed\n", "not valid YAML: while parsing a flow sequence"),
    ("columns: {}\n---\nmissing: []\n", "not valid YAML: expected a single document in the stream"),
    ("columns: {a: \x01}\n", "not valid YAML: unacceptable character #x0001: special characters are not allowed"),
])
def test_what_is_not_yaml_says_so(tmp_path, content, reason):
    path = write(tmp_path, content)
    assert refusal(path) == f"{path}: {reason}"


def test_unreadable_and_oversized_files_are_refused_without_reading_them_whole(tmp_path):
    assert refusal(tmp_path) == f"{tmp_path}: cannot read: Is a directory"
    assert refusal(tmp_path / "absent.yaml") == f"{tmp_path / 'absent.yaml'}: cannot read: No such file or directory"
    big = write(tmp_path, "# padding\n" * (MAX_BYTES // 10 + 1))
    assert refusal(big) == f"{big}: larger than 1 MiB; a mapping file is a few kilobytes of text"
    (tmp_path / "binary.yaml").write_bytes(b"columns: {\xff: x}\n")
    assert "binary.yaml: not valid YAML: 'utf-8' codec can't decode byte 0xff" in refusal(tmp_path / "binary.yaml")


def test_scalars_stay_text_as_written(tmp_path):
    mapping = load_mapping(write(tmp_path, "values:\n  kidney_disease: {No: none, Yes: ckd}\n"
                                           "unknown: [Off, ~]\nmissing: [01, null, '']\ndecimal_comma: Yes\n"))
    assert mapping.values == {"kidney_disease": {"no": "none", "yes": "ckd"}}
    assert mapping.unknown == {"off", "~"} and mapping.missing == {"01", "null", ""} and mapping.decimal_comma
    assert load_mapping(write(tmp_path, "")) == load_mapping(write(tmp_path, "---\ncolumns:\nmissing:\n"))


# -- anchors, aliases and nesting ------------------------------------------------------------------

@pytest.mark.parametrize("content", [
    bomb(),
    "columns: {Age: &f age_years}\n",                    # an anchor alone is refused too
    "columns: {Age: &f age_years, Years: *f}\n",
    "base: &b {Age: age_years}\ncolumns:\n  <<: *b\n",   # merge keys are aliases
    "&doc {columns: {}}\n",
])
def test_anchors_and_aliases_are_refused_before_anything_is_built(tmp_path, content):
    path = write(tmp_path, content)
    started = time.perf_counter()
    assert refusal(path) == f"{path}: {ALIASES}"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("content, reason", [
    ("[" * 100_000 + "]" * 100_000 + "\n", "item 1: " * 8 + "nested more than 8 levels deep"),
    ("values: {sex: {1: " + "{a: " * 10_000 + "x" + "}" * 10_003 + "\n",
     "values: sex: 1: a: a: a: a: a: nested more than 8 levels deep"),
])
def test_deep_nesting_is_refused_without_recursion(tmp_path, content, reason):
    path = write(tmp_path, content)
    assert refusal(path) == f"{path}: mapping: {reason}"


# -- whatever YAML holds: a Mapping or a MappingError --------------------------------------------

_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
            | st.sampled_from([*FIELDS, *SECTIONS, "field", "codes", "true", "", "a; b"]))
_KEYS = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from([*SECTIONS, "field", "codes", "1"])
_TREES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
                      max_leaves=25)
_DOCUMENTS = _TREES | st.dictionaries(st.sampled_from(SECTIONS), _TREES, max_size=len(SECTIONS))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mappings")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_DOCUMENTS, unicode=st.booleans())
def test_any_yaml_structure_loads_or_is_a_one_line_mapping_error(folder, document, unicode):
    text = yaml.safe_dump(document, allow_unicode=unicode)
    path = write(folder, text)
    try:
        load_mapping(path)
    except MappingError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
    try:
        plain = _read_yaml(path)
    except MappingError:
        return
    assert plain == yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader: text only


# -- through the command line ---------------------------------------------------------------------

def test_a_wrong_typed_mapping_exits_2_with_the_message(tmp_path):
    path = write(tmp_path, "columns: {Age: [age_years]}\n")
    result = invoke(["batch", str(CANONICAL_CSV), "--mapping", str(path)], code=2)
    assert f"{path}: mapping: columns: Age: expected a field id (text), got a list" in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")
def test_the_console_script_refuses_an_alias_bomb_within_1_gib(tmp_path):
    import resource

    script = Path(sys.executable).with_name("screener")
    if not script.exists():
        pytest.skip("the screener console script is not installed next to this Python")
    write(tmp_path, bomb(), "bomb.yaml")
    write(tmp_path, "age_years\n40\n", "in.csv")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run([str(script), "batch", "in.csv", "--mapping", "bomb.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=30, preexec_fn=limit,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 2, done.stderr
    assert f"bomb.yaml: {ALIASES}" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
