"""Rule engines: which rules fire for which facts.

`DurableEngine` drives the durable-rules C engine (`durable_rules_engine`) directly, the way
measured to be fast and safe; `ReferenceEngine` evaluates the same conditions in plain Python
and is the oracle the tests compare it with. Both take `(rule_id, Condition)` pairs and answer
`fire(facts_list) -> [set of rule ids per facts]`.

durable-rules traps hidden here (each has a test in tests/test_engine.py):
- facts, not events (an event is consumed by the first rule that matches it);
- every rule is guarded by `$ex rid`, a field only respondents carry, so a rule of absences
  never matches the engine's own state fact;
- "no rule matched" and "identical fact seen before" are result codes, never exceptions
  for the caller: each fact's `id` is its position in the chunk (ids are compared by a 32-bit
  hash, so respondent ids are never used), and the chunk is retracted before the next one;
- one long-lived sid per engine (more than 1024 live sids corrupts memory); a warm-up action
  runs first so that `delete_state` at close frees initialised memory;
- an OR fires once per true branch: results are sets;
- numbers in exponent form are misread ("1e5" as 1) or crash the engine later: they are refused
  (facts come from the Intake model, which keeps numbers to 4 decimal places);
- ruleset names register once per process: each engine gets a new versioned name and frees
  its ruleset on close, so engines can be built again and again in one process;
- no Python action ever runs inside the engine, so nothing can be swallowed there; every
  pending action is completed before results are read, so a failure while reading them
  leaves the engine clean (never `abandon_action`: it corrupts memory).
"""

from __future__ import annotations

import itertools
import os
import re
from typing import Any, Iterable, Mapping, Protocol, Sequence

import orjson

from . import conditions as C

GUARD = {"$ex": {"rid": 1}}
SID = "0"
SENTINEL_RULE = "__warmup__"
_names = itertools.count(1)
_RESULT_IDS = re.compile(r'"sid":"0","id":(\d+)')
# durable-rules misreads numbers in exponent form ("1e5" matches as 1; "1e-300" later segfaults)
_EXPONENT = re.compile(rb"\d[eE][-+]?\d")


class EngineError(RuntimeError):
    """The engine answered something it should never answer (a bug, not bad input)."""


class Engine(Protocol):
    name: str

    def fire(self, facts: Sequence[Mapping[str, Any]]) -> list[set[str]]: ...

    def close(self) -> None: ...


