"""The lexicon by column derives the medication facts that `build_facts` derives row by row."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.core.columnar_intake import ColumnValidator
from screener.core.columnar_lexicon import CLASSES, COUNT, UNRECOGNISED, ColumnLexicon
from screener.core.columnar_rules import item_bits
from screener.core.facts import build_facts
from screener.core.parse import parse_intake
from screener.core.rulebook import default_rulebook

LEXICON = default_rulebook().lexicon
BITS = item_bits(LEXICON.classes)
NAMES = [*LEXICON.names[::7], "Tylenol PM", "sertraline 50 mg", "vitamin q", "xyz 10 mg", "none", "No medicines", "nil"]
cells = st.one_of(st.sampled_from([None, "  ", "unsure", "Unknown"]),
                  st.lists(st.sampled_from(NAMES), max_size=4).flatmap(
                      lambda names: st.sampled_from(["; ", ",", ";", "\n"]).map(lambda sep: sep.join(names))))


@settings(max_examples=150, deadline=None)
@given(batch=st.lists(cells, min_size=1, max_size=20))
def test_medication_facts_by_column_match_build_facts(batch):
    column = ColumnLexicon(LEXICON, BITS, ColumnValidator().outcome)
    got = column.facts(pl.Series("medications", [c or None for c in batch], pl.String))
    for cell, row in zip(batch, got.iter_rows(named=True), strict=True):
        facts = build_facts(parse_intake({"medications": cell} if cell else {}).intake, LEXICON).facts
        classes = sorted(cls for cls, bit in BITS.items() if (row[CLASSES] or 0) & bit) or None
        assert (classes, row[COUNT], row[UNRECOGNISED]) == (
            facts.get(CLASSES), facts.get(COUNT), facts.get(UNRECOGNISED)), cell
