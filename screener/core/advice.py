"""Advice that reads the answers: pick a rule's advice wording and fill in the person's values.

A rule's `advice` is one text, or a list of variants tried in order (`when` + `text`; the last
has no `when`). A text may name answers in braces, `{ferritin_ng_ml}`; the loader refuses a
name that is not surely answered whenever the variant applies, so a filled-in text never says
"None".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from . import conditions as C
from .facts import FACT_FIELDS, value_text
from .models import AdviceVariant, RuleSpec

_NAME = re.compile(r"\{([a-z][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Wording:
    condition: C.Condition | None
    text: str
    names: tuple[str, ...]


def variants(rule: RuleSpec) -> list[AdviceVariant]:
    return [AdviceVariant(text=rule.advice)] if isinstance(rule.advice, str) else list(rule.advice)


def compile_advice(rule: RuleSpec, definitions: Mapping[str, C.Condition],
                   problems: list[str] | None = None) -> list[Wording]:
    """The rule's wordings, checked; each problem is appended to `problems` (or raised)."""
    found: list[str] = []
    out: list[Wording] = []
    items = variants(rule)
    for index, variant in enumerate(items):
        where = "advice" if isinstance(rule.advice, str) else f"advice[{index}]"
        last = index == len(items) - 1
        condition = None
        if variant.when is not None:
            if last:
                found.append(f"{where}: the last advice variant is the default and takes no 'when'")
            try:
                condition = C.parse(variant.when, f"{where}.when", definitions)
            except C.ConditionError as exc:
                found.append(str(exc))
                continue
        elif not last:
            found.append(f"{where}: only the last advice variant may omit 'when'")
        names = tuple(dict.fromkeys(_NAME.findall(variant.text)))
        sure = C.guaranteed(rule.condition) | (C.guaranteed(condition) if condition else set())
        for name in names:
            if name not in FACT_FIELDS or FACT_FIELDS[name].kind == "list":
                found.append(f"{where}: {{{name}}} is not an answer that can be shown")
            elif name not in sure:
                found.append(f"{where}: {{{name}}} may be unanswered when this advice applies "
                             f"(add a test on {name} to its 'when')")
        out.append(Wording(condition, variant.text, names))
    if found and problems is None:
        raise ValueError("; ".join(found))
    if problems is not None:
        problems.extend(found)
    return out


def render(wordings: list[Wording], facts: Mapping[str, Any]) -> str:
    """The first wording whose condition holds, with the person's values filled in."""
    for wording in wordings:
        if wording.condition is None or C.evaluate(wording.condition, facts):
            text = wording.text
            for name in wording.names:
                text = text.replace(f"{{{name}}}", value_text(name, facts[name]))
            return text
    raise AssertionError("the loader guarantees a default advice variant")
