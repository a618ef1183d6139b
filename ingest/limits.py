"""Every limit a delivery must stay within, declared once, and the checks that run before
the expensive step (parsing, unzipping, typing).

A hostile or broken file (a header of millions of columns, a single line of hundreds of
megabytes, a workbook that unzips to gigabytes) is refused from its size, its first bytes
or its archive directory, in bounded time and memory, with one line a partner can act on.
Each limit can be raised by an environment variable for a delivery that really needs it;
the error says which.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    name: str
    default: float
    env: str
    unit: str
    why: str

    @property
    def value(self) -> int:
        """The limit in force (its environment variable, else the default), in `unit`s."""
        raw = os.environ.get(self.env)
        return int(float(raw) if raw else self.default)

    def bytes(self) -> int:
        """A limit in MB as bytes (decimal megabytes, as file managers show them)."""
        return self.value * 1_000_000 if self.unit == "MB" else self.value

    def hint(self) -> str:
        return f"set {self.env} to accept it"


#: The limits, in the order docs/architecture.md ("Limits") lists them.
FILE_SIZE = Limit("file size", 300, "SLC_MAX_DELIVERY_MB", "MB", "refused unread")
NAME_LENGTH = Limit(
    "file name length", 200, "SLC_MAX_NAME_BYTES", "bytes",
    "the archived and rejected names add a prefix and `.error.txt` under the 255-byte limit",
)  # fmt: skip
LINE_LENGTH = Limit(
    "line length", 1, "SLC_MAX_LINE_MB", "MB", "a CSV line longer than this is no table row"
)
COLUMNS = Limit("columns", 2_000, "SLC_MAX_COLUMNS", "columns", "checked on the header line")
SHEET_CELLS = Limit(
    "cells per sheet", 10_000_000, "SLC_MAX_SHEET_CELLS", "cells",
    "from each sheet's dimension, or counted while unzipping a large sheet (a cell read "
    "costs about 100 bytes of memory)",
)  # fmt: skip
WORKBOOK_SIZE = Limit(
    "uncompressed workbook size", 1_000, "SLC_MAX_WORKBOOK_MB", "MB", "from the zip directory"
)
WORKBOOK_RATIO = Limit(
    "workbook compression ratio", 100, "SLC_MAX_WORKBOOK_RATIO", "x",
    "workbooks of real data compress 5-30x; a zip bomb hundreds or thousands of times",
)  # fmt: skip
VALUE_LENGTH = Limit(
    "value length", 4_000, "SLC_MAX_VALUE_CHARS", "characters",
    "a contract column may declare its own `max_length`; longer values are quarantined",
)  # fmt: skip
ERROR_LENGTH = Limit(
    "stored error length", 1_000, "SLC_MAX_ERROR_CHARS", "characters",
    "registry, `.error.txt`, logs and checks hold one line of at most this",
)  # fmt: skip

LIMITS = (
    FILE_SIZE,
    NAME_LENGTH,
    LINE_LENGTH,
    COLUMNS,
    SHEET_CELLS,
    WORKBOOK_SIZE,
    WORKBOOK_RATIO,
    VALUE_LENGTH,
    ERROR_LENGTH,
)

#: A workbook is judged on its ratio only above this uncompressed size: a small workbook
#: of repeated cells may compress very well and harm nobody.
RATIO_FROM_BYTES = 50_000_000


class BadFile(ValueError):
    """A file-level problem in the partner's terms (what, where, what to do); the loader
    prefixes the file name and refuses the delivery."""


def one_line(text: str, limit: int | None = None) -> str:
    """`text` as one line of at most `limit` characters (ERROR_LENGTH): lines joined with
    "; ", runs of spaces collapsed, control characters dropped, the cut said."""
    limit = ERROR_LENGTH.value if limit is None else limit
    parts = [" ".join(line.split()) for line in str(text).splitlines()]
    flat = "; ".join(p for p in parts if p)
    flat = "".join(ch for ch in flat if ch.isprintable())
    if len(flat) <= limit:
        return flat
    cut = f" … ({len(flat) - limit:,} more characters)"
    return flat[: max(0, limit - len(cut))] + cut


def check_size(size: int) -> None:
    if size > FILE_SIZE.bytes():
        raise BadFile(
            f"file too large ({size / 1e6:,.0f} MB > {FILE_SIZE.value:,} MB; {FILE_SIZE.hint()})"
        )


def row_at(content: bytes, offset: int) -> int:
    """The line number (1 = the header) of the byte at `offset`."""
    return content.count(b"\n", 0, offset) + 1


def check_text_layout(content: bytes) -> None:
    """Encodings and line endings a CSV reader would misread, named in the partner's terms."""
    head = content[:4096]
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if utf16 or (head and head.count(b"\x00") > len(head) // 4):
        raise BadFile(
            "the file is UTF-16 (Excel's 'Unicode text'), not UTF-8 or Windows-1252: "
            "save it as 'CSV UTF-8' and send it again"
        )
    if b"\x00" in content:
        offset = content.index(b"\x00")
        raise BadFile(
            f"row {row_at(content, offset)} (byte offset {offset:,}) holds a NUL byte: "
            "the file is binary or damaged"
        )
    if b"\n" not in content and b"\r" in content:
        raise BadFile(
            "lines end with a carriage return only (classic Mac line endings): save the file "
            "with Windows or Unix line endings and send it again"
        )


def check_lines(content: bytes) -> None:
    """No line longer than LINE_LENGTH, no header wider than COLUMNS (before parsing)."""
    limit = LINE_LENGTH.bytes()
    end = content.find(b"\n")
    header = content if end < 0 else content[:end]
    separators = max(header.count(b";"), header.count(b","), header.count(b"\t"))
    if separators + 1 > COLUMNS.value:
        raise BadFile(
            f"the header has {separators + 1:,} columns > {COLUMNS.value:,} ({COLUMNS.hint()})"
        )
    if len(content) <= limit:
        return
    import numpy as np

    # The newlines of 16 MB at a time: memory stays bounded whatever the file's size.
    view = np.frombuffer(content, dtype=np.uint8)
    line_start, step = 0, 1 << 24
    for offset in range(0, len(content), step):
        ends = np.flatnonzero(view[offset : offset + step] == 0x0A) + offset
        starts = np.concatenate(([line_start], ends[:-1] + 1)) if ends.size else np.array([])
        long = np.flatnonzero(ends - starts > limit) if ends.size else ends
        if long.size:
            _too_long(content, int(starts[long[0]]), int(ends[long[0]] - starts[long[0]]))
        if ends.size:
            line_start = int(ends[-1]) + 1
        if min(offset + step, len(content)) - line_start > limit:  # the line still open
            stop = content.find(b"\n", line_start)
            _too_long(content, line_start, (len(content) if stop < 0 else stop) - line_start)
    if len(content) - line_start > limit:
        _too_long(content, line_start, len(content) - line_start)


def _too_long(content: bytes, start: int, length: int) -> None:
    raise BadFile(
        f"row {row_at(content, start)} (byte offset {start:,}) is {length / 1e6:,.1f} MB long "
        f"> {LINE_LENGTH.value:,} MB ({LINE_LENGTH.hint()})"
    )


def utf8_sequences(content: bytes, enough: int = 3, step: int = 1 << 24) -> int:
    """How many two- and three-byte UTF-8 sequences the bytes hold, counting up to `enough`.

    A lead byte (C2-DF, E0-EF) followed by its continuation bytes (80-BF); no continuation
    byte can lead, so the sequences never overlap. Counted with numpy `step` bytes at a
    time (a regular expression read a Windows-1252 file at a few tens of MB per second)."""
    import numpy as np

    view = np.frombuffer(content, dtype=np.uint8)
    found = 0
    for offset in range(0, len(view), step):
        part = view[offset : offset + step + 2]  # a sequence may run into the next part
        follows = (part >= 0x80) & (part <= 0xBF)
        leads = len(part) if offset + step >= len(view) else step
        two, three = max(0, min(leads, len(part) - 1)), max(0, min(leads, len(part) - 2))
        found += int(
            np.count_nonzero((part[:two] >= 0xC2) & (part[:two] <= 0xDF) & follows[1 : two + 1])
        )
        found += int(
            np.count_nonzero(
                (part[:three] >= 0xE0)
                & (part[:three] <= 0xEF)
                & follows[1 : three + 1]
                & follows[2 : three + 2]
            )
        )
        if found >= enough:
            return enough
    return found


def check_encoding(content: bytes, first_invalid: int) -> None:
    """A file that is not UTF-8 from `first_invalid` on is read as Windows-1252, unless it
    also holds UTF-8 characters: then it mixes both, and either reading corrupts names.
    A few Windows-1252 letter pairs look like UTF-8 ("Ã©"): three such sequences are asked
    for before a file is called mixed."""
    if utf8_sequences(content) < 3:
        return
    byte = content[first_invalid]
    raise BadFile(
        f"mixed encodings: row {row_at(content, first_invalid)} (byte offset "
        f"{first_invalid:,}, byte 0x{byte:02X}) is not UTF-8 while other rows are: save the "
        "whole file as 'CSV UTF-8' and send it again"
    )


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


_CELL = re.compile(rb"<(?:\w+:)?c[ >]")


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _what_it_is(content: bytes) -> str:
    """What a file named .xlsx that is no zip archive looks like, for the partner."""
    head = content[:512].lstrip().lower()
    if content.startswith(b"PK"):
        return "the workbook is damaged (its zip archive is cut short or corrupt): export it again"
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page saved with an .xlsx name, not a workbook: export it as .xlsx"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old Excel 97-2003 (.xls) workbook: save it as .xlsx"
    try:
        content[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "not a workbook (no zip archive): export it as .xlsx"
    return "a text file (CSV?) with an .xlsx name: send it as .csv or export it as .xlsx"


def check_workbook(content: bytes) -> None:
    """An XLSX is a zip: its directory gives the uncompressed size and each sheet's XML
    starts with the sheet's dimension, both read before anything is unpacked in full."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise BadFile(f"unreadable as XLSX: {_what_it_is(content)}") from None
    with archive:
        entries = archive.infolist()
        total = sum(e.file_size for e in entries)
        if total > WORKBOOK_SIZE.bytes():
            raise BadFile(
                f"the workbook unpacks to {total / 1e6:,.0f} MB > {WORKBOOK_SIZE.value:,} MB "
                f"({WORKBOOK_SIZE.hint()})"
            )
        ratio = total / max(1, len(content))
        if total > RATIO_FROM_BYTES and ratio > WORKBOOK_RATIO.value:
            raise BadFile(
                f"the workbook unpacks {ratio:,.0f} times its size (> {WORKBOOK_RATIO.value}x, "
                f"a zip bomb?; {WORKBOOK_RATIO.hint()})"
            )
        for entry in entries:
            if re.match(r"xl/worksheets/[^/]+\.xml$", entry.filename):
                _check_sheet(archive, entry)


def _check_sheet(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """A sheet's declared dimension, and for a large sheet its cells counted as it unzips
    (a sheet may declare no dimension, or a false one), a megabyte at a time."""
    name = entry.filename.rsplit("/", 1)[-1]

    def refuse(rows: int | None, cols: int | None, cells: int) -> BadFile:
        shape = f"{rows:,} rows x {cols:,} columns" if rows and cols else f"{cells:,} cells"
        return BadFile(
            f"{name} declares {shape} (limits: {COLUMNS.value:,} columns, "
            f"{SHEET_CELLS.value:,} cells; {SHEET_CELLS.hint()})"
        )

    with archive.open(entry) as sheet:
        head = sheet.read(4096)
        match = _DIMENSION.search(head)
        if match and match.group(3):
            cols = _column_number(match.group(3)) - _column_number(match.group(1)) + 1
            rows = int(match.group(4)) - int(match.group(2)) + 1
            if cols > COLUMNS.value or rows * cols > SHEET_CELLS.value:
                raise refuse(rows, cols, rows * cols)
        if entry.file_size <= RATIO_FROM_BYTES:
            return
        cells, tail = 0, head[-16:]
        while chunk := sheet.read(1 << 20):
            data = tail + chunk
            cells += len(_CELL.findall(data)) - len(_CELL.findall(tail))
            tail = data[-16:]
            if cells > SHEET_CELLS.value:
                raise BadFile(
                    f"{name} holds more than {SHEET_CELLS.value:,} cells (counted while "
                    f"unzipping; {SHEET_CELLS.hint()})"
                )


def check_delivery(content: bytes, file_name: str) -> None:
    """The checks a delivery's bytes pass before its feed's parser reads them (its size is
    checked before it is read, `check_size`; a CSV's layout by `tabular.read_csv`, the one
    way a CSV is read)."""
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        check_workbook(content)
