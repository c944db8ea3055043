"""Reading intake files as they come: encodings, delimiters, CSV or JSON Lines, in chunks.

- Encoding: UTF-8 with or without a byte-order mark; if the file is not valid UTF-8, cp1252
  (a spreadsheet export on Windows) with a warning; UTF-16 when it starts with its byte-order
  mark. The whole file is checked before any work, so a bad byte on the last line cannot
  change the encoding midway.
- Format: JSON Lines when the first non-blank character is `{`, CSV otherwise.
- Delimiter: `,` `;` tab or `|`, whichever the header line holds most of (outside quotes).
- Lines end at LF, CR or CRLF, the same in the parent and in the workers (`split_lines`).
- Chunks: the raw text of whole records (quoted cells may hold line breaks), with the number
  of records and the row number of the first; workers parse them again. Row numbers are those
  a spreadsheet shows less one for the header: row 1 is the first record after the header,
  and blank lines keep their numbers. For JSON Lines, the row is the line number.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import IO, Iterable, Iterator

import orjson

DELIMITERS = (",", ";", "\t", "|")
FIELD_LIMIT = 10 * 1024 * 1024  # characters in one cell; more means an unmatched quote
_BLOCK = 1 << 20


class InputError(ValueError):
    """A file that cannot be read at all; the message says why (no patient values)."""


@dataclass
class Chunk:
    start_row: int
    count: int  # records, blank ones included
    text: str
    verify: int = 0  # --verify-sample: records of this chunk to score again with durable-rules


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split as the file reader splits them (LF, CR or CRLF)."""
    return list(io.StringIO(text, newline=""))


