"""The medication lexicon by column: a column of medication answers -> the derived facts
(`medication_classes` as a bit mask, `medication_count`, `unrecognised_medication_count`),
the same as `facts.build_facts` derives row by row.

Each distinct cell text is split and cleaned by the Intake model (through the column
validator's memoised outcome) and its facts derived by `build_facts` itself (the lexicon's
own matcher, memoised there), so the two paths cannot drift; its classes become one bit mask
per distinct text, and the result is mapped back onto the column. Cohorts repeat the same medication texts, so this
costs one dictionary lookup per distinct text and one hash lookup per row.

Imported only by the batch path.
"""

from __future__ import annotations

from typing import Callable, Mapping

import polars as pl

from .cached_intake import EMPTY_INTAKE, Outcome
from .facts import build_facts
from .lexicon import Lexicon

CLASSES, COUNT, UNRECOGNISED = "medication_classes", "medication_count", "unrecognised_medication_count"
LIST_FIELD = "medications"


class ColumnLexicon:
    """Derived medication facts per distinct answer text (one instance per worker)."""

    def __init__(self, lexicon: Lexicon, bits: Mapping[str, int], outcome: Callable[[str, str], Outcome],
                 max_cached: int = 100_000):
        self.lexicon, self.bits, self.outcome = lexicon, bits, outcome
        self.max_cached = max_cached
        self._cache: dict[str, tuple[int | None, int | None, int | None]] = {}

    def derive(self, text: str) -> tuple[int | None, int | None, int | None]:
        """(class mask or None, count, unrecognised count) of one answer; Nones when not answered."""
        hit = self._cache.get(text)
        if hit is None:
            names = self.outcome(LIST_FIELD, text)[0]
            if names is None:
                hit = (None, None, None)
            else:  # the facts of an intake of this one answer, by `build_facts` itself
                intake = EMPTY_INTAKE.model_copy(update={LIST_FIELD: list(names)})  # not a new Intake: ~100 us each
                facts = build_facts(intake, self.lexicon).facts
                mask = sum(self.bits[cls] for cls in facts.get(CLASSES, ()))
                hit = (mask or None, facts.get(COUNT), facts.get(UNRECOGNISED))
            if len(self._cache) >= self.max_cached:
                self._cache.clear()
            self._cache[text] = hit
        return hit

    def facts(self, column: pl.Series) -> pl.DataFrame:
        """The three derived columns for a column of answer texts (null: not answered)."""
        texts = column.drop_nulls().unique().to_list()
        derived = [self.derive(text) for text in texts]
        out = {}
        for i, name in enumerate((CLASSES, COUNT, UNRECOGNISED)):
            if texts:
                out[name] = column.replace_strict(texts, [d[i] for d in derived], default=None, return_dtype=pl.Int64)
            else:
                out[name] = pl.Series(name, [None] * column.len(), pl.Int64)
        return pl.DataFrame(out)
