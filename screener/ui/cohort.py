"""The cohort report's numbers: one pass over the results of `screener batch`, counting as it
goes (memory does not grow with the file), then a summary as plain data that the JSON form
prints and the HTML page shows (`cohort_html`).

Counted: the stages (rows read, blank, invalid with their reasons, error, scored), missing
answers per field, each finding code as n/N with a Wilson 95 % interval, overall and by sex,
age band and pregnancy, the sets of contributors found together, and the distributions of
ferritin and TSAT in fixed bins. The batch CSV holds codes but no answers: from it, the parts
that need answers are reported as not available.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..core.intake import FIELDS
from ..core.models import KIND_ORDER
from ..core.rulebook import Rulebook
from .cohort_read import Result, Results
from .stats import CappedCounter, Histogram, wilson

# Lines in the plots and bands in the tables, as the rules use them (tests/test_cohort.py checks
# them against the rulebook): IRON-001 fires at ferritin <= 75 ng/mL or TSAT < 20 % in adults;
# IRON-003 at 75 < ferritin <= 100 ng/mL without TSAT < 20 %.
FERRITIN_LINES = (75.0, 100.0)
TSAT_LINE = 20.0
FERRITIN_BANDS = ("≤ 75", "> 75 and ≤ 100", "> 100")
TSAT_BANDS = ("< 20", "≥ 20")

NOT_GIVEN = "not given"
NOT_ASKED = "not asked or not given"  # pregnancy is asked only of women aged 12-55
AGE_BANDS = ("<18", "18-44", "45-64", "65+")
_AGE_BAND_OF = ["<18"] * 18 + ["18-44"] * 27 + ["45-64"] * 20 + ["65+"] * 56  # index: age 0-120
STRATA: dict[str, tuple[str, tuple[str, ...]]] = {  # name -> (heading, levels)
    "sex": ("Sex", ("female", "male", "other", NOT_GIVEN)),
    "age_band": ("Age band (years)", (*AGE_BANDS, NOT_GIVEN)),
    "pregnancy": ("Pregnancy", ("pregnant", "not pregnant", NOT_ASKED)),
}
TOP_REASONS = 10
TOP_SETS = 20
_ECHO = re.compile(r"""^(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[-+]?(?:\d[\d.]*(?:e[-+]?\d+)?|inf|nan))\s(?:is\s)?""",
                   re.IGNORECASE)
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'\s?|"(?:[^"\\]|\\.)*"\s?""")
_NUMBER_IN_PARENS = re.compile(r"\(\s*[-+]?\d[\d.]*\s*\)")


def reason_of(message: str) -> str:
    """A problem's reason without the answer it was given for ("'abc' is not a number" -> "not
    a number"; "999 is out of range (0 to 120 years)" -> "out of range (0 to 120 years)")."""
    text = _ECHO.sub("", message, count=1)
    if text.startswith("unknown unit "):
        text = "unknown unit " + _QUOTED.sub("", text[len("unknown unit "):], count=1)
    text = _NUMBER_IN_PARENS.sub("", text)
    return " ".join(text.split()).replace(" ;", ";")


def _proportion(n: int, total: int) -> dict[str, Any]:
    interval = wilson(n, total)
    return {"n": n, "N": total, "p": round(n / total, 6) if total else None,
            "ci95": [round(interval[0], 6), round(interval[1], 6)] if interval else None}


