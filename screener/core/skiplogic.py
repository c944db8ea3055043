"""Skip logic for FHIR and REDCap: a question's `ask_when` as FHIR enableWhen (flat, with
enableBehavior), as a FHIRPath enableWhenExpression (derived facts), and as REDCap branching
logic, each with the meaning the rule language gives it.

The rule language and FHIR differ on missing answers: a comparison on a missing answer is
false, `not` is plain negation, so `ne` is false when unanswered while FHIR `!=` ("no answer
equals") is true. A "don't know" answer is present but equals nothing. Hence:

- `eq v` -> `= v`; `not eq v` -> `!= v` (true when unanswered or "don't know", as in the rules);
- `ne v` -> `exists true` and `!= v` (and `!=` don't know), which needs enableBehavior all;
- `lt/le/gt/ge v` -> the same operator (false when unanswered in both); `in` -> `=` each, any;
- `present`/`missing` -> `exists true/false`.

REDCap branching is written the same way (`[x] <> ''` guards every comparison, `<>` is true
on a blank). Conditions on derived facts (medication_classes, medication_count, computed from
the medication list through the lexicon) have no enableWhen: they become an enableWhenExpression
over the medication answers and a REDCap expression with contains(), documented in the field
reference. A condition that neither form can express is refused by the questionnaire loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from . import conditions as C
from .intake import NONE_WORDS, FieldSpec

DONT_KNOW = "UNK"  # the coded "don't know": FHIR asked-unknown, REDCap choice UNK
DERIVED_FACTS = ("medication_classes", "medication_count")
LIST_FIELD = "medications"  # the answer the derived facts come from


class SkipError(ValueError):
    """An ask_when that FHIR enableWhen and REDCap branching logic cannot express."""


@dataclass(frozen=True)
class Target:
    """What the translation needs to know about a question an ask_when tests."""

    id: str
    spec: FieldSpec
    redcap: str
    dont_know: bool


@dataclass(frozen=True)
class Test:
    """One FHIR enableWhen: question, operator and answer (bool for exists, a yes/no as bool,
    a choice code, a number, or DONT_KNOW)."""

    question: str
    operator: str
    answer: Any


@dataclass(frozen=True)
class Skip:
    """A question's skip logic in both target forms. `tests` is empty when `fhirpath` is set."""

    behavior: str
    tests: tuple[Test, ...]
    fhirpath: str | None
    redcap: str

    @property
    def derived(self) -> bool:
        return self.fhirpath is not None


def translate(condition: C.Condition, targets: dict[str, Target], names: Callable[[str], list[str]]) -> Skip:
    """The FHIR and REDCap forms of `condition`; SkipError says why one cannot be written.

    `targets` are the questions asked before; `names(cls)` lists the lexicon names of a class.
    """
    fields = C.fields(condition)
    derived = [f for f in fields if f in DERIVED_FACTS]
    unknown = [f for f in fields if f not in targets and f not in DERIVED_FACTS]
    if unknown:
        raise SkipError(f"tests {unknown[0]!r}, which is neither an earlier question nor a derived fact "
                        f"FHIR and REDCap can compute ({', '.join(DERIVED_FACTS)})")
    if derived and LIST_FIELD not in targets:
        raise SkipError(f"tests {derived[0]!r}, derived from {LIST_FIELD}, which is not asked before")
    redcap = _RedCap(targets, names).render(condition)
    if derived:
        return Skip("all", (), _FhirPath(targets, names).render(condition), redcap)
    behavior, tests = _flat(condition, targets)
    return Skip(behavior, tests, None, redcap)


def describe(condition: C.Condition) -> str:
    """An ask_when in words over field ids: "sex = female and age_years ≥ 12"."""
    if isinstance(condition, (C.All, C.AnyOf)):
        joiner = " and " if isinstance(condition, C.All) else " or "
        parts = [describe(item) for item in condition.items]
        return joiner.join(f"({p})" if isinstance(item, (C.All, C.AnyOf)) and type(item) is not type(condition)
                           else p for p, item in zip(parts, condition.items))
    if isinstance(condition, C.Not):
        if isinstance(condition.item, C.Present):
            return f"{condition.item.field} not answered"
        return f"not ({describe(condition.item)})"
    if isinstance(condition, C.Present):
        return f"{condition.field} answered (don't know included)"
    if isinstance(condition, C.In):
        return f"{condition.field} is one of {', '.join(map(_value, condition.values))}"
    if isinstance(condition, C.Contains):
        return f"{condition.field} include {condition.value}"
    return f"{condition.field} {C.SYMBOLS[condition.op]} {_value(condition.value)}"


