"""The condition language of rule files: parse, check, evaluate, explain, compile.

A condition is YAML data:

    any:                                   # all / any: lists of conditions; not: one condition
      - ferritin_ng_ml: {le: 75}           # field: {op: value, ...}  (several ops = all of them)
      - tsat_percent: {lt: 20}
      - kidney_disease: {in: [ckd, dialysis]}
      - pregnant: true                     # shorthand for {eq: true}
      - medication_classes: {contains: ssri}
      - tsat_percent: {missing: true}      # or {present: true}
      - use: anaemia                       # a named condition (rules/definitions.yaml)

Semantics (shared by the plain-Python reference and the durable-rules compilation): a
comparison, `in` or `contains` on a missing value is false; `not` is plain logical negation,
so `not: {ferritin_ng_ml: {le: 75}}` is true when ferritin is above 75 *or* missing.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Union

COMPARISONS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
               "gt": operator.gt, "ge": operator.ge}
SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
COMPLEMENT = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le"}
DURABLE_OPS = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
LEAF_OPS = (*COMPARISONS, "in", "contains", "present", "missing")


class ConditionError(ValueError):
    """A condition that cannot be understood; the message says where and why."""


@dataclass(frozen=True)
class Cmp:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Contains:
    field: str
    value: str


@dataclass(frozen=True)
class Present:
    field: str


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


Leaf = Union[Cmp, In, Contains, Present]
Condition = Union[Leaf, Not, All, AnyOf]


# ---------------------------------------------------------------------------------------------
# Parsing: YAML data -> Condition

def parse(data: Any, path: str = "when", definitions: Mapping[str, Condition] | None = None) -> Condition:
    """Parse YAML condition data; raises ConditionError naming the path inside the rule.

    `{use: name}` stands for the named condition `definitions[name]`, expanded in place (the
    engines never see names).
    """
    if not isinstance(data, Mapping) or not data:
        raise ConditionError(f"{path}: expected a mapping such as {{all: [...]}} or {{field: {{op: value}}}}")
    if len(data) == 1:
        (key, value), = data.items()
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{path}.{key}: expected a non-empty list of conditions")
            items = tuple(parse(item, f"{path}.{key}[{i}]", definitions) for i, item in enumerate(value))
            return items[0] if len(items) == 1 else (All(items) if key == "all" else AnyOf(items))
        if key == "not":
            return Not(parse(value, f"{path}.not", definitions))
        if key == "use":
            if not isinstance(value, str) or value not in (definitions or {}):
                known = ", ".join(sorted(definitions or {})) or "none"
                raise ConditionError(f"{path}.use: unknown named condition {value!r} (known: {known})")
            return (definitions or {})[value]
    leaves = [_parse_field(str(field), spec, f"{path}.{field}") for field, spec in data.items()]
    return leaves[0] if len(leaves) == 1 else All(tuple(leaves))


def _parse_field(field: str, spec: Any, path: str) -> Condition:
    if field in ("all", "any", "not", "use"):
        raise ConditionError(f"{path}: '{field}' must be the only key of its mapping")
    if not isinstance(spec, Mapping):
        return Cmp(field, "eq", spec)
    if not spec:
        raise ConditionError(f"{path}: no operator given (use one of {', '.join(LEAF_OPS)})")
    leaves: list[Condition] = []
    for op, value in spec.items():
        if op in COMPARISONS:
            leaves.append(Cmp(field, op, value))
        elif op == "in":
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{path}.in: expected a non-empty list of values")
            leaves.append(In(field, tuple(value)))
        elif op == "contains":
            leaves.append(Contains(field, value))
        elif op in ("present", "missing"):
            if not isinstance(value, bool):
                raise ConditionError(f"{path}.{op}: expected true or false")
            leaf: Condition = Present(field)
            leaves.append(leaf if (op == "present") == value else Not(leaf))
        else:
            raise ConditionError(f"{path}: unknown operator {op!r} (use one of {', '.join(LEAF_OPS)})")
    return leaves[0] if len(leaves) == 1 else All(tuple(leaves))


def leaves(cond: Condition) -> list[Leaf]:
    """Every leaf of a condition, in order."""
    if isinstance(cond, (All, AnyOf)):
        return [leaf for item in cond.items for leaf in leaves(item)]
    if isinstance(cond, Not):
        return leaves(cond.item)
    return [cond]


def fields(cond: Condition) -> set[str]:
    return {leaf.field for leaf in leaves(cond)}


def guaranteed(cond: Condition) -> set[str]:
    """Fields that are surely answered whenever `cond` is true (a test on a missing value is false)."""
    if isinstance(cond, All):
        return set().union(*(guaranteed(item) for item in cond.items))
    if isinstance(cond, AnyOf):
        return set.intersection(*(guaranteed(item) for item in cond.items))
    if isinstance(cond, Not):
        return set()
    return {cond.field}


# ---------------------------------------------------------------------------------------------
# Reference semantics: plain Python over a facts dict (missing values are absent keys)

Facts = Mapping[str, Any]


def evaluate(cond: Condition, facts: Facts) -> bool:
    """The reference meaning of a condition (slow and obviously right; `compile_python` is fast)."""
    if isinstance(cond, All):
        return all(evaluate(item, facts) for item in cond.items)
    if isinstance(cond, AnyOf):
        return any(evaluate(item, facts) for item in cond.items)
    if isinstance(cond, Not):
        return not evaluate(cond.item, facts)
    if isinstance(cond, Present):
        return cond.field in facts
    value = facts.get(cond.field)
    if value is None:
        return False
    if isinstance(cond, Cmp):
        return COMPARISONS[cond.op](value, cond.value)
    if isinstance(cond, In):
        return value in cond.values
    return cond.value in value  # Contains


def compile_python(rules: Iterable[tuple[str, Condition]]) -> Callable[[Facts], set[str]]:
    """The same semantics as `evaluate`, for many rules at once, generated as one Python function.

    Each field the rules test is read once into a local; a rule is one `if` over those locals.
    Literals are embedded with `repr`, which round-trips every str, bool, int and float.
    """
    rules = list(rules)
    names = {field: f"v{i}" for i, field in enumerate(sorted({f for _, c in rules for f in fields(c)}))}
    lines = ["def fire(facts):", "    get = facts.get"]
    lines += [f"    {local} = get({field!r})" for field, local in names.items()]
    lines.append("    out = set()")
    for rule_id, cond in rules:
        lines.append(f"    if {_python_expr(cond, names)}: out.add({rule_id!r})")
    lines.append("    return out")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<rules>", "exec"), namespace)  # noqa: S102 - code built from checked rules
    return namespace["fire"]


def _python_expr(cond: Condition, names: Mapping[str, str]) -> str:
    if isinstance(cond, (All, AnyOf)):
        joiner = " and " if isinstance(cond, All) else " or "
        return "(" + joiner.join(_python_expr(item, names) for item in cond.items) + ")"
    if isinstance(cond, Not):
        return f"(not {_python_expr(cond.item, names)})"
    local = names[cond.field]
    if isinstance(cond, Present):
        return f"({local} is not None)"
    if isinstance(cond, Cmp):
        return f"({local} is not None and {local} {_PY_OPS[cond.op]} {cond.value!r})"
    if isinstance(cond, In):
        return f"({local} in {frozenset(cond.values)!r})"
    return f"({local} is not None and {cond.value!r} in {local})"


_PY_OPS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


# ---------------------------------------------------------------------------------------------
# durable-rules compilation: negation pushed down to the leaves, then the engine's JSON form

def _negate(cond: Condition) -> Condition:
    """Push a negation one level down (De Morgan), keeping "missing makes a test false"."""
    if isinstance(cond, Not):
        return cond.item
    if isinstance(cond, All):
        return AnyOf(tuple(_negate(item) for item in cond.items))
    if isinstance(cond, AnyOf):
        return All(tuple(_negate(item) for item in cond.items))
    if isinstance(cond, Present):
        return Not(cond)
    absent = Not(Present(cond.field))
    if isinstance(cond, Cmp):
        return AnyOf((absent, Cmp(cond.field, COMPLEMENT[cond.op], cond.value)))
    if isinstance(cond, In):
        return AnyOf((absent, All(tuple(Cmp(cond.field, "ne", v) for v in cond.values))))
    return Not(cond)  # Contains: compiled directly in to_durable


def to_durable(cond: Condition, alias: Mapping[str, str] | None = None) -> dict[str, Any]:
    """durable-rules JSON for a condition (without the respondent guard).

    Nested and/or of the same kind are flattened and one-item groups unwrapped: durable-rules
    refuses deeply nested expressions ("Could not create ruleset, error code: 113"). `alias`
    renames fields (short names make the engine's JSON, and so the engine, faster).
    """
    name = (lambda field: alias.get(field, field)) if alias else (lambda field: field)
    if isinstance(cond, (All, AnyOf)):
        key = "$and" if isinstance(cond, All) else "$or"
        items: list[dict[str, Any]] = []
        for item in cond.items:
            compiled = to_durable(item, alias)
            for part in compiled[key] if set(compiled) == {key} else [compiled]:
                if part not in items:  # identical branches add nothing
                    items.append(part)
        return items[0] if len(items) == 1 else {key: items}
    if isinstance(cond, Not):
        inner = cond.item
        if isinstance(inner, Present):
            return {"$nex": {name(inner.field): 1}}
        if isinstance(inner, Contains):  # absent, or no item equals the value
            field = name(inner.field)
            return {"$or": [{"$nex": {field: 1}}, {"$iall": {field: {"$neq": {"$i": inner.value}}}}]}
        return to_durable(_negate(inner), alias)
    if isinstance(cond, Present):
        return {"$ex": {name(cond.field): 1}}
    if isinstance(cond, Cmp):
        if cond.op == "eq":
            return {name(cond.field): cond.value}
        return {DURABLE_OPS[cond.op]: {name(cond.field): cond.value}}
    if isinstance(cond, In):
        return to_durable(AnyOf(tuple(Cmp(cond.field, "eq", value) for value in cond.values)), alias)
    return {"$iany": {name(cond.field): {"$i": cond.value}}}


DURABLE_MAX_GROUPS = 15  # durable-rules refuses a rule with more $and/$or groups (error code 113)
DURABLE_MAX_PARTS = 32   # beyond this a condition is left whole, for the engine to refuse by name


def durable_parts(cond: Condition, alias: Mapping[str, str] | None = None,
                  wrap: Callable[[dict[str, Any]], dict[str, Any]] = lambda expr: expr) -> list[dict[str, Any]]:
    """durable-rules JSON for a condition, as few parts as needed, each within the engine's limit.

    The condition holds exactly when one of the parts matches: a part that is too big is split
    by distributing an `all` over one of its `any` items (A and (B or C) -> (A and B) or (A and
    C)), the one that sheds the most groups per branch. `wrap` adds what every part carries
    (the respondent guard) before its groups are counted. A condition that would need more than
    DURABLE_MAX_PARTS parts comes back whole, and the engine names the rule it refuses.
    """
    whole = wrap(to_durable(cond, alias))
    if _groups(whole) <= DURABLE_MAX_GROUPS:
        return [whole]
    parts = [wrap(to_durable(part, alias)) for part in _split(_pushed(cond), alias, wrap)]
    return parts if len(parts) <= DURABLE_MAX_PARTS else [whole]


def _split(cond: Condition, alias: Mapping[str, str] | None,
           wrap: Callable[[dict[str, Any]], dict[str, Any]]) -> list[Condition]:
    if _groups(wrap(to_durable(cond, alias))) <= DURABLE_MAX_GROUPS:
        return [cond]
    if isinstance(cond, AnyOf):
        out = []
        for item in cond.items:
            out += _split(item, alias, wrap)
            if len(out) > DURABLE_MAX_PARTS:
                break
        return out
    if isinstance(cond, All):
        ors = [i for i, item in enumerate(cond.items) if isinstance(item, AnyOf)]
        if ors:
            def shed(i: int) -> float:
                item = cond.items[i]
                return _groups(to_durable(item, alias)) / len(item.items)  # type: ignore[union-attr]

            i = max(ors, key=shed)
            rest = cond.items[:i] + cond.items[i + 1:]
            out = []
            for branch in cond.items[i].items:  # type: ignore[union-attr]
                out += _split(_pushed(All((*rest, branch))), alias, wrap)
                if len(out) > DURABLE_MAX_PARTS:
                    break
            return out
    return [cond]


def _pushed(cond: Condition) -> Condition:
    """The same condition with every negation pushed down to a leaf, nested groups of one kind
    merged and repeated items dropped."""
    if isinstance(cond, Not) and not isinstance(cond.item, (Present, Contains)):
        return _pushed(_negate(cond.item))
    if isinstance(cond, (All, AnyOf)):
        kind = type(cond)
        items = [_pushed(item) for item in cond.items]
        flat = dict.fromkeys(part for item in items for part in (item.items if isinstance(item, kind) else (item,)))
        return next(iter(flat)) if len(flat) == 1 else kind(tuple(flat))
    return cond


def _groups(expr: Any) -> int:
    if isinstance(expr, dict):
        return sum((key in ("$and", "$or")) + _groups(value) for key, value in expr.items())
    if isinstance(expr, list):
        return sum(_groups(item) for item in expr)
    return 0


# ---------------------------------------------------------------------------------------------
# Explanations: which answers made a condition true

Describe = Callable[[str, Any, Any, "str | None"], str]


def explain(cond: Condition, facts: Facts, describe: Describe, want: bool = True) -> list[str]:
    """Short statements, one per leaf, that show why `cond` evaluates to `want` for these facts.

    `describe(field, value, item, test)` renders an answer with the test it passed ("ferritin
    30 ng/mL ≤ 75"); value None = missing; `item` is the list item a `contains` test looks for;
    `test` is the comparison that held ("≤ 75"), or None when the answer itself says it.

    A test that is false only because its answer is missing ("not pregnant" for a man never
    asked) says nothing about the person: such statements are left out when others remain.
    """
    truth: dict[int, bool] = {}  # each node is evaluated once per call

    def holds(node: Condition) -> bool:
        key = id(node)
        if key not in truth:
            truth[key] = evaluate(node, facts)
        return truth[key]

    def walk(node: Condition, want: bool) -> list[tuple[str, bool]]:
        if isinstance(node, Not):
            return walk(node.item, not want)
        if isinstance(node, (All, AnyOf)):
            # all(...) is true (any(...) false) only through every item; otherwise the decisive ones.
            every = isinstance(node, All) == want
            chosen = node.items if every else [item for item in node.items if holds(item) == want]
            return [said for item in chosen for said in walk(item, want)]
        value = facts.get(node.field)
        test = None
        op = node.op if isinstance(node, Cmp) and want else COMPLEMENT.get(getattr(node, "op", ""), "")
        if isinstance(node, Cmp) and value is not None and not isinstance(node.value, (bool, str)) and op != "eq":
            test = f"{SYMBOLS[op]} {_literal(node.value)}"  # "trimester 1", not "trimester 1 = 1"
        quiet = not want and value is None and not isinstance(node, Present)
        return [(describe(node.field, value, node.value if isinstance(node, Contains) else None, test), quiet)]

    said = walk(cond, want)
    loud = [text for text, quiet in said if not quiet]
    return loud or [text for text, _ in said]


def _literal(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------------
# Conditions in words, for the reviewers' catalogue

def to_words(cond: Condition, title: Callable[[str], str] = str, item: Callable[[str], str] = str) -> str:
    """A condition as a sentence fragment: "ferritin ≤ 75 or TSAT < 20".

    `title` names a field, `item` names a list item (a medication class).
    """
    if isinstance(cond, (All, AnyOf)):
        joiner = " and " if isinstance(cond, All) else " or "
        return joiner.join(f"({to_words(part, title, item)})" if isinstance(part, (All, AnyOf))
                           else to_words(part, title, item) for part in cond.items)
    if isinstance(cond, Not):
        if isinstance(cond.item, Present):
            return f"{title(cond.item.field)} is missing"
        if isinstance(cond.item, Contains):
            return f"{title(cond.item.field)} do not include {item(cond.item.value)}"
        return f"not ({to_words(cond.item, title, item)})"
    name = title(cond.field)
    if isinstance(cond, Present):
        return f"{name} is answered"
    if isinstance(cond, Cmp):
        if isinstance(cond.value, bool):
            return f"{name} is {'yes' if cond.value == (cond.op == 'eq') else 'no'}"
        return f"{name} {SYMBOLS[cond.op]} {_literal(cond.value)}"
    if isinstance(cond, In):
        return f"{name} is one of {', '.join(map(str, cond.values))}"
    return f"{name} include {item(cond.value)}"
