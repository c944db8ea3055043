"""Data models at the edges: sources, rule specs (as written in rule files), findings, reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .conditions import Condition

Kind = Literal["contributor", "primary_indicator", "mimic", "data_gap", "alert"]
Evidence = Literal["strong", "moderate", "weak", "contested"]
KIND_ORDER: tuple[Kind, ...] = ("alert", "contributor", "primary_indicator", "mimic", "data_gap")


SourceKind = Literal[
    "guideline", "consensus", "systematic-review", "meta-analysis", "trial", "cohort", "case-control",
    "cross-sectional", "case-series", "case-report", "narrative-review", "reference-work",
    "government-page", "patient-organisation", "consumer-page", "forum", "ai-summary", "unknown",
]
# What a source is (the header of rules/sources.yaml explains each kind). No rule, named condition
# or medication class may rest on these kinds alone: the loader refuses it.
WEAK_SOURCE_KINDS: frozenset[str] = frozenset({"consumer-page", "forum", "ai-summary", "unknown"})
# V: verified against the full text; P: abstract only or partly checked; U: unverified. The words
# reports and the catalogue show are in templates/report.yaml (`verification`).
Verification = Literal["V", "P", "U"]


class Source(BaseModel):
    """One entry of the source registry (rules/sources.yaml).

    `note` is for the rulebook's authors (how far a citation was checked, what is unconfirmed):
    it is never carried into a finding, a report or the catalogue.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    citation: str = Field(min_length=10)
    ref: str | None = None
    year: int | None = None
    doi: str | None = None
    url: str | None = None
    pmid: str | None = None
    verified: Verification
    kind: SourceKind
    note: str | None = None

    @property
    def weak(self) -> bool:
        """Of a kind no rule may rest on alone (WEAK_SOURCE_KINDS)."""
        return self.kind in WEAK_SOURCE_KINDS

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
        """The form a finding carries: id, full citation, link, verification status (V, P, U) and
        kind; never the note."""
        return {"id": self.id, "citation": self.full_citation(), "url": self.link(), "verified": self.verified,
                "kind": self.kind}


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fires: list[dict[str, Any]] = Field(min_length=1)
    silent: list[dict[str, Any]] = Field(min_length=1)


class AdviceVariant(BaseModel):
    """One wording of a rule's advice: used when `when` holds (the last variant has no `when`).

    The text may name answers in braces, `{ferritin_ng_ml}`, filled in with the person's value;
    the loader checks that such an answer is surely given whenever the variant applies.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: dict[str, Any] | None = None
    text: str = Field(min_length=10)

    _condition: Condition | None = PrivateAttr(default=None)


class Definition(BaseModel):
    """A named condition (rules/definitions.yaml) that rules reuse as `{use: name}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=3)
    when: dict[str, Any]
    why: str = Field(min_length=10)
    sources: list[str] = Field(min_length=1)
    local_policy: str | None = None
    examples: Examples = Field(description="answers for which it holds (fires) and near misses (silent)")

    _condition: Condition | None = PrivateAttr(default=None)


Advice = Union[Annotated[str, Field(min_length=10)], Annotated[list[AdviceVariant], Field(min_length=1)]]


class RuleSpec(BaseModel):
    """A rule as written in a rule file (Semgrep/Sigma style: data with id, message, sources)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z]+-\d{3}$", description="stable rule id, e.g. IRON-001")
    code: str = Field(description="finding code from the intake contract")
    kind: Kind
    title: str = Field(min_length=3)
    when: dict[str, Any]
    why: str = Field(min_length=10, description="the clinical rationale, with any disagreement between sources")
    advice: Advice = Field(description="what a clinician might do next, in words that read the answers; "
                                       "never 'stop this drug'")
    evidence: Evidence
    sources: list[str] = Field(min_length=1)
    local_policy: str | None = Field(default=None, description="why a threshold is a local choice, when it is")
    examples: Examples
    status: Literal["active", "experimental"] = "active"
    reviewed: dt.date | None = None

    _condition: Condition | None = PrivateAttr(default=None)
    _wordings: Any = PrivateAttr(default=None)  # the compiled advice (core.advice), set by the loader

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


CriterionStatus = Literal["met", "not_met", "unknown", "not_applicable"]


class Criterion(BaseModel):
    """One of IRLSSG criteria 1-4 with its decisive answer (a screen, never a diagnosis)."""

    number: int = Field(ge=1, le=4)
    field: str = Field(description="the intake field that decides it")
    status: CriterionStatus = Field(description="unknown: not answered or answered unsure; not_applicable: criteria "
                                       "2-4 when criterion 1 is not met (their questions ask about the urge)")
    answer: bool | Literal["unknown"] | None = Field(
        description='the answer as given: true, false, "unknown" (answered unsure) or null (not answered)')


class Criteria(BaseModel):
    """IRLSSG criteria as far as the answers allow (a screen, never a diagnosis).

    Criteria 1-4 are read from the answers; criterion 5 is for a clinician: the screen lists the
    possible mimics to exclude and the mimic questions left unanswered, and a reported mimic
    never makes a criterion "not met".
    """

    met: bool | None = Field(description="criteria 1-4 only: false if one is not met, else null if one is "
                                         "unknown, else true; a reported mimic never makes it false")
    criteria_1_4: list[Criterion]
    items: dict[str, bool | None] = Field(description="the answers to criteria 1-4 by criterion (schema 1.x)")
    missing: list[str] = Field(description="the fields of criteria 1-4 that are unknown")
    unknown: list[str] = Field(default_factory=list, description="the fields of `missing` answered unknown/unsure")
    mimics: list[str] = Field(description="criterion 5: codes of the possible mimics for a clinician to exclude")
    mimic_questions_unanswered: list[str] = Field(
        default_factory=list, description="criterion 5: mimic questions not answered (none once a criterion "
                                          "1-4 is not met)")
    note: str


REPORT_SCHEMA_VERSION = "2.1"  # of the JSON report (schemas/report.schema.json): bump with any change to
# its fields. 1.1: schema_version, tool, created, answers; 1.2: each source's `verified` status;
# 2.0: criteria: `met` over criteria 1-4 only (a reported mimic no longer makes it false),
# `criteria_1_4` (status and decisive answer of each), `mimic_questions_unanswered`; `items` lost
# `5_no_mimic_reported`, and `missing` holds criteria 1-4 fields only; 2.1: each source's `kind`
# (rules/sources.yaml), and `verified` is always V, P or U.


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