def _value(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else str(value)


# -- FHIR enableWhen ------------------------------------------------------------------------------

_FHIR_OPS = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _leaf_tests(item: C.Condition, targets: dict[str, Target]) -> tuple[str, list[Test]]:
    """One rule leaf as enableWhen tests and how they combine ("all", "any", or "one")."""
    if isinstance(item, C.Cmp):
        target = targets[item.field]
        if item.op in ("lt", "le", "gt", "ge") and target.spec.kind not in ("integer", "number"):
            raise SkipError(f"compares {item.field!r} with {item.op}, which only numbers allow")
        if item.op == "ne":
            tests = [Test(item.field, "exists", True), Test(item.field, "!=", item.value)]
            if target.dont_know:
                tests.append(Test(item.field, "!=", DONT_KNOW))
            return "all", tests
        return "one", [Test(item.field, _FHIR_OPS[item.op], item.value)]
    if isinstance(item, C.In):
        return ("one" if len(item.values) == 1 else "any"), [Test(item.field, "=", v) for v in item.values]
    if isinstance(item, C.Present):
        return "one", [Test(item.field, "exists", True)]
    if isinstance(item, C.Not):
        inner = item.item
        if isinstance(inner, C.Present):
            return "one", [Test(inner.field, "exists", False)]
        if isinstance(inner, C.Cmp) and inner.op == "eq":
            return "one", [Test(inner.field, "!=", inner.value)]
        if isinstance(inner, C.In):
            return ("one" if len(inner.values) == 1 else "all"), [Test(inner.field, "!=", v) for v in inner.values]
    raise SkipError(f"'{describe(item)}' cannot be a flat FHIR enableWhen; write it as all or any of field tests")


def _flat(condition: C.Condition, targets: dict[str, Target]) -> tuple[str, tuple[Test, ...]]:
    """A condition as flat enableWhen tests with one enableBehavior."""
    if isinstance(condition, (C.All, C.AnyOf)):
        behavior = "all" if isinstance(condition, C.All) else "any"
        tests: list[Test] = []
        for item in _flatten(condition):
            how, more = _leaf_tests(item, targets)
            if how not in ("one", behavior):
                raise SkipError(f"mixes all and any ('{describe(item)}'); FHIR enableWhen has one enableBehavior")
            tests += more
        return behavior, tuple(tests)
    how, more = _leaf_tests(condition, targets)
    return ("any" if how == "any" else "all"), tuple(more)


def _flatten(condition: C.All | C.AnyOf) -> list[C.Condition]:
    """all-in-all and any-in-any as one list (`age_years: {ge: 12, le: 55}` is an all inside)."""
    out: list[C.Condition] = []
    for item in condition.items:
        out += _flatten(item) if type(item) is type(condition) else [item]  # type: ignore[arg-type]
    return out


# -- FHIRPath (derived facts) ---------------------------------------------------------------------

def _regex(names: list[str]) -> str:
    """A regular expression for any of these names as whole words in a lower-cased answer."""
    words = sorted({"[^a-z0-9]+".join(re.escape(t) for t in re.findall(r"[a-z][a-z0-9]*", n.lower()))
                    for n in names}, key=lambda w: (-len(w), w))
    return f"(^|[^a-z0-9])({'|'.join(words)})([^a-z0-9]|$)"


def _fp_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _FhirPath:
    def __init__(self, targets: dict[str, Target], names: Callable[[str], list[str]]):
        self.targets, self.names = targets, names

    @staticmethod
    def answers(field: str) -> str:
        return f"%resource.repeat(item).where(linkId='{field}').answer.value"

    def value(self, field: str, value: Any) -> str:
        target = self.targets[field]
        if target.spec.kind == "yesno" and target.dont_know:
            return f"code = '{'Y' if value is True else 'N' if value is False else 'asked-unknown'}'"
        if target.spec.kind == "choice":
            return f"code = {_fp_string(str(value))}"
        if isinstance(value, bool):
            return f"$this = {'true' if value else 'false'}"
        return f"$this = {_fp_string(value) if isinstance(value, str) else value}"

    def render(self, item: C.Condition) -> str:
        if isinstance(item, (C.All, C.AnyOf)):
            joiner = " and " if isinstance(item, C.All) else " or "
            return "(" + joiner.join(self.render(i) for i in item.items) + ")"
        if isinstance(item, C.Not):
            return f"({self.render(item.item)}).not()"
        if isinstance(item, C.Contains):
            return (f"{self.answers(LIST_FIELD)}.where(lower().matches({_fp_string(_regex(self.names(item.value)))}))"
                    ".exists()")
        if isinstance(item, C.Present):
            if item.field == "medication_classes":
                raise SkipError("'medication_classes present' cannot be written as FHIRPath; test a class")
            if item.field == "medication_count":
                return f"{self.answers(LIST_FIELD)}.exists()"
            return f"{self.answers(item.field)}.exists()"
        if isinstance(item, C.In):
            return "(" + " or ".join(self.render(C.Cmp(item.field, "eq", v)) for v in item.values) + ")"
        if isinstance(item, C.Cmp) and item.field == "medication_count":
            nones = " | ".join(_fp_string(w) for w in sorted(NONE_WORDS))
            listed = f"{self.answers(LIST_FIELD)}.where((lower().trim() in ({nones})).not()).count()"
            return f"({self.answers(LIST_FIELD)}.exists() and {listed} {_FHIR_OPS.get(item.op, '!=')} {item.value})"
        if isinstance(item, C.Cmp) and item.field in self.targets:
            if item.op == "eq":
                return f"{self.answers(item.field)}.where({self.value(item.field, item.value)}).exists()"
            if item.op == "ne":
                known = "" if not self.targets[item.field].dont_know else f" and ({self.value(item.field, DONT_KNOW)}).not()"
                return f"{self.answers(item.field)}.where(({self.value(item.field, item.value)}).not(){known}).exists()"
            return f"{self.answers(item.field)}.where($this {_FHIR_OPS[item.op]} {item.value}).exists()"
        raise SkipError(f"'{describe(item)}' cannot be written as FHIRPath")


# -- REDCap branching logic -----------------------------------------------------------------------

_REDCAP_OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_NEGATED = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le"}


class _RedCap:
    def __init__(self, targets: dict[str, Target], names: Callable[[str], list[str]]):
        self.targets, self.names = targets, names

    def var(self, field: str) -> str:
        return f"[{self.targets[field].redcap}]"

    def code(self, field: str, value: Any) -> str:
        spec = self.targets[field].spec
        if spec.kind == "yesno" and value is not DONT_KNOW:
            return "'1'" if value else "'0'"
        if spec.kind in ("integer", "number"):
            return str(value)
        return "'" + str(value).replace("'", "") + "'"

    def cmp(self, field: str, op: str, value: Any) -> str:
        """A comparison that is false on a blank (and on "don't know"), as in the rules."""
        var, target = self.var(field), self.targets[field]
        tests = [f"{var} <> ''", f"{var} {_REDCAP_OPS[op]} {self.code(field, value)}"]
        if op == "ne" and target.dont_know:
            tests.append(f"{var} <> '{DONT_KNOW}'")
        return tests[1] if op == "eq" else "(" + " and ".join(tests) + ")"

    def render(self, item: C.Condition, negated: bool = False) -> str:
        if isinstance(item, C.Not):
            return self.render(item.item, not negated)
        if isinstance(item, (C.All, C.AnyOf)):
            conjunction = isinstance(item, C.All) != negated
            return "(" + (" and " if conjunction else " or ").join(self.render(i, negated) for i in item.items) + ")"
        if isinstance(item, C.In):
            parts = C.AnyOf(tuple(C.Cmp(item.field, "eq", v) for v in item.values))
            return self.render(parts, negated)
        if item.field in DERIVED_FACTS:  # type: ignore[union-attr]
            return self.derived(item, negated)
        field = item.field  # type: ignore[union-attr]
        if isinstance(item, C.Present):
            return f"{self.var(field)} {'=' if negated else '<>'} ''"
        if isinstance(item, C.Cmp):
            if not negated:
                return self.cmp(field, item.op, item.value)
            if item.op == "eq":
                return f"{self.var(field)} <> {self.code(field, item.value)}"
            extra = f" or {self.var(field)} = '{DONT_KNOW}'" if self.targets[field].dont_know else ""
            return f"({self.var(field)} = '' or {self.var(field)} {_REDCAP_OPS[_NEGATED[item.op]]} " \
                   f"{self.code(field, item.value)}{extra})"
        raise SkipError(f"'{describe(item)}' cannot be written as REDCap branching logic")

    def derived(self, item: C.Condition, negated: bool) -> str:
        if negated:
            raise SkipError(f"'not ({describe(item)})' on a derived fact cannot be written as REDCap branching logic")
        var = self.var(LIST_FIELD)
        if isinstance(item, C.Contains):
            names = {n.lower().replace("'", "") for n in self.names(item.value)}
            found = sorted(n for n in names if not any(other != n and other in n for other in names))
            return "(" + " or ".join(f"contains(lower({var}), '{n}')" for n in found) + ")"
        listed = (item.field == "medication_count" and isinstance(item, C.Present)) or (
            isinstance(item, C.Cmp) and (item.op, item.value) in (("gt", 0), ("ge", 1)))
        if listed:
            nones = " and ".join(f"lower(trim({var})) <> '{w}'" for w in sorted(NONE_WORDS))
            return f"({var} <> '' and {nones})"
        raise SkipError(f"'{describe(item)}' cannot be written as REDCap branching logic (only 'medication_count > 0' and "
                        "'medication_classes contains ...' can)")
