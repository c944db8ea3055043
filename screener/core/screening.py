"""One path for everyone: Intake -> facts -> engine -> findings -> Report.

The questionnaire, `score` and `batch` all call `Screener`; only the edges differ.
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

from . import conditions as C
from .advice import render as render_advice
from .engine import DurableEngine, Engine, ReferenceEngine
from .facts import FactSet, build_facts, describer
from .intake import Intake
from .parse import ParsedIntake
from .models import KIND_ORDER, Criteria, Criterion, CriterionStatus, Finding, Report
from .rulebook import Rulebook, default_rulebook

EngineKind = Literal["durable", "reference", "columnar"]

CRITERIA = {
    "1_urge_to_move": "urge_to_move",
    "2_worse_at_rest": "worse_at_rest",
    "3_relieved_by_movement": "relieved_by_movement",
    "4_worse_evening_night": "worse_evening_night",
}
CRITERIA_NOTE = (
    "Screening answers only, not a diagnosis. Criteria 1-4 alone misclassify about 16% of people "
    "(Hening 2009); criterion 5 needs a clinician to exclude every mimic listed. A reported mimic "
    "does not rule RLS out: some (neuropathy, venous disease, arthritis) can co-exist with it."
)
_KIND_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}


def make_engine(rulebook: Rulebook, kind: EngineKind = "durable") -> Engine:
    pairs = [(rule.id, rule.condition) for rule in rulebook.rules]
    if kind == "columnar":  # polars: loaded only when this engine is asked for
        from .columnar_rules import ColumnarEngine, item_bits

        return ColumnarEngine(pairs, {"medication_classes": item_bits(rulebook.lexicon.classes)})
    return DurableEngine(pairs) if kind == "durable" else ReferenceEngine(pairs)


class Screener:
    """Scores intakes against a rulebook with one engine (not thread-safe)."""

    def __init__(self, rulebook: Rulebook | None = None, engine: EngineKind = "durable"):
        self.rulebook = rulebook or default_rulebook()
        self.engine = make_engine(self.rulebook, engine)
        self._separating = separating_fields(self.rulebook)
        sources = {sid: source.brief() for sid, source in self.rulebook.sources.items()}
        self._finding_parts = {
            rule.id: (rule.condition, rule._wordings, {
                "rule_id": rule.id, "code": rule.code, "kind": rule.kind, "title": rule.title, "why": rule.why,
                "evidence": rule.evidence, "local_policy": rule.local_policy,
                "sources": [sources[sid] for sid in rule.sources]})
            for rule in self.rulebook.rules
        }

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Screener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scoring ------------------------------------------------------------------------------

    def fired(self, intakes: Sequence[Intake]) -> list[tuple[FactSet, set[str]]]:
        """Facts and fired rule ids per intake (the fast path, no report building)."""
        factsets = [build_facts(intake, self.rulebook.lexicon) for intake in intakes]
        return list(zip(factsets, self.engine.fire([fs.facts for fs in factsets]), strict=True))

    def screen(self, intake: Intake, **meta: Any) -> Report:
        return self.screen_many([intake], [meta])[0]

    def screen_many(self, intakes: Sequence[Intake], metas: Sequence[dict[str, Any]] | None = None) -> list[Report]:
        """One report per intake; `metas` (row, respondent_id, warnings), when given, pairs up with them."""
        if metas is None:
            metas = [{} for _ in intakes]
        elif len(metas) != len(intakes):  # a silent zip would drop respondents
            raise ValueError(f"{len(intakes)} intakes but {len(metas)} metas")
        return [self._report(intake, factset, fired, meta)
                for intake, (factset, fired), meta in zip(intakes, self.fired(intakes), metas)]

    def screen_parsed(self, parsed: ParsedIntake, row: int | None = None,
                      respondent_id: str | None = None) -> Report:
        warnings = [w.as_dict() for w in parsed.warnings]
        if parsed.intake is None:
            return Report(respondent_id=respondent_id, row=row, status="invalid",
                          errors=[e.as_dict() for e in parsed.errors], rulebook=self.rulebook.stamp)
        return self.screen(parsed.intake, row=row, warnings=warnings, respondent_id=respondent_id)

    # -- report building ----------------------------------------------------------------------

    def report(self, intake: Intake, factset: FactSet, fired: set[str], meta: dict[str, Any]) -> Report:
        """The report of rules already fired for these facts (the columnar batch path fires them by column)."""
        return self._report(intake, factset, fired, meta)

    def _report(self, intake: Intake, factset: FactSet, fired: set[str], meta: dict[str, Any]) -> Report:
        findings = self.findings(factset, fired)
        return Report(
            respondent_id=meta.get("respondent_id") or intake.respondent_id,
            row=meta.get("row"),
            warnings=meta.get("warnings") or [],
            findings=findings,
            criteria=criteria(intake, findings, self._separating),
            rulebook=self.rulebook.stamp,
            answers=intake.answers(),
        )

    def findings(self, factset: FactSet, fired: set[str]) -> list[Finding]:
        describe = describer(factset, self.rulebook.lexicon)
        out = []
        for rule_id in fired:
            condition, wordings, static = self._finding_parts[rule_id]
            because = "; ".join(dict.fromkeys(C.explain(condition, factset.facts, describe)))
            out.append(Finding(because=because, advice=render_advice(wordings, factset.facts), **static))
        out.sort(key=lambda f: (_KIND_RANK[f.kind], f.rule_id))
        return out


def separating_fields(rulebook: Rulebook) -> tuple[str, ...]:
    """The mimic questions criterion 5 needs: answers that report a mimic on their own (`field: true`)."""
    return tuple(dict.fromkeys(
        rule.condition.field for rule in rulebook.rules
        if rule.kind == "mimic" and isinstance(rule.condition, C.Cmp)
        and rule.condition.op == "eq" and rule.condition.value is True))


def criteria(intake: Intake, findings: Sequence[Finding], separating: Sequence[str] = ()) -> Criteria:
    """IRLSSG criteria 1-4 from the four symptom answers; criterion 5 left to a clinician.

    Each of criteria 1-4 is met (yes), not met (no) or unknown (not answered or answered unsure),
    with its decisive answer; criteria 2-4 ask about the urge, so once criterion 1 is not met they
    are not applicable. `met` is over criteria 1-4 only: false when one is not met, else null when
    one is unknown, else true. Criterion 5 lists the mimics reported, for a clinician to exclude,
    and (while criteria 1-4 may still be met) the mimic questions in `separating` left unanswered.
    A screen, not a diagnosis: see CRITERIA_NOTE.
    """
    answers = intake.__dict__
    unsure = intake.unknown_fields
    no_urge = answers["urge_to_move"] is False
    each = []
    for number, field in enumerate(CRITERIA.values(), 1):
        value = answers[field]
        status: CriterionStatus
        if number > 1 and no_urge:
            status = "not_applicable"
        elif value is None:
            status = "unknown"
        else:
            status = "met" if value else "not_met"
        answer = "unknown" if value is None and field in unsure else value
        each.append(Criterion(number=number, field=field, status=status, answer=answer))
    statuses = {c.status for c in each}
    met = False if "not_met" in statuses else (None if "unknown" in statuses else True)
    missing = [c.field for c in each if c.status == "unknown"]
    return Criteria(
        met=met, criteria_1_4=each, items={name: answers[field] for name, field in CRITERIA.items()},
        missing=missing, unknown=[field for field in missing if field in unsure],
        mimics=sorted({f.code for f in findings if f.kind == "mimic"}),
        mimic_questions_unanswered=[] if met is False else [field for field in separating if answers[field] is None],
        note=CRITERIA_NOTE)