def csv_records(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """The raw lines of each CSV record (a quoted cell may hold line breaks), exactly as written.

    csv.Error propagates (a cell over the field limit, a quote never closed at the end).
    """
    taken: list[str] = []

    def feed() -> Iterator[str]:
        for line in lines:
            taken.append(line)
            yield line

    for _ in csv.reader(feed(), delimiter=delimiter):
        yield taken[:]
        taken.clear()


class _Counted:
    """An iterator of lines that counts them (line 1 is the file's first line)."""

    def __init__(self, lines: Iterator[str]):
        self.lines, self.number = lines, 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.number += 1
        return line


@dataclass
class InputFile:
    name: str
    binary: IO[bytes]
    size: int
    encoding: str
    format: str                       # "csv" or "jsonl"
    delimiter: str = ","
    header: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings about the file, for stderr
    text: IO[str] | None = None       # the decoded stream (closing it closes `binary`)
    lines: _Counted | None = None
    pending: list[str] = field(default_factory=list)  # lines read ahead (JSON Lines: up to the first object)
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # (row, first line, last line)

    def chunks(self, rows: int) -> Iterator[Chunk]:
        """Whole records, `rows` at a time (a chunk grows past a line break inside quotes)."""
        assert self.lines is not None
        lines = chain(self.pending, self.lines)
        start = 1
        while True:
            block = list(islice(lines, rows))
            if not block:
                return
            if self.format == "jsonl":
                text, count = "".join(block), len(block)
            elif '"' not in "".join(block):
                _check_cell_sizes(self.name, block, start)
                text, count = "".join(block), len(block)
            else:
                text, count = self._whole_records(block, lines, start)
            yield Chunk(start, count, text)
            start += count

    def _whole_records(self, block: list[str], rest: Iterator[str], start: int) -> tuple[str, int]:
        """The block's records, completed from `rest` when a quoted cell runs past the block.

        A quoted cell still open at the end of the file is an error: it would take in every line
        after it as one cell, and those rows would be lost without a word. A record over several
        lines is noted in `spans` (a misplaced quote shows up there).
        """
        assert self.lines is not None
        before = self.lines.number - len(block)  # the line number before the block's first line
        texts: list[str] = []
        taken = count = 0
        try:
            for record in csv_records(chain(block, rest), self.delimiter):
                count += 1
                taken += len(record)
                texts.extend(record)
                if len(record) > 1:
                    self.spans.append((start + count - 1, before + taken - len(record) + 1, before + taken))
                    if _open_quote("".join(record), self.delimiter):
                        raise InputError(f"{self.name}: row {start + count - 1}: a quoted cell opens there and is "
                                         f"never closed, so the {len(record) - 1} line{'s' if len(record) > 2 else ''}"
                                         " after it would be read into that cell; close the quote")
                if taken >= len(block):
                    break
        except csv.Error as exc:
            raise InputError(f"{self.name}: row {start + count}: cannot be read as CSV ({exc}); "
                             "is a quote never closed?") from None
        return "".join(texts), count

    def close(self) -> None:
        (self.text or self.binary).close()


def _check_cell_sizes(name: str, block: list[str], start: int) -> None:
    """Refuse an unquoted cell over the field limit (the csv module would raise in a worker)."""
    if sum(map(len, block)) <= FIELD_LIMIT:
        return
    for i, line in enumerate(block):
        if len(line) > FIELD_LIMIT:
            raise InputError(f"{name}: row {start + i}: a cell holds more than {FIELD_LIMIT:,} characters, which no "
                             "intake answer does; is this the right file?")


def _open_quote(record: str, delimiter: str) -> bool:
    """Whether one record's text ends inside a quoted cell (which only the end of the file stops)."""
    try:
        for _ in csv.reader(io.StringIO(record, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def open_input(path: str, delimiter: str | None = None) -> InputFile:
    """Open a path or '-' (stdin), settle encoding, format, delimiter and header."""
    csv.field_size_limit(FIELD_LIMIT)
    name = "stdin" if path == "-" else path
    binary: IO[bytes]
    try:
        if path == "-":
            binary = tempfile.TemporaryFile()  # stdin is spooled to disk: read twice, memory stays flat
            shutil.copyfileobj(sys.stdin.buffer, binary, _BLOCK)
            binary.seek(0)
        else:
            binary = open(path, "rb")  # noqa: SIM115 (closed by InputFile.close)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        return _settle(name, binary, delimiter)
    except BaseException:
        binary.close()
        raise


def _settle(name: str, binary: IO[bytes], delimiter: str | None) -> InputFile:
    try:
        size = binary.seek(0, io.SEEK_END)
        binary.seek(0)
        encoding, notes = _encoding(name, binary)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    lines = _Counted(iter(text))
    first, blank = "", []
    for first in lines:
        if first.strip():
            break
        blank.append(first)
    if not first.strip():
        raise InputError(f"{name}: the file is empty; expected a header row and one row per respondent")
    if first.lstrip().startswith("{"):
        try:
            record = orjson.loads(first)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            raise InputError(f"{name}: line {lines.number} is not a JSON object; expected JSON Lines "
                             "(one object per line)")
        return InputFile(name, binary, size, encoding, "jsonl", header=[str(k) for k in record], notes=notes,
                         text=text, lines=lines, pending=[*blank, first])
    if delimiter is None:
        delimiter = sniff_delimiter(first)
    try:
        header = next(csv.reader(chain([first], lines), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{name}: the header row cannot be read as CSV ({exc})") from None
    return InputFile(name, binary, size, encoding, "csv", delimiter, [h.strip() for h in header], notes,
                     text=text, lines=lines)


def _encoding(name: str, binary: IO[bytes]) -> tuple[str, list[str]]:
    """utf-8-sig when the whole file decodes as UTF-8, else cp1252 (with a note), else an error.

    A file that starts with a UTF-16 byte-order mark (a spreadsheet's "Unicode text") is read as
    UTF-16; a NUL byte anywhere else means the file is not text in any of these encodings.
    """
    utf16 = binary.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        binary.seek(0)
        try:
            while block := binary.read(_BLOCK):
                if not utf16 and b"\x00" in block:
                    raise InputError(f"{name}: the file holds NUL bytes, so it is not CSV text (UTF-16 without a "
                                     "byte-order mark, or a spreadsheet's own format?); save it as UTF-8 CSV")
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        binary.seek(0)
        if encoding == "cp1252":
            return encoding, ["the file is not valid UTF-8; read as Windows-1252 (cp1252): check accented text"]
        return encoding, []
    if utf16:
        raise InputError(f"{name}: the file starts as UTF-16 text but is not valid UTF-16; save it as UTF-8 CSV")
    raise InputError(f"{name}: the file is neither UTF-8 nor Windows-1252 text; save it as UTF-8 CSV")


def sniff_delimiter(line: str) -> str:
    """The delimiter the header line holds most of, outside quotes (a comma when none)."""
    outside = "".join(line.split('"')[::2])
    counts = [(outside.count(d), -i, d) for i, d in enumerate(DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] else ","
