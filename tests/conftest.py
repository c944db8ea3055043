from __future__ import annotations

import pytest

from screener.core.rulebook import Rulebook, default_rulebook
from screener.core.screening import Screener


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return default_rulebook()


@pytest.fixture(scope="session")
def durable(rulebook: Rulebook):
    with Screener(rulebook, "durable") as screener:
        yield screener


@pytest.fixture(scope="session")
def reference(rulebook: Rulebook):
    with Screener(rulebook, "reference") as screener:
        yield screener


@pytest.fixture(scope="session")
def columnar(rulebook: Rulebook):
    with Screener(rulebook, "columnar") as screener:
        yield screener
