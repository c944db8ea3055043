"""Load and check the rulebook: `rules/` holds the registry files and the rule files.

- `rulebook.yaml`: the version and the vocabulary of finding codes per kind;
- `sources.yaml`: the source registry (full citations);
- `medications.yaml`: the medication lexicon;
- `definitions.yaml`: named conditions (anaemia, adult...) that rules reuse as `{use: name}`;
- every other `*.yaml`: a rule file with a top-level `rules:` list.

The loader refuses, naming the file and the rule: a rule without sources or with an unknown
source id, a rule (named condition, medication class) whose sources are all of the weakest
kinds (consumer page, forum, AI summary, unknown author or journal: `WEAK_SOURCE_KINDS`), a
condition on a field the facts do not have (or with a value of the wrong type), a duplicate
rule id, a code outside the vocabulary, a kind that does not match its code, and advice that
names an answer which may be unanswered when the advice applies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from . import conditions as C
from .advice import compile_advice
from .facts import FACT_FIELDS
from .intake import FieldSpec
from .lexicon import Lexicon
from .models import WEAK_SOURCE_KINDS, Definition, RuleSpec, Source
from .paths import rules_dir

_M = TypeVar("_M", bound=BaseModel)
REGISTRY_FILES = ("rulebook.yaml", "sources.yaml", "medications.yaml", "definitions.yaml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


class RulebookError(Exception):
    """The rulebook is inconsistent; `problems` lists every problem found, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Rulebook:
    version: str
    sha256: str
    sources: dict[str, Source]
    rules: list[RuleSpec]
    lexicon: Lexicon
    codes: dict[str, str] = field(default_factory=dict)  # code -> kind
    definitions: dict[str, Definition] = field(default_factory=dict)

    @property
    def stamp(self) -> dict[str, str]:
        return {"version": self.version, "sha256": self.sha256}


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path.name}: cannot be read as YAML: {' '.join(str(exc).split())}")
        return None


def _read_mapping(path: Path, problems: list[str]) -> dict[str, Any]:
    """A registry file: a YAML mapping at the top level ({} after a problem)."""
    data = _read_yaml(path, problems)
    if data is None or isinstance(data, dict):
        return data or {}
    problems.append(f"{path.name}: expected a mapping at the top level, not a {type(data).__name__}")
    return {}


def load_rulebook(folder: Path | None = None) -> Rulebook:
    """Load every file of the rules folder; raise RulebookError listing all problems."""
    folder = folder or rules_dir()
    problems: list[str] = []
    if not folder.is_dir():
        raise RulebookError([f"{folder}: rules folder not found"])

    meta = _read_mapping(folder / "rulebook.yaml", problems)
    codes = _load_codes(meta, problems)
    sources = _load_sources(folder / "sources.yaml", problems)
    lexicon = _load_lexicon(folder / "medications.yaml", sources, problems)
    definitions = _load_definitions(folder / "definitions.yaml", sources, lexicon, problems)
    named = {name: d._condition for name, d in definitions.items()}

    rules: list[RuleSpec] = []
    seen: dict[str, str] = {}
    rule_files = sorted(p for p in folder.glob("*.yaml") if p.name not in REGISTRY_FILES)
    for path in rule_files:
        data = _read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            problems.append(f"{path.name}: expected a top-level 'rules:' list")
            continue
        for index, raw in enumerate(data["rules"]):
            rule = _load_rule(path.name, index, raw, codes, sources, lexicon, named, problems)
            if rule is None:
                continue
            if rule.id in seen:
                problems.append(f"{path.name}: rule {rule.id}: duplicate rule id (also in {seen[rule.id]})")
                continue
            seen[rule.id] = path.name
            rules.append(rule)
    if problems:
        raise RulebookError(problems)
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return Rulebook(str(meta.get("version", "0")), digest.hexdigest(), sources, rules, lexicon, codes, definitions)


