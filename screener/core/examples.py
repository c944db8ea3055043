"""Every rule's `fires` and `silent` examples, run through all three engines.

`screener check` and the test suite (one test id per example) use the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from . import conditions as C
from .facts import build_facts
from .parse import parse_intake
from .rulebook import Rulebook
from .screening import Screener


@dataclass(frozen=True)
class Example:
    rule_id: str
    expect: str  # "fires" or "silent"
    index: int
    answers: dict[str, Any]

    @property
    def test_id(self) -> str:
        return f"{self.rule_id}-{self.expect}-{self.index + 1}"


def examples(rulebook: Rulebook) -> Iterator[Example]:
    for rule in rulebook.rules:
        for expect in ("fires", "silent"):
            for index, answers in enumerate(getattr(rule.examples, expect)):
                yield Example(rule.id, expect, index, answers)


def check_example(example: Example, screeners: list[Screener]) -> list[str]:
    """Problems with one example (empty when it behaves as written) in every given engine."""
    parsed = parse_intake(example.answers)
    if parsed.intake is None:
        return [f"{example.test_id}: example is not a valid intake: {'; '.join(map(str, parsed.errors))}"]
    problems = []
    for screener in screeners:
        [(factset, fired)] = screener.fired([parsed.intake])
        if (example.rule_id in fired) != (example.expect == "fires"):
            verb = "does not fire" if example.expect == "fires" else "fires"
            problems.append(f"{example.test_id}: rule {verb} on its example ({screener.engine.name} engine)")
        elif example.rule_id in fired:
            [finding] = screener.findings(factset, {example.rule_id})
            if "{" in finding.advice or "None" in finding.advice:
                problems.append(f"{example.test_id}: advice not filled in: {finding.advice!r}")
    return problems


def check_definitions(rulebook: Rulebook) -> tuple[int, list[str]]:
    """Every named condition's examples: it must hold on `fires` and not on `silent`."""
    count, problems = 0, []
    for definition in rulebook.definitions.values():
        for expect in ("fires", "silent"):
            for index, answers in enumerate(getattr(definition.examples, expect)):
                count += 1
                where = f"definition {definition.id}-{expect}-{index + 1}"
                parsed = parse_intake(answers)
                if parsed.intake is None:
                    problems.append(f"{where}: example is not a valid intake: {'; '.join(map(str, parsed.errors))}")
                    continue
                facts = build_facts(parsed.intake, rulebook.lexicon).facts
                if C.evaluate(definition._condition, facts) != (expect == "fires"):
                    problems.append(f"{where}: {'does not hold' if expect == 'fires' else 'holds'} on its example")
    return count, problems


def check_all(rulebook: Rulebook) -> tuple[int, list[str]]:
    """Run every example in all three engines, and the named conditions' examples; (examples run, problems)."""
    screeners = [Screener(rulebook, "durable"), Screener(rulebook, "reference"), Screener(rulebook, "columnar")]
    try:
        all_examples = list(examples(rulebook))
        problems = [p for ex in all_examples for p in check_example(ex, screeners)]
    finally:
        for screener in screeners:
            screener.close()
    count, more = check_definitions(rulebook)
    return len(all_examples) + count, problems + more
