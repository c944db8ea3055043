"""Input files as sources of chunks: CSV and JSON Lines (`csv_input`), and Parquet (pyarrow,
an optional dependency), each opened and matched against the intake fields before any work.

A source yields chunks of whole records with their row numbers and the `Settings` a worker
needs to read them. Parquet rows become JSON Lines text (null cells left out, columns that
match no field dropped with a note), so workers read them exactly as they read JSON Lines.
Several inputs are read one after another as one: row numbers run on from file to file.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

import orjson

from ..core.intake import FIELD_LIST
from .csv_input import Chunk, InputError, InputFile, open_input
from .mapping import Mapping, MappingError, field_for, load_mapping, plan_columns, suggest
from .scorer import Settings

if TYPE_CHECKING:
    from .batch import BatchOptions

PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")


def expand(paths: list[str]) -> list[str]:
    """The inputs named: each path as given, or the files a glob pattern matches (sorted)."""
    out: list[str] = []
    for path in paths:
        if path != "-" and not os.path.exists(path) and glob.has_magic(path):
            matched = sorted(glob.glob(path))
            if not matched:
                raise InputError(f"{path}: no file matches this pattern")
            out.extend(matched)
        else:
            out.append(path)
    if out.count("-") > 1 or ("-" in out and len(out) > 1):
        raise InputError("-: standard input can only be the one input")
    return out


@dataclass
class Source:
    """One input, opened and matched: what workers need to read it, and its chunks."""

    name: str
    settings: Settings
    size: int                                   # bytes, for the progress bar
    _chunks: Callable[[int], Iterator[Chunk]]
    _position: Callable[[], int]
    _close: Callable[[], None]
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # CSV records over several lines

    def chunks(self, rows: int) -> Iterator[Chunk]:
        return self._chunks(rows)

    def position(self) -> int:
        return self._position()

    def close(self) -> None:
        self._close()


def open_source(path: str, options: BatchOptions, note: Callable[[str], None]) -> Source:
    """Open one input (CSV, JSON Lines or Parquet) and match it; InputError (exit 2) before any work."""
    mapping = _mapping(options, note)
    if path.lower().endswith(PARQUET_SUFFIXES):
        return _parquet(path, mapping, options, note)
    if path.lower().endswith(".json"):
        bundle = _fhir_document(path, options)
        if bundle is not None:
            return bundle
    source, settings = prepare(path, options, note, mapping)
    return Source(source.name, settings, source.size, source.chunks, source.binary.tell, source.close, source.spans)


def _mapping(options: BatchOptions, note: Callable[[str], None]) -> Mapping | None:
    """The mapping file's Mapping, or the one a REDCap data dictionary describes (its notes said)."""
    try:
        if options.redcap_dictionary:
            from ..core.questionnaire import default_questionnaire
            from .redcap_import import dictionary_mapping

            mapping, notes = dictionary_mapping(options.redcap_dictionary, default_questionnaire())
            for line in notes:
                note(line)
            return mapping
        return load_mapping(options.mapping) if options.mapping else None
    except MappingError as exc:
        raise InputError(str(exc)) from None