class Cohort:
    """Counts of one results file, added one result at a time."""

    def __init__(self, rulebook: Rulebook, with_answers: bool):
        self.rulebook, self.with_answers = rulebook, with_answers
        self.kind_of: dict[str, str] = dict(rulebook.codes)
        self.bits = {code: 1 << i for i, code in enumerate(c for c, k in rulebook.codes.items() if k == "contributor")}
        self.last_row = self.blank = self.respondents = self.warned = 0
        self.order_broken_at: int | None = None
        self.status: Counter[str] = Counter()
        self.reasons = {name: CappedCounter[tuple[str, str]](10_000) for name in ("invalid", "error", "warning")}
        self.stamps = CappedCounter[tuple[str, str, str]](100)
        self.people: Counter[tuple[str, str, str] | None] = Counter()  # stratum -> respondents scored
        self.hits: dict[tuple[str, str, str] | None, Counter[str]] = {}  # stratum -> code -> respondents
        self.sets = CappedCounter[int](100_000)  # contributor sets as bit masks
        self.present: Counter[str] = Counter()
        self.unknown: Counter[str] = Counter()
        self.ferritin = Histogram.log10(0, 5, 100)  # 1 to 100,000 ng/mL (the intake's range), 100 bins a decade
        self.tsat = Histogram.linear(0, 100, 0.5)
        self.age = Histogram.linear(0, 121, 1)
        self.ferritin_bands = [0, 0, 0]
        self.tsat_bands = [0, 0]

    def add(self, result: Result) -> None:
        row = result.row
        if self.order_broken_at is None:
            if row <= self.last_row:
                self.order_broken_at = result.line
            else:
                self.blank += row - self.last_row - 1  # blank input lines leave gaps in the row numbers
                self.last_row = row
        self.respondents += 1
        status = result.status
        self.status[status] += 1
        if result.stamp is not None:
            self.stamps.add(result.stamp)
        if status != "ok":
            counter = self.reasons[status]
            for field, message in result.errors:
                counter.add((str(field), reason_of(str(message))))
            return
        if result.warnings:
            self.warned += 1
            for field, message in result.warnings:
                self.reasons["warning"].add((str(field), reason_of(str(message))))
        codes = result.codes
        if not self.kind_of.keys() >= codes.keys():
            self._new_codes(codes)
        answers = result.answers
        key = self._stratum(answers) if answers is not None else None
        self.people[key] += 1
        hits = self.hits.get(key)
        if hits is None:
            hits = self.hits[key] = Counter()
        hits.update(codes.keys())
        mask, bits = 0, self.bits
        for code in codes:
            mask |= bits.get(code, 0)
        self.sets.add(mask)
        if answers is not None:
            self._answers(answers)

    def _new_codes(self, codes: dict[str, str]) -> None:
        """Codes of another rulebook version: kept with the kind the results give them."""
        for code, kind in codes.items():
            if code not in self.kind_of:
                self.kind_of[code] = kind
                if kind == "contributor":
                    self.bits[code] = 1 << len(self.bits)

    @staticmethod
    def _stratum(answers: dict[str, Any]) -> tuple[str, str, str]:
        sex, age, pregnant = answers.get("sex"), answers.get("age_years"), answers.get("pregnant")
        return (sex if sex in ("female", "male", "other") else NOT_GIVEN,
                _AGE_BAND_OF[age] if type(age) is int and 0 <= age <= 120 else NOT_GIVEN,
                "pregnant" if pregnant is True else "not pregnant" if pregnant is False else NOT_ASKED)

    def _answers(self, answers: dict[str, Any]) -> None:
        self.present.update(answers.keys())
        unknown = [field for field, value in answers.items() if value == "unknown"]
        if unknown:
            self.unknown.update(unknown)
        ferritin, tsat, age = answers.get("ferritin_ng_ml"), answers.get("tsat_percent"), answers.get("age_years")
        if type(ferritin) in (int, float):
            self.ferritin.add(ferritin)
            self.ferritin_bands[0 if ferritin <= FERRITIN_LINES[0] else 1 if ferritin <= FERRITIN_LINES[1] else 2] += 1
        if type(tsat) in (int, float):
            self.tsat.add(tsat)
            self.tsat_bands[0 if tsat < TSAT_LINE else 1] += 1
        if type(age) is int:
            self.age.add(age)

    # -- the summary --------------------------------------------------------------------------

    def summary(self, results: Results, tool: dict[str, str], date: str | None) -> dict[str, Any]:
        """Every number of the report, as plain data (the `--format json` output)."""
        scored = self.status["ok"]
        answers = self.with_answers
        return {
            "report": "screener cohort report",
            "format_version": "1",
            "run": self._run(results, tool, date),
            "stages": {"rows_read": self.last_row if self.order_broken_at is None else None,
                       "blank": self.blank if self.order_broken_at is None else None,
                       "respondents": self.respondents, "invalid": self.status["invalid"],
                       "error": self.status["error"], "scored": scored, "scored_with_warnings": self.warned},
            "reasons": {name: self._reasons(counter) for name, counter in self.reasons.items()},
            "strata": self._strata() if answers else None,
            "characteristics": self._characteristics(scored) if answers else None,
            "findings": self._findings(scored),
            "contributor_sets": self._sets(scored),
            "distributions": self._distributions() if answers else None,
            "missing": self._missing(scored) if answers else None,
            "notes": self._notes(results),
        }

    def _run(self, results: Results, tool: dict[str, str], date: str | None) -> dict[str, Any]:
        scored_with = [{"screener": v, "rulebook_version": rv, "rulebook_sha256": rs, "respondents": n}
                       for (v, rv, rs), n in self.stamps.most_common(self.stamps.cap)]
        return {"input": {"name": results.name, "format": results.format, "bytes": results.size,
                          "lines": results.lines, "sha256": results.sha256},
                "report_made_by": {"name": tool.get("name", "screener"), "version": tool.get("version", "unknown")},
                "scored_with": scored_with,
                "titles_from_rulebook": self.rulebook.stamp,
                "date": date}

    @staticmethod
    def _reasons(counter: CappedCounter[tuple[str, str]]) -> list[dict[str, Any]]:
        return [{"field": field, "reason": reason, "n": n} for (field, reason), n in counter.most_common(TOP_REASONS)]

    def _level_people(self, index: int, level: str) -> int:
        return sum(n for key, n in self.people.items() if key is not None and key[index] == level)

    def _level_hits(self, index: int, level: str, code: str) -> int:
        return sum(hits[code] for key, hits in self.hits.items() if key is not None and key[index] == level)

    def _strata(self) -> dict[str, Any]:
        return {name: {"heading": heading,
                       "levels": [{"level": level, "n": self._level_people(i, level)} for level in levels]}
                for i, (name, (heading, levels)) in enumerate(STRATA.items())}

    def _codes(self) -> list[str]:
        """Every code, kind by kind in report order, in rulebook order, then codes of other rulebooks."""
        rank = {code: i for i, code in enumerate(self.kind_of)}
        return sorted(self.kind_of, key=lambda c: (KIND_ORDER.index(self.kind_of[c]), rank[c]))  # type: ignore[arg-type]

    def _findings(self, scored: int) -> list[dict[str, Any]]:
        rules: dict[str, list[Any]] = {}
        for rule in self.rulebook.rules:
            rules.setdefault(rule.code, []).append(rule)
        total: Counter[str] = Counter()
        for hits in self.hits.values():
            total.update(hits)
        out = []
        for code in self._codes():
            entry = {"code": code, "kind": self.kind_of[code],
                     "title": " / ".join(r.title for r in rules.get(code, [])) or "(not in this rulebook)",
                     "rules": [r.id for r in rules.get(code, [])], **_proportion(total[code], scored)}
            if self.with_answers:
                entry["by"] = {name: [{"level": level, **_proportion(self._level_hits(i, level, code),
                                                                     self._level_people(i, level))}
                                      for level in levels]
                               for i, (name, (_, levels)) in enumerate(STRATA.items())}
            out.append(entry)
        return out

    def _sets(self, scored: int) -> dict[str, Any]:
        names = {bit: code for code, bit in self.bits.items()}
        counts = self.sets.counts
        top = [(mask, n) for mask, n in self.sets.most_common(TOP_SETS + 1) if mask][:TOP_SETS]
        untracked, bound = self.sets.untracked, self.sets.untracked_max()
        return {"none": counts.get(0, 0), "distinct": len(counts) - (0 in counts), "untracked": untracked,
                "untracked_max": bound if untracked else None,
                "complete": not untracked or bool(top) and top[-1][1] > bound,
                "sets": [{"codes": [names[bit] for bit in sorted(names) if mask & bit], **_proportion(n, scored)}
                         for mask, n in top]}

    def _characteristics(self, scored: int) -> dict[str, Any]:
        def quartiles(hist: Histogram, log: bool = False, whole: bool = False) -> dict[str, Any]:
            values = [hist.exact_quantile(q) if whole else hist.quantile(q, log) for q in (0.25, 0.5, 0.75)]
            rounded = [None if v is None else round(v, 1) for v in values]
            return {"n": hist.n, "q1": rounded[0], "median": rounded[1], "q3": rounded[2]}

        return {"scored": scored, "age_years": quartiles(self.age, whole=True),
                "ferritin_ng_ml": quartiles(self.ferritin, log=True), "tsat_percent": quartiles(self.tsat)}

    def _distributions(self) -> dict[str, Any]:
        ferritin_n, tsat_n = sum(self.ferritin_bands), sum(self.tsat_bands)
        return {
            "ferritin_ng_ml": {"unit": "ng/mL", "scale": "log10", "lines": list(FERRITIN_LINES),
                               **_trimmed(*self.ferritin.merged(5)), "below_range": self.ferritin.below,
                               "above_range": self.ferritin.above, "n": ferritin_n,
                               "bands": [{"band": band, **_proportion(n, ferritin_n)}
                                         for band, n in zip(FERRITIN_BANDS, self.ferritin_bands)]},
            "tsat_percent": {"unit": "%", "scale": "linear", "lines": [TSAT_LINE], **_trimmed(*self.tsat.merged(4)),
                             "below_range": self.tsat.below, "above_range": self.tsat.above, "n": tsat_n,
                             "bands": [{"band": band, **_proportion(n, tsat_n)}
                                       for band, n in zip(TSAT_BANDS, self.tsat_bands)]},
        }

    def _missing(self, scored: int) -> list[dict[str, Any]]:
        out = []
        for name, spec in FIELDS.items():
            if name == "respondent_id":
                continue
            unknown, present = self.unknown[name], self.present[name]
            missing = scored - present + unknown
            out.append({"field": name, "title": spec.title, "answered": present - unknown, "unknown": unknown,
                        "not_answered": scored - present, "missing": missing,
                        "missing_p": round(missing / scored, 6) if scored else None})
        return out

    def _notes(self, results: Results) -> list[str]:
        notes = ["Each finding is counted once per respondent, as n of N scored respondents, with a Wilson "
                 "95 % score interval (Wilson EB, J Am Stat Assoc 1927;22:209-212)."]
        if self.order_broken_at is None:
            notes.append("Blank rows are counted from the gaps in the row numbers; blank lines at the end of the "
                         "intake file leave no gap, so they cannot be seen here.")
        else:
            notes.append(f"Row numbers do not increase at line {self.order_broken_at} (results joined or sorted?): "
                         "rows read and blank rows cannot be counted.")
        notes.append("Reasons for invalid and error rows, and warnings, are shown without the answers they were "
                     "given for.")
        if not self.with_answers:
            notes.append("The input is the batch CSV: it holds the finding codes but not the answers, so missing "
                         "data, subgroups and the ferritin and TSAT distributions are not available. Report on the "
                         "output of `screener batch --format jsonl` for them.")
        else:
            notes.append("Subgroups and missing data count scored respondents only. Some questions are asked only "
                         "when they apply (pregnancy: women aged 12-55; trimester: when pregnant; worsening on a "
                         "dopaminergic drug: when one is listed), so their missing data include everyone not asked.")
            notes.append("Medians and quartiles of ferritin and TSAT are estimated from bins (1/100 of a decade; "
                         "0.5 %); age quartiles are exact.")
        if len(self.stamps.counts) > 1:
            notes.append("The results were scored with more than one version of screener or of the rulebook "
                         "(see the run record).")
        if self.sets.untracked:
            top = [n for mask, n in self.sets.most_common(TOP_SETS + 1) if mask][:TOP_SETS]
            bound = self.sets.untracked_max()
            ranked = ("so the sets shown are the most frequent" if top and top[-1] > bound else
                      "so a set left out could be as frequent as the last sets shown")
            notes.append(f"Contributor sets: {self.sets.untracked:,} respondents had a set first seen after "
                         f"{self.sets.cap:,} different sets were counted; those sets are not ranked. None of them "
                         f"occurred more than {bound:,} times (a bound from a count sketch), {ranked}.")
        return notes


def _trimmed(edges: list[float], counts: list[int]) -> dict[str, Any]:
    """Bins from the first to the last that holds a value (none when all are empty)."""
    used = [i for i, n in enumerate(counts) if n]
    if not used:
        return {"edges": [], "counts": []}
    first, last = used[0], used[-1]
    return {"edges": [round(e, 6) for e in edges[first:last + 2]], "counts": counts[first:last + 1]}
