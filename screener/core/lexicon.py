"""The medication lexicon: free-text medication answers -> drug classes.

Matching is case-insensitive and tolerant of doses, forms and punctuation: the answer is cut
into word and number tokens and the longest known phrase wins at each position, so "Tylenol
PM" (a combination product) is preferred over "Tylenol", and "sertraline 50 mg tablets" finds
"sertraline". Besides medicine names, medications.yaml lists the words that may surround a name
without changing what it is (`filler`: doses, forms, routes, frequencies, salts) and the words
that say a medicine is no longer taken (`negation`). What is left over is unknown: an answer
with an unknown word ("Advil Allergy Sinus" when only "Advil" is known) is recognised only in
part, so it is reported as unrecognised rather than silently read as the base product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z][a-z0-9]*")


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word and number tokens; punctuation falls away ("0.5mg" -> "0.5", "mg")."""
    return tuple(_TOKEN.findall(text.lower().replace("µ", "u")))


def _is_number(token: str) -> bool:
    return token[0].isdigit()


@dataclass(frozen=True)
class DrugClass:
    id: str
    label: str
    effect: str
    evidence: str
    sources: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Part:
    """One ingredient as found in an answer; `note` says what was assumed about it."""

    drug: str
    classes: frozenset[str]
    note: str = ""


@dataclass(frozen=True)
class LowDose:
    """A dose at or below `max_mg` puts the drug in other classes (doxepin as a hypnotic)."""

    max_mg: float
    classes: frozenset[str]
    note: str


@dataclass(frozen=True)
class Entry:
    """A known name: a drug (generic, brand or alias) or a combination product."""

    name: str
    parts: tuple[Part, ...]

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(part.drug for part in self.parts)

    @property
    def classes(self) -> frozenset[str]:
        return frozenset().union(*(part.classes for part in self.parts))


@dataclass(frozen=True)
class MedicationMatch:
    """What one medication answer says: the current ingredients, the stopped ones, the rest."""

    text: str
    parts: tuple[Part, ...] = ()
    names: tuple[str, ...] = ()  # the known names found, as listed in the lexicon
    unknown: tuple[str, ...] = ()  # words that are neither a known name nor filler
    stopped: tuple[str, ...] = ()  # words of a clause that says the medicine is not taken now

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(part.drug for part in self.parts))

    @property
    def classes(self) -> frozenset[str]:
        return frozenset().union(*(part.classes for part in self.parts))

    @property
    def recognised(self) -> bool:
        """Every word is accounted for, and the answer names a medicine (current or stopped)."""
        return bool(self.parts or self.stopped) and not self.unknown

    @property
    def current(self) -> bool:
        """False only when the whole answer is about a medicine no longer taken."""
        return bool(self.parts or self.unknown) or not self.stopped


@dataclass(frozen=True)
class _Vocabulary:
    """The non-name words of medications.yaml, as token phrases."""

    filler: frozenset[tuple[str, ...]] = frozenset()
    after_dose: frozenset[str] = frozenset()  # filler only right after a dose ("10 mg pm")
    negation: frozenset[tuple[str, ...]] = frozenset()
    breaks: frozenset[tuple[str, ...]] = frozenset()  # a new clause starts ("stopped X now Y")
    dose_units: dict[str, float] = field(default_factory=dict)  # unit word -> factor to mg


_FILLER, _NEGATION, _BREAK = "filler", "negation", "break"
# One piece of an answer: (an Entry, a word kind above, "number" or "unknown"; its tokens).
_Segment = tuple[Any, tuple[str, ...]]


