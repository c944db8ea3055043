"""Where the shipped data folders (`rules/`, `questionnaires/`) live.

In a source checkout they sit at the top of the repository; in an installed wheel they are
packaged as `screener.data`. Both layouts resolve here, and nowhere else.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def data_root() -> Path:
    """The folder that holds `rules/` and `questionnaires/`."""
    source_tree = Path(__file__).resolve().parent.parent
    if (source_tree / "rules").is_dir():
        return source_tree
    try:
        installed = Path(str(resources.files("screener.data")))
    except ModuleNotFoundError as exc:  # pragma: no cover - broken install
        raise RuntimeError("screener's data folders (rules/, questionnaires/) are missing") from exc
    return installed


def rules_dir() -> Path:
    return data_root() / "rules"


def questionnaires_dir() -> Path:
    return data_root() / "questionnaires"
