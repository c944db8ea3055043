"""Where the shipped data folders (`rules/`, `questionnaires/`, `schemas/`, `templates/`) live.

An installed wheel packages them as `screener/data/`; a source checkout keeps them at the top
of the repository. Both layouts resolve here, and nowhere else.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # screener/


@cache
def data_root() -> Path:
    """The folder that holds `rules/` and `questionnaires/`."""
    installed = _PACKAGE / "data"
    return installed if (installed / "rules").is_dir() else _PACKAGE.parent


def rules_dir() -> Path:
    return data_root() / "rules"


def questionnaires_dir() -> Path:
    return data_root() / "questionnaires"


def schemas_dir() -> Path:
    """JSON Schemas of the JSON outputs (`screener schema NAME`)."""
    return data_root() / "schemas"


def templates_dir() -> Path:
    """The words, order and page template of the one-person report."""
    return data_root() / "templates"
