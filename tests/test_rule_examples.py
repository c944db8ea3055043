"""Every rule's examples, one test id each, in all three engines."""

from __future__ import annotations

import pytest

from screener.core.examples import check_example, examples
from screener.core.rulebook import default_rulebook

EXAMPLES = list(examples(default_rulebook()))


@pytest.mark.parametrize("example", EXAMPLES, ids=[ex.test_id for ex in EXAMPLES])
def test_rule_example(example, durable, reference, columnar):
    assert check_example(example, [durable, reference, columnar]) == []


def test_every_rule_has_both_kinds_of_example(rulebook):
    for rule in rulebook.rules:
        assert rule.examples.fires and rule.examples.silent, rule.id
