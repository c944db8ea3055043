"""Loading and checking a questionnaire file, so that it maps onto FHIR and REDCap as it claims.

Besides agreement with the Intake model (types, units, ranges, choices), the loader refuses:
a section and a question with one id (FHIR linkIds are unique across the tree); a REDCap
variable name that is not `^[a-z][a-z0-9_]{0,25}$` or is used twice (`redcap:` gives a shorter
export name, the question keeps its canonical id); a unit with no UCUM code in codes.yaml;
"don't know" on a question whose answer is not coded; an `ask_when` that FHIR enableWhen and
REDCap branching logic cannot express (skiplogic); anything but exactly one record identifier,
first in the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from . import conditions as C
from .intake import FIELDS, FieldSpec
from .paths import questionnaires_dir
from .questionnaire import DERIVED_FROM, TYPES, Question, Questionnaire, QuestionnaireError
from .skiplogic import SkipError, Target, translate

_KEYS = {"id", "section", "type", "text", "help", "unit", "min", "max", "choices", "required", "ask_when",
         "redcap", "dont_know", "identifier"}
_TOP = {"id", "title", "version", "url", "sections", "questions"}
REDCAP_NAME = re.compile(r"^[a-z][a-z0-9_]{0,25}$")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_codes(path: Path) -> dict[str, Any]:
    """questionnaires/codes.yaml: UCUM and LOINC tables, the yes/no/don't know codings."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionnaireError([f"{path.name}: cannot be read as YAML: {exc}"]) from None
    missing = [key for key in ("ucum", "loinc", "yesnodontknow", "systems") if not isinstance(data.get(key), dict)]
    if missing:
        raise QuestionnaireError([f"{path.name}: needs the tables {', '.join(missing)}"])
    return data