def _parquet(path: str, mapping: Mapping | None, options: BatchOptions, note: Callable[[str], None]) -> Source:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow: pip install 'screener[parquet]'") from None
    try:
        table = pq.ParquetFile(path)
        size = os.path.getsize(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise InputError(f"{path}: cannot read as Parquet: {exc}") from None
    if mapping is not None and mapping.checkboxes:
        raise InputError(f"{path}: the mapping's checkboxes apply to CSV input only; give the list field "
                         "(e.g. medications) as one column in Parquet")
    columns = [(name, field_for(name, mapping)) for name in table.schema_arrow.names]
    kept = [name for name, target in columns if target is not None]
    if not kept:
        raise InputError(f"{path}: no column matches an intake field; name the columns by the field ids "
                         f"({FIELD_LIST}) or give --mapping")
    for name, target in columns:
        if target is None:
            note(unmatched(path, name, "column", " and is ignored"))
    read = [0]

    def chunks(rows: int) -> Iterator[Chunk]:
        start = 1
        try:
            for batch in table.iter_batches(batch_size=rows, columns=kept):
                records = batch.to_pylist()
                text = "".join(json_line(record) for record in records)
                read[0] += batch.nbytes
                yield Chunk(start, len(records), text)
                start += len(records)
        except (OSError, ValueError) as exc:  # corrupt pages past the footer
            raise InputError(f"{path}: from row {start}: cannot read as Parquet: {exc}") from None

    settings = Settings("jsonl", ",", None, mapping, options.format, options.engine)
    return Source(path, settings, max(size, 1), chunks, lambda: min(read[0], size), getattr(table, "close", _nothing))


def _fhir_document(path: str, options: BatchOptions) -> Source | None:
    """A FHIR Bundle (or one QuestionnaireResponse) as JSON Lines of its resources, one row each in
    entry order; None when the file is not one (it is then read as JSON Lines)."""
    try:
        with open(path, "rb") as handle:
            data = orjson.loads(handle.read().removeprefix(b"\xef\xbb\xbf"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError:
        return None
    kind = data.get("resourceType") if isinstance(data, dict) else None
    if kind == "QuestionnaireResponse":
        resources = [data]
    elif kind == "Bundle":
        entries = data.get("entry") or []
        resources = [entry.get("resource") if isinstance(entry, dict) else None for entry in entries]
        if not resources:
            raise InputError(f"{path}: the Bundle has no entries")
    else:
        return None
    text = "".join(orjson.dumps(r if isinstance(r, dict) else {"resourceType": None}).decode() + "\n"
                   for r in resources)

    def chunks(rows: int) -> Iterator[Chunk]:
        lines = text.splitlines(keepends=True)
        for start in range(0, len(lines), rows):
            part = lines[start:start + rows]
            yield Chunk(start + 1, len(part), "".join(part))

    settings = Settings("jsonl", ",", None, None, options.format, options.engine)
    size = max(len(text), 1)
    return Source(path, settings, size, chunks, lambda: size, _nothing)


def _nothing() -> None:
    pass


def unmatched(name: str, header: str, what: str, consequence: str) -> str:
    """The note for a column or key that matches no intake field, with a guess when there is one."""
    guess = suggest(header)
    hint = f" (is it {guess}? map it in a --mapping file)" if guess else ""
    return f"{name}: {what} {header!r} matches no intake field{consequence}{hint}"


def json_line(record: dict[str, Any]) -> str:
    """One Parquet row as a JSON Lines record: null cells are unanswered, so they are left out."""
    return orjson.dumps({k: v for k, v in record.items() if v is not None}, default=str).decode() + "\n"


def prepare(path: str, options: BatchOptions, note: Callable[[str], None],
            mapping: Mapping | None = None) -> tuple[InputFile, Settings]:
    """Open one CSV or JSON Lines input and match its headers; InputError (exit 2) before any work."""
    source = open_input(path, options.delimiter)
    try:
        for line in source.notes:
            note(f"{source.name}: {line}")
        plan = None
        if source.format == "csv":
            plan = plan_columns(source.header, mapping)
            headers = plan.unmapped
            matched = plan.matched
            for name, columns in plan.duplicates.items():
                note(f"{source.name}: columns {', '.join(str(c + 1) for c in columns)} all map to {name}; "
                     "a row whose answers there differ is invalid")
        elif "resourceType" in source.header:  # FHIR QuestionnaireResponses, one per line: matched by linkId
            headers, matched = (), 1
        else:
            targets = [field_for(header, mapping) for header in source.header]
            headers = tuple(h for h, target in zip(source.header, targets) if target is None)
            matched = len(targets) - len(headers)
        if not matched:
            raise InputError(f"{source.name}: no {'header' if source.format == 'csv' else 'key'} matches an intake "
                             f"field; name the columns by the field ids ({FIELD_LIST}) or give --mapping")
        for header in headers:
            note(unmatched(source.name, header, "column", " and is ignored") if source.format == "csv"
                 else unmatched(source.name, header, "key", "; rows that give it are invalid"))
    except BaseException:
        source.close()
        raise
    return source, Settings(source.format, source.delimiter, plan, mapping, options.format, options.engine)