@dataclass
class Lexicon:
    classes: dict[str, DrugClass]
    index: dict[tuple[str, ...], Entry] = field(default_factory=dict)
    longest: int = 1
    drug_classes: dict[str, frozenset[str]] = field(default_factory=dict)
    low_dose: dict[str, LowDose] = field(default_factory=dict)
    vocabulary: _Vocabulary = field(default_factory=_Vocabulary)
    _words: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False)
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
        for drug in data.get("drugs") or []:
            lexicon._add_drug(drug, where)
        for combo in data.get("combinations") or []:
            lexicon._add_combination(combo, where)
        lexicon._add_vocabulary(data, where)
        return lexicon

    def _known(self, names: Any, what: str, where: str) -> frozenset[str]:
        unknown = set(names or ()) - set(self.classes)
        if unknown:
            raise ValueError(f"{where}: {what} names unknown class(es) {sorted(unknown)}")
        return frozenset(names or ())

    def _add_drug(self, drug: dict[str, Any], where: str) -> None:
        name = drug["name"]
        key = name.lower()
        own = self.drug_classes[key] = self._known(drug.get("classes"), f"drug {name!r}", where)
        spec = drug.get("low_dose")
        if spec:
            low = LowDose(float(spec["max_mg"]), self._known(spec["classes"], f"drug {name!r} low_dose", where),
                          spec.get("note", f"{spec['max_mg']} mg or less"))
            self.low_dose[key] = low
            for brand in spec.get("brands") or ():
                label, assumed = _named(brand)
                self._add(label, Entry(label, (Part(key, low.classes, assumed or low.note),)), where)
        for alias in [name, *(drug.get("brands") or ()), *(drug.get("aliases") or ())]:
            label, assumed = _named(alias)
            self._add(label, Entry(label, (Part(key, own, assumed),)), where)

    def _add_combination(self, combo: dict[str, Any], where: str) -> None:
        parts = [part.lower() for part in combo["contains"]]
        missing = [part for part in parts if part not in self.drug_classes]
        adds = {drug.lower(): self._known(extra, f"combination {combo['name']!r}", where)
                for drug, extra in (combo.get("adds") or {}).items()}
        missing += [drug for drug in adds if drug not in parts]
        if missing:
            raise ValueError(f"{where}: combination {combo['name']!r} contains unknown drug(s) {missing}")
        assumed = combo.get("assumed", "")
        entry_parts = tuple(Part(part, self.drug_classes[part] | adds.get(part, frozenset()), assumed)
                            for part in parts)
        for label in [combo["name"], *(combo.get("aliases") or ())]:
            self._add(label, Entry(label, entry_parts), where)

    def _add_vocabulary(self, data: dict[str, Any], where: str) -> None:
        negation = data.get("negation") or {}

        def phrases(items: Any, what: str) -> frozenset[tuple[str, ...]]:
            wrong = [item for item in items or () if not isinstance(item, str)]
            if wrong:  # YAML reads a bare on/off/no as a boolean
                raise ValueError(f"{where}: {what}: {wrong} must be quoted text")
            return frozenset(tokens(item) for item in items or ())

        vocab = _Vocabulary(
            filler=phrases(data.get("filler"), "filler"),
            after_dose=frozenset(key[0] for key in phrases(data.get("filler_after_dose"), "filler_after_dose")),
            negation=phrases(negation.get("words"), "negation words"),
            breaks=phrases(negation.get("clause_breaks"), "negation clause_breaks"),
            dose_units={k.lower(): float(v) for k, v in (data.get("dose_units") or {}).items()},
        )
        self.vocabulary = vocab
        for kind, phrases in ((_FILLER, vocab.filler), (_NEGATION, vocab.negation), (_BREAK, vocab.breaks)):
            for phrase in phrases:
                if not phrase or phrase in self.index or phrase in self._words:
                    raise ValueError(f"{where}: word {' '.join(phrase)!r} ({kind}) is empty, a name or listed twice")
                self._words[phrase] = kind
                self.longest = max(self.longest, len(phrase))

    def _add(self, name: str, entry: Entry, where: str) -> None:
        key = tokens(name)
        if not key or all(_is_number(t) for t in key):
            raise ValueError(f"{where}: name {name!r} has no letters")
        if key in self.index:
            raise ValueError(f"{where}: name {name!r} is listed twice (also as {self.index[key].name!r})")
        self.index[key] = entry
        self.longest = max(self.longest, len(key))

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.index.values()]

    def match(self, text: str) -> MedicationMatch:
        """Read one medication answer (memoised)."""
        found = self._cache.get(text)
        if found is None:
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            found = self._cache[text] = self._match(text)
        return found

    def _segments(self, words: tuple[str, ...]) -> list[_Segment]:
        """Longest known phrase first: (Entry or word kind or "number"/"unknown", tokens)."""
        out: list[_Segment] = []
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                key = words[i:i + n]
                hit = self.index.get(key) or self._words.get(key)
                if hit:
                    out.append((hit, key))
                    i += n
                    break
            else:
                out.append(("number" if _is_number(words[i]) else "unknown", words[i:i + 1]))
                i += 1
        return out

    def _match(self, text: str) -> MedicationMatch:
        clauses: list[list[_Segment]] = [[]]
        for segment in self._segments(tokens(text)):
            if segment[0] == _BREAK:
                clauses.append([])
            else:
                clauses[-1].append(segment)
        parts: list[Part] = []
        names: list[str] = []
        unknown: list[str] = []
        stopped: list[str] = []
        for clause in clauses:
            negated = any(kind == _NEGATION for kind, _ in clause)
            for n, (kind, key) in enumerate(clause):
                if isinstance(kind, Entry):
                    names.append(kind.name)
                    if negated:
                        stopped.append(kind.name)
                    else:
                        parts.extend(self._dosed(kind, clause, n))
                elif kind == "unknown" and not self._after_dose(clause, n):
                    (stopped if negated else unknown).append(key[0])
        return MedicationMatch(text, tuple(parts), tuple(dict.fromkeys(names)), tuple(unknown), tuple(stopped))

    def _after_dose(self, clause: list[_Segment], n: int) -> bool:
        """A time-of-day word ("pm", "night") is filler right after a dose ("10 mg pm"), not after a name."""
        if clause[n][1][0] not in self.vocabulary.after_dose or n == 0:
            return False
        kind, key = clause[n - 1]
        return kind == "number" or (kind == _FILLER and key[-1] in self.vocabulary.dose_units)

    def _dosed(self, entry: Entry, clause: list[_Segment], n: int) -> tuple[Part, ...]:
        """The entry's parts, with a low dose given next to it moving a drug to its low-dose classes."""
        if not any(part.drug in self.low_dose and not part.note for part in entry.parts):
            return entry.parts
        mg = self._dose_mg(clause, n)
        if mg is None:
            return entry.parts
        return tuple(replace(part, classes=low.classes, note=low.note)
                     if (low := self.low_dose.get(part.drug)) and not part.note and mg <= low.max_mg else part
                     for part in entry.parts)

    def _dose_mg(self, clause: list[_Segment], n: int) -> float | None:
        """The first dose after the name (before the next name), else the last one before it, in mg."""
        units = self.vocabulary.dose_units

        def dose_at(i: int) -> float | None:
            kind, key = clause[i]
            if kind != "number" or i + 1 >= len(clause) or clause[i + 1][1][0] not in units:
                return None
            return float(key[0]) * units[clause[i + 1][1][0]]

        after = [i for i in range(n + 1, len(clause)) if isinstance(clause[i][0], Entry)]
        for i in range(n + 1, after[0] if after else len(clause)):
            if (mg := dose_at(i)) is not None:
                return mg
        for i in range(n - 1, -1, -1):
            if isinstance(clause[i][0], Entry):
                break
            if (mg := dose_at(i)) is not None:
                return mg
        return None

    def shown(self, match: MedicationMatch, cls: str) -> str:
        """The answer as given, plus the generic names of the class's carriers the answer does not
        spell out and what was assumed: "Benadryl (assumed diphenhydramine, the US product; ...)"."""
        said = match.text.lower()
        extra: list[str] = []
        for part in match.parts:
            if cls in part.classes:
                if part.drug not in part.note:  # an assumption that names the drug stands for it
                    extra.append(part.drug)
                if part.note:
                    extra.append(part.note)
        extra = [e for e in dict.fromkeys(extra) if e.lower() not in said]
        return f"{match.text} ({', '.join(extra)})" if extra else match.text

    def unrecognised_text(self, text: str) -> str:
        """An unrecognised answer as quoted in a finding, saying which words were not known."""
        match = self.match(text)
        if not match.names or not match.unknown:
            return repr(text)
        return f"{text!r} ({', '.join(match.names)} known, but not {' '.join(match.unknown)!r})"


def _named(item: Any) -> tuple[str, str]:
    """A brand or alias as listed: a plain name, or {name, assumed} for a regional brand."""
    if isinstance(item, dict):
        return str(item["name"]), str(item.get("assumed", ""))
    return str(item), ""
