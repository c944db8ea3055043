"""`NEEDS_CARE`, the pattern the columnar engine uses to find the cells `text_cell` may change,
must agree with `text_cell` itself (both the Python and the polars regex engines read it)."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.io.batch_output import NEEDS_CARE, text_cell

EDGY = st.sampled_from(list("=+-@\t\r\n,\"' 1aé\uff1d\uff0b\uff0d\uff20"))
TEXTS = st.lists(st.one_of(EDGY, st.characters(exclude_categories=("Cs",))), max_size=6).map("".join)  # text, not surrogates


@settings(max_examples=500)
@given(TEXTS)
def test_needs_care_finds_every_cell_text_cell_changes(text):
    changed = text_cell(text) != text
    assert not changed or re.search(NEEDS_CARE, text), text
    assert not changed or pl.Series([text]).str.contains(NEEDS_CARE)[0], text