class ReferenceEngine:
    """Plain-Python evaluation of the conditions: the oracle for `DurableEngine`."""

    name = "reference"

    def __init__(self, rules: Iterable[tuple[str, C.Condition]]):
        self._fire_one = C.compile_python(rules)

    def fire(self, facts: Sequence[Mapping[str, Any]]) -> list[set[str]]:
        return [self._fire_one(f) for f in facts]

    def close(self) -> None:
        pass

    def __enter__(self) -> ReferenceEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DurableEngine:
    """The durable-rules C engine, one ruleset and one long-lived sid per instance.

    Not thread-safe: use one instance per thread or process.
    """

    name = "durable"

    def __init__(self, rules: Iterable[tuple[str, C.Condition]], chunk: int = 100):
        import durable_rules_engine as dre  # a C extension: imported only when an engine is built

        self._dre = dre
        self.chunk = chunk
        rules = list(rules)
        for rule_id, _ in rules:
            if rule_id.startswith("__") or "~" in rule_id:
                raise ValueError(f"rule id {rule_id!r} is reserved (no leading '__', no '~')")
        # Facts travel under short field names, and only the fields some rule tests: the engine
        # parses every fact and echoes it once per matching rule, so size is time.
        used = sorted({field for _, cond in rules for field in C.fields(cond)})
        self._alias = {field: f"x{i}" for i, field in enumerate(used)}
        definition: dict[str, Any] = {}
        for rule_id, cond in rules:  # a big condition becomes several engine rules: "ID", "ID~2", ...
            parts = C.durable_parts(cond, self._alias, lambda expr: {"$and": [GUARD, expr]})
            for n, part in enumerate(parts, 1):
                definition[rule_id if n == 1 else f"{rule_id}~{n}"] = {"all": [{"m": part}], "cap": chunk}
        definition[SENTINEL_RULE] = {"all": [{"m": {"$and": [GUARD, {"$ex": {"__warmup": 1}}]}}], "cap": chunk}
        self.ruleset_name = f"screener_{os.getpid()}_{next(_names)}"
        try:
            self._handle = dre.create_ruleset(self.ruleset_name, orjson.dumps(definition).decode())
        except dre.error as exc:
            raise EngineError(f"durable-rules refused the ruleset ({exc}); {self._culprits(definition)}") from exc
        self._retract_text = {n: self._retract_json(n) for n in (1, chunk)}
        self._closed = self._broken = False
        self._warm_up()

    def _warm_up(self) -> None:
        """Fire the sentinel rule once, so that `delete_state` at close frees initialised memory."""
        dre, handle = self._dre, self._handle
        code, state = dre.assert_facts(handle, orjson.dumps([{"sid": SID, "id": 0, "rid": 1, "__warmup": 1}]).decode())
        try:
            self._drain(state, [set()])
        finally:
            dre.retract_facts(handle, self._retract_text[1])

    def fire(self, facts: Sequence[Mapping[str, Any]]) -> list[set[str]]:
        if self._closed or self._broken:
            raise EngineError("engine is closed" if self._closed else "engine failed earlier; build a new one")
        fired: list[set[str]] = []
        for start in range(0, len(facts), self.chunk):
            fired.extend(self._run_chunk(facts[start:start + self.chunk]))
        return fired

    def _run_chunk(self, facts: Sequence[Mapping[str, Any]]) -> list[set[str]]:
        dre, handle = self._dre, self._handle
        alias = self._alias
        docs = []
        for position, fact in enumerate(facts):
            doc = {"sid": SID, "id": position, "rid": 1}
            for field, value in fact.items():
                short = alias.get(field)
                if short is not None:
                    doc[short] = value
            docs.append(doc)
        fired: list[set[str]] = [set() for _ in docs]
        text = orjson.dumps(docs)
        if (b"e-" in text or b"e+" in text) and _EXPONENT.search(text):
            raise EngineError("a number would reach the engine in exponent form; round facts to at most "
                              "4 decimal places and keep them below 1e16 (the Intake model does)")
        try:
            code, state = dre.assert_facts(handle, text.decode())
        except BaseException:  # some facts may be in: their results could reach the next chunk
            self._broken = True
            raise
        try:
            if code == 2:
                raise EngineError("a fact was reported as already observed; the previous chunk was not retracted")
            self._drain(state, fired)
        finally:
            dre.retract_facts(handle, self._retract_text.get(len(docs)) or self._retract_json(len(docs)))
        return fired

    def _drain(self, state: int, fired: list[set[str]]) -> None:
        """Run every pending action of the chunk to completion, then read the results.

        The engine loop only calls the C engine: an action left started holds a lease on the sid
        and the next chunk's results would silently go missing, and `abandon_action` corrupts
        memory (a later call segfaults). If the engine itself fails mid-drain, the instance is
        marked broken and refuses further work instead of losing results.
        """
        dre, handle = self._dre, self._handle
        texts: list[str] = []
        try:
            result = dre.start_action_for_state(handle, state)
            text = result[1] if result else None
            while text:
                texts.append(text)
                text = dre.complete_and_start_action(handle, state)
        except BaseException:
            self._broken = True
            raise
        for text in texts:
            self._read_result(text, fired)

    @staticmethod
    def _read_result(text: str, fired: list[set[str]]) -> None:
        """Add the rule of one action result to the facts (chunk positions) it matched."""
        rule_id = text[2:text.index('"', 2)].split("~", 1)[0]
        if rule_id != SENTINEL_RULE:
            for position in _RESULT_IDS.findall(text):
                fired[int(position)].add(rule_id)

    def _culprits(self, definition: dict[str, Any]) -> str:
        """Name the rules that durable-rules refuses on their own."""
        refused = []
        for rule_id, rule in definition.items():
            try:
                probe = self._dre.create_ruleset(f"{self.ruleset_name}_probe_{next(_names)}",
                                                 orjson.dumps({rule_id: rule}).decode())
                self._dre.delete_ruleset(probe)
            except self._dre.error:
                refused.append(rule_id)
        return f"refused rules: {', '.join(refused)} (simplify their conditions)" if refused else "no single rule is refused"

    @staticmethod
    def _retract_json(n: int) -> str:
        return orjson.dumps([{"sid": SID, "id": position} for position in range(n)]).decode()

    def close(self) -> None:
        """Free the engine's state and ruleset; the instance cannot be used afterwards."""
        if self._closed:
            return
        self._closed = True
        if self._broken:  # its state is unknown: leak it rather than risk freeing bad memory
            return
        self._dre.delete_state(self._handle, SID)
        self._dre.delete_ruleset(self._handle)

    def __enter__(self) -> DurableEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
