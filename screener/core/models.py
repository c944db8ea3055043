"""Data models at the edges: sources, rule specs (as written in rule files), findings, reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .conditions import Condition

Kind = Literal["contributor", "primary_indicator", "mimic", "data_gap", "alert"]
Evidence = Literal["strong", "moderate", "weak", "contested"]
KIND_ORDER: tuple[Kind, ...] = ("alert", "contributor", "primary_indicator", "mimic", "data_gap")


class Source(BaseModel):
    """One entry of the source registry (rules/sources.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    citation: str = Field(min_length=10)
    ref: str | None = None
    year: int | None = None
    doi: str | None = None
    url: str | None = None
    pmid: str | None = None
    verified: Literal["V", "P", "U"] | None = None
    kind: str | None = None
    note: str | None = None

    def link(self) -> str | None:
        return self.url or (f"https://doi.org/{self.doi}" if self.doi else None)

    def full_citation(self) -> str:
        parts = [self.citation.rstrip()]
        if self.doi and self.doi not in self.citation:
            parts.append(f"doi:{self.doi}")
        if self.url and self.url not in self.citation:
            parts.append(self.url)
        return " ".join(parts)

    def brief(self) -> dict[str, Any]:
        """The form a finding carries: id, full citation, link, verification status (V, P, U or None)."""
        return {"id": self.id, "citation": self.full_citation(), "url": self.link(), "verified": self.verified}


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fires: list[dict[str, Any]] = Field(min_length=1)
    silent: list[dict[str, Any]] = Field(min_length=1)


class RuleSpec(BaseModel):
    """A rule as written in a rule file (Semgrep/Sigma style: data with id, message, sources)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z]+-\d{3}$", description="stable rule id, e.g. IRON-001")
    code: str = Field(description="finding code from the intake contract")
    kind: Kind
    title: str = Field(min_length=3)
    when: dict[str, Any]
    why: str = Field(min_length=10, description="the clinical rationale, with any disagreement between sources")
    advice: str = Field(min_length=10, description="what a clinician might do next; never 'stop this drug'")
    evidence: Evidence
    sources: list[str] = Field(min_length=1)
    local_policy: str | None = Field(default=None, description="why a threshold is a local choice, when it is")
    examples: Examples
    status: Literal["active", "experimental"] = "active"
    reviewed: dt.date | None = None

    _condition: Condition | None = PrivateAttr(default=None)

    @property
    def condition(self) -> Condition:
        assert self._condition is not None, "RuleSpec is used before the rulebook loader parsed it"
        return self._condition


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired, with the answers that made it fire (built from trusted rule data,
    so a plain dataclass: a report can hold thousands of them)."""

    rule_id: str
    code: str
    kind: Kind
    title: str
    because: str
    why: str
    advice: str
    evidence: Evidence
    local_policy: str | None
    sources: list[dict[str, Any]]


class Criteria(BaseModel):
    """IRLSSG criteria as far as the answers allow (a screen, never a diagnosis)."""

    met: bool | None
    items: dict[str, bool | None]
    missing: list[str]
    unknown: list[str] = Field(default_factory=list, description="the fields of `missing` answered unknown/unsure")
    mimics: list[str]
    note: str


REPORT_SCHEMA_VERSION = "1.2"  # of the JSON report (schemas/report.schema.json): bump with any change to
# its fields. 1.1: schema_version, tool, created, answers; 1.2: each source's `verified` status.


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("screener")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _tool() -> dict[str, str]:
    return {"name": "screener", "version": _version()}


class Report(BaseModel):
    """One respondent's screening report; its JSON form is a versioned contract (`schema_version`).

    `answers` holds the validated answers it was built from (`Intake.answers`: "unknown" where
    the person said so), so a saved report can be checked and scored again; `created` is set
    when a report is saved for one person (batch output leaves it empty, so that the same input
    always gives the same bytes).
    """

    schema_version: str = REPORT_SCHEMA_VERSION
    tool: dict[str, str] = Field(default_factory=_tool)
    created: str | None = None
    respondent_id: str | None = None
    row: int | None = None
    status: Literal["ok", "invalid", "error"] = "ok"
    errors: list[dict[str, str]] = Field(default_factory=list)
    warnings: list[dict[str, str]] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    criteria: Criteria | None = None
    rulebook: dict[str, str] = Field(default_factory=dict)
    answers: dict[str, Any] | None = None

    def by_kind(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {kind: [] for kind in KIND_ORDER}
        for finding in self.findings:
            groups[finding.kind].append(finding)
        return groups

    def to_json(self, indent: bool = True) -> str:
        """The report as JSON (one line unless `indent`): the `score --format json` and JSON Lines form."""
        import orjson

        return orjson.dumps(self.model_dump(), option=orjson.OPT_INDENT_2 if indent else 0).decode()