def load(path: Path) -> Questionnaire:
    """Load and check a questionnaire file (and the codes.yaml beside it, else the shipped one);
    QuestionnaireError lists each problem."""
    problems: list[str] = []
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionnaireError([f"{path.name}: cannot be read as YAML: {exc}"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuestionnaireError([f"{path.name}: expected a mapping with a 'questions' list"])
    beside = path.with_name("codes.yaml")  # else the shipped one
    codes = load_codes(beside if beside.exists() else questionnaires_dir() / "codes.yaml")
    problems += [f"{path.name}: unknown key {key!r}" for key in data if key not in _TOP]
    problems += [f"{path.name}: needs a {key}" for key in ("url", "version") if not data.get(key)]
    sections = {}
    for raw in data.get("sections") or []:
        if isinstance(raw, dict) and raw.get("id") and raw.get("title"):
            sections[str(raw["id"])] = str(raw["title"])
        else:
            problems.append(f"{path.name}: each section needs an id and a title")
    questions: list[Question] = []
    for number, raw in enumerate(data["questions"], 1):
        question = _question(raw, number, sections, questions, codes, problems, path.name)
        if question:
            questions.append(question)
    asked = {q.id for q in questions}
    problems += [f"{path.name}: Intake field {fid!r} has no question" for fid in FIELDS if fid not in asked]
    problems += [f"{path.name}: section {sid!r} has the id of a question; FHIR linkIds must be unique across "
                 "the tree: rename the section" for sid in sections if sid in FIELDS]
    problems += _whole_file(questions, codes, path.name)
    if problems:
        raise QuestionnaireError(problems)
    return Questionnaire(str(data.get("id") or path.stem), str(data.get("title") or path.stem),
                         str(data["version"]), sections, questions, str(data["url"]), codes)


def _whole_file(questions: list[Question], codes: dict[str, Any], file: str) -> list[str]:
    """Checks across questions: REDCap names unique, one record identifier first, LOINC keys."""
    problems = []
    seen: dict[str, str] = {}
    for question in questions:
        if question.redcap in seen:
            problems.append(f"{file}: question {question.id}: REDCap name {question.redcap!r} is also that of "
                            f"{seen[question.redcap]}")
        seen[question.redcap] = question.id
    identifiers = [q.id for q in questions if q.identifier]
    if len(identifiers) != 1 or (questions and not questions[0].identifier):
        problems.append(f"{file}: exactly one question, the first, must be the record identifier "
                        f"(identifier: true); found {identifiers or 'none'}")
    problems += [f"{file}: codes.yaml: loinc: {fid!r} is not a question" for fid in codes["loinc"]
                 if fid not in {q.id for q in questions}]
    return problems


def _question(raw: Any, number: int, sections: dict[str, str], earlier: list[Question], codes: dict[str, Any],
              problems: list[str], file: str) -> Question | None:
    where = f"{file}: question #{number}"
    if not isinstance(raw, dict) or "id" not in raw:
        problems.append(f"{where}: expected a mapping with an id")
        return None
    qid = str(raw["id"])
    where = f"{file}: question {qid}"
    before = len(problems)
    spec = FIELDS.get(qid)
    if spec is None:
        problems.append(f"{where}: not an Intake field")
        return None
    if qid in [q.id for q in earlier]:
        problems.append(f"{where}: asked twice")
    problems += [f"{where}: unknown key {key!r}" for key in raw if key not in _KEYS]
    for key in ("text", "help"):
        if not isinstance(raw.get(key), str) or len(raw[key].strip()) < 5:
            problems.append(f"{where}: needs a {key}")
    if raw.get("section") not in sections:
        problems.append(f"{where}: section {raw.get('section')!r} is not listed under sections")
    if raw.get("type") != TYPES[spec.kind]:
        problems.append(f"{where}: type {raw.get('type')!r} disagrees with the Intake field ({TYPES[spec.kind]})")
    if raw.get("unit") != spec.unit:
        problems.append(f"{where}: unit {raw.get('unit')!r} disagrees with the Intake field ({spec.unit!r})")
    ucum = None
    if spec.unit:
        ucum = (codes["ucum"].get(spec.unit) or {}).get("code")
        if not ucum:
            problems.append(f"{where}: unit {spec.unit!r} has no UCUM code in codes.yaml")
    for key, expected in (("min", spec.minimum), ("max", spec.maximum)):
        if raw.get(key) != expected:
            problems.append(f"{where}: {key} {raw.get(key)!r} disagrees with the Intake field ({expected!r})")
    choices = _choices(raw.get("choices"), spec, where, problems)
    flags = {}
    for key in ("required", "identifier", "dont_know"):
        if not isinstance(raw.get(key, False), bool):
            problems.append(f"{where}: {key} must be true or false")
        flags[key] = raw.get(key) is True
    coded = spec.kind in ("yesno", "choice")
    dont_know = raw.get("dont_know", coded and not flags["required"] and not flags["identifier"]) is True
    if dont_know and not coded:
        problems.append(f"{where}: dont_know: only a yes/no or choice answer can be \"don't know\" (a coded "
                        "answer in FHIR and REDCap); leave a number or text blank instead")
    if flags["identifier"] and (spec.kind != "text" or raw.get("ask_when") is not None):
        problems.append(f"{where}: the record identifier must be text and always asked")
    redcap = str(raw.get("redcap", qid))
    if not REDCAP_NAME.match(redcap):
        problems.append(f"{where}: REDCap name {redcap!r} must match ^[a-z][a-z0-9_]{{0,25}}$ (at most 26 "
                        "characters): give a shorter one with redcap:")
    condition, skip = None, None
    if raw.get("ask_when") is not None:
        condition, skip = _ask_when(raw["ask_when"], earlier, codes, where, problems)
    if len(problems) > before:
        return None
    return Question(qid, raw["section"], raw["text"].strip(), raw["help"].strip(), spec, choices, flags["required"],
                    condition, redcap, dont_know, flags["identifier"], tuple(codes["loinc"].get(qid) or ()), ucum, skip)


def _choices(raw: Any, spec: FieldSpec, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if spec.kind != "choice":
        if raw is not None:
            problems.append(f"{where}: choices given for a {TYPES[spec.kind]} question")
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, dict) and set(c) == {"code", "display"}
                                            and c["code"] and c["display"] for c in raw):
        problems.append(f"{where}: choices must be a list of {{code, display}}")
        return ()
    pairs = tuple((str(c["code"]), str(c["display"])) for c in raw)
    if tuple(code for code, _ in pairs) != spec.choices:
        problems.append(f"{where}: choice codes {[c for c, _ in pairs]} disagree with the Intake field {list(spec.choices)}")
    elif tuple(display for _, display in pairs) != spec.labels:  # the labels are answers too (any spelling)
        problems.append(f"{where}: choice displays {[d for _, d in pairs]} disagree with the Intake labels "
                        f"{list(spec.labels)}")
    return pairs


def _ask_when(raw: Any, earlier: list[Question], codes: dict[str, Any], where: str,
              problems: list[str]) -> tuple[C.Condition | None, Any]:
    from .rulebook import check_condition, default_rulebook

    try:
        condition = C.parse(raw, "ask_when")
    except C.ConditionError as exc:
        problems.append(f"{where}: {exc}")
        return None, None
    lexicon = default_rulebook().lexicon
    found = check_condition(condition, lexicon)
    problems += [f"{where}: ask_when: {msg}" for msg in found]
    ids = [q.id for q in earlier]
    late = [f"{where}: ask_when tests {name!r}, which is not asked before this question"
            for name in sorted(C.fields(condition)) if not any(s in ids for s in DERIVED_FROM.get(name, (name,)))]
    problems += late
    if found or late:
        return None, None
    targets = {q.id: Target(q.id, q.spec, q.redcap, q.dont_know) for q in earlier}
    try:
        skip = translate(condition, targets, lambda cls: lexicon_names(lexicon, cls))
    except SkipError as exc:
        problems.append(f"{where}: ask_when {exc} (FHIR enableWhen and REDCap branching logic must express it)")
        return None, None
    return condition, skip


def lexicon_names(lexicon: Any, cls: str) -> list[str]:
    """Every name (generic, brand, alias, combination) the lexicon maps to drug class `cls`."""
    return sorted({entry.name for entry in lexicon.index.values() if cls in entry.classes})
