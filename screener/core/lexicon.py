"""The medication lexicon: free-text medication answers -> drug classes.

Matching is case-insensitive and tolerant of doses, forms and punctuation: the answer is cut
into word tokens and the longest known name wins at each position, so "Tylenol PM" (a
combination product) is preferred over "Tylenol", and "sertraline 50 mg tablets" finds
"sertraline". An answer in which no known name occurs is reported as unrecognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r"[a-z][a-z0-9]*")


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens; numbers, doses and punctuation fall away."""
    return tuple(_TOKEN.findall(text.lower().replace("µ", "u")))


@dataclass(frozen=True)
class DrugClass:
    id: str
    label: str
    effect: str
    evidence: str
    sources: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Entry:
    """A known name: a drug (generic, brand or alias) or a combination product."""

    name: str
    drugs: tuple[str, ...]
    classes: frozenset[str]


@dataclass(frozen=True)
class MedicationMatch:
    text: str
    drugs: tuple[str, ...] = ()
    classes: frozenset[str] = frozenset()

    @property
    def recognised(self) -> bool:
        return bool(self.drugs)


@dataclass
class Lexicon:
    classes: dict[str, DrugClass]
    index: dict[tuple[str, ...], Entry] = field(default_factory=dict)
    longest: int = 1
    drug_classes: dict[str, frozenset[str]] = field(default_factory=dict)
    _cache: dict[str, MedicationMatch] = field(default_factory=dict, repr=False)
    CACHE_SIZE = 65536  # the same medication texts recur across a cohort

    @classmethod
    def from_data(cls, data: dict[str, Any], where: str = "medications.yaml") -> Lexicon:
        """Build and check the lexicon; raises ValueError naming the file and the entry."""
        classes = {
            cid: DrugClass(cid, spec["label"], spec["effect"], spec["evidence"], tuple(spec.get("sources") or ()),
                           spec.get("note", ""))
            for cid, spec in (data.get("classes") or {}).items()
        }
        lexicon = cls(classes)
        drug_classes = lexicon.drug_classes
        for drug in data.get("drugs") or []:
            name = drug["name"]
            unknown = set(drug.get("classes") or ()) - set(classes)
            if unknown:
                raise ValueError(f"{where}: drug {name!r} names unknown class(es) {sorted(unknown)}")
            drug_classes[name.lower()] = frozenset(drug.get("classes") or ())
            for alias in [name, *(drug.get("brands") or ()), *(drug.get("aliases") or ())]:
                lexicon._add(alias, Entry(alias, (name.lower(),), drug_classes[name.lower()]), where)
        for combo in data.get("combinations") or []:
            parts = [part.lower() for part in combo["contains"]]
            missing = [part for part in parts if part not in drug_classes]
            if missing:
                raise ValueError(f"{where}: combination {combo['name']!r} contains unknown drug(s) {missing}")
            merged = frozenset().union(*(drug_classes[part] for part in parts))
            lexicon._add(combo["name"], Entry(combo["name"], tuple(parts), merged), where)
        return lexicon

    def _add(self, name: str, entry: Entry, where: str) -> None:
        key = tokens(name)
        if not key:
            raise ValueError(f"{where}: name {name!r} has no letters")
        if key in self.index:
            raise ValueError(f"{where}: name {name!r} is listed twice (also as {self.index[key].name!r})")
        self.index[key] = entry
        self.longest = max(self.longest, len(key))

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.index.values()]

    def match(self, text: str) -> MedicationMatch:
        """Find every known name in one medication answer (memoised)."""
        found = self._cache.get(text)
        if found is None:
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            found = self._cache[text] = self._match(text)
        return found

    def _match(self, text: str) -> MedicationMatch:
        words = tokens(text)
        found: list[Entry] = []
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                entry = self.index.get(words[i:i + n])
                if entry:
                    found.append(entry)
                    i += n
                    break
            else:
                i += 1
        drugs = tuple(dict.fromkeys(d for entry in found for d in entry.drugs))
        classes = frozenset().union(*(entry.classes for entry in found)) if found else frozenset()
        return MedicationMatch(text, drugs, classes)

    def carriers(self, match: MedicationMatch, cls: str) -> list[str]:
        """The drugs of a match that belong to a class (e.g. diphenhydramine in Tylenol PM)."""
        return [drug for drug in match.drugs if cls in self.drug_classes.get(drug, ())]