@cache
def default_rulebook() -> Rulebook:
    """The shipped rulebook, loaded once per process."""
    return load_rulebook()


def _load_codes(meta: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """rulebook.yaml's vocabulary as code -> kind."""
    raw = meta.get("codes")
    if not isinstance(raw, dict) or not all(isinstance(names, list) for names in raw.values()):
        problems.append("rulebook.yaml: 'codes' must map each kind to a list of finding codes")
        return {}
    return {str(code): kind for kind, names in raw.items() for code in names}


def _load_sources(path: Path, problems: list[str]) -> dict[str, Source]:
    data = _read_mapping(path, problems)
    sources: dict[str, Source] = {}
    for index, raw in enumerate(data.get("sources") or []):
        source = _validated(Source, raw, f"{path.name}: source {_ident(raw, index)}", problems)
        if source is None:
            continue
        if source.id in sources:
            problems.append(f"{path.name}: source {source.id}: duplicate id")
        sources[source.id] = source
    if not sources:
        problems.append(f"{path.name}: no sources")
    return sources


def _load_lexicon(path: Path, sources: dict[str, Source], problems: list[str]) -> Lexicon:
    data = _read_mapping(path, problems)
    try:
        lexicon = Lexicon.from_data(data, path.name)
    except ValueError as exc:  # already names the file
        problems.append(str(exc))
        return Lexicon({})
    except (KeyError, TypeError) as exc:
        problems.append(f"{path.name}: malformed entry ({type(exc).__name__}: {exc})")
        return Lexicon({})
    for cls in lexicon.classes.values():
        if not cls.sources:
            problems.append(f"{path.name}: class {cls.id}: no sources")
        for sid in cls.sources:
            if sid not in sources:
                problems.append(f"{path.name}: class {cls.id}: unknown source id {sid!r}")
        problems.extend(f"{path.name}: class {cls.id}: {msg}" for msg in weak_sources(cls.sources, sources))
    return lexicon


def weak_sources(ids: list[str] | tuple[str, ...], sources: dict[str, Source]) -> list[str]:
    """A problem when every one of these (known) sources is of a weakest kind, else none."""
    known = [sources[sid] for sid in ids if sid in sources]
    if not known or len(known) < len(ids) or not all(source.weak for source in known):
        return []
    cited = ", ".join(f"{source.id} ({source.kind})" for source in known)
    return [f"rests only on the weakest kinds of source ({cited}): cite a guideline or primary study "
            f"instead (add it to rules/sources.yaml first), or drop it; the weakest kinds are "
            f"{', '.join(sorted(WEAK_SOURCE_KINDS))}"]


def _load_definitions(path: Path, sources: dict[str, Source], lexicon: Lexicon,
                      problems: list[str]) -> dict[str, Definition]:
    """Named conditions, in file order: each may use the ones above it."""
    if not path.exists():
        return {}
    data = _read_mapping(path, problems)
    out: dict[str, Definition] = {}
    for index, raw in enumerate(data.get("definitions") or []):
        where = f"{path.name}: definition {_ident(raw, index)}"
        definition = _validated(Definition, raw, where, problems)
        if definition is None:
            continue
        before = len(problems)
        problems.extend(f"{where}: unknown source id {sid!r}" for sid in definition.sources if sid not in sources)
        problems.extend(f"{where}: {msg}" for msg in weak_sources(definition.sources, sources))
        if definition.id in out:
            problems.append(f"{where}: duplicate id")
        try:
            condition = C.parse(definition.when, "when", {k: v._condition for k, v in out.items()})
        except C.ConditionError as exc:
            problems.append(f"{where}: {exc}")
            continue
        problems.extend(f"{where}: {msg}" for msg in check_condition(condition, lexicon))
        if len(problems) == before:
            definition._condition = condition
            out[definition.id] = definition
    return out


def _load_rule(file: str, index: int, raw: Any, codes: dict[str, str], sources: dict[str, Source],
               lexicon: Lexicon, named: dict[str, C.Condition], problems: list[str]) -> RuleSpec | None:
    where = f"{file}: rule {_ident(raw, index)}"
    rule = _validated(RuleSpec, raw, where, problems)
    if rule is None:
        return None
    before = len(problems)
    if rule.code not in codes:
        problems.append(f"{where}: code {rule.code!r} is not in the vocabulary (rules/rulebook.yaml)")
    elif codes[rule.code] != rule.kind:
        problems.append(f"{where}: kind {rule.kind!r} does not match code {rule.code!r} (a {codes[rule.code]})")
    for sid in rule.sources:
        if sid not in sources:
            problems.append(f"{where}: unknown source id {sid!r}")
    problems.extend(f"{where}: {msg}" for msg in weak_sources(rule.sources, sources))
    try:
        condition = C.parse(rule.when, "when", named)
    except C.ConditionError as exc:
        problems.append(f"{where}: {exc}")
        return None
    problems.extend(f"{where}: {msg}" for msg in check_condition(condition, lexicon))
    if len(problems) > before:
        return None
    rule._condition = condition
    found: list[str] = []
    wordings = compile_advice(rule, named, found)
    for wording in wordings:
        if wording.condition is not None:
            found.extend(check_condition(wording.condition, lexicon))
    problems.extend(f"{where}: {msg}" for msg in found)
    if found:
        return None
    rule._wordings = wordings
    return rule


def check_condition(condition: C.Condition, lexicon: Lexicon) -> list[str]:
    """Every leaf must name a known fact field and compare it with a value of the right type."""
    out = []
    for leaf in C.leaves(condition):
        spec = FACT_FIELDS.get(leaf.field)
        if spec is None:
            out.append(f"condition on unknown field {leaf.field!r}")
            continue
        if isinstance(leaf, C.Present):
            continue
        if isinstance(leaf, C.Contains):
            if leaf.field != "medication_classes":
                out.append(f"'contains' is only for medication_classes, not {leaf.field!r}")
            elif leaf.value not in lexicon.classes:
                out.append(f"unknown medication class {leaf.value!r} (see medications.yaml)")
            continue
        if spec.kind == "list":
            out.append(f"{leaf.field!r} is a list: test it with 'contains', 'present' or 'missing'")
            continue
        values = leaf.values if isinstance(leaf, C.In) else (leaf.value,)
        op = "in" if isinstance(leaf, C.In) else leaf.op
        for value in values:
            problem = _type_problem(spec, op, value)
            if problem:
                out.append(f"{leaf.field} {op} {value!r}: {problem}")
    return out


def _type_problem(spec: FieldSpec, op: str, value: Any) -> str | None:
    if spec.kind == "yesno":
        if op not in ("eq", "ne"):
            return "a yes/no field takes only eq/ne"
        return None if isinstance(value, bool) else "expected true or false"
    if spec.kind == "choice":
        if op not in ("eq", "ne", "in"):
            return "a choice field takes only eq/ne/in"
        return None if value in spec.choices else f"expected one of {', '.join(spec.choices)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "expected a number"
    if spec.minimum is not None and value < spec.minimum or spec.maximum is not None and value > spec.maximum:
        return f"outside the field's range ({spec.describe_range()})"
    return None


def _ident(raw: Any, index: int) -> str:
    """How an entry is named in a problem: its id, else its place in the file."""
    return str(raw.get("id", f"#{index + 1}")) if isinstance(raw, dict) else f"#{index + 1}"


def _validated(model: type[_M], raw: Any, where: str, problems: list[str]) -> _M | None:
    """The entry as `model`, or None with each validation error added to `problems`."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(f"{where}: {_pyd(err)}" for err in exc.errors())
        return None


def _pyd(err: dict[str, Any]) -> str:
    loc = ".".join(str(part) for part in err["loc"])
    return f"{loc}: {err['msg']}" if loc else err["msg"]
