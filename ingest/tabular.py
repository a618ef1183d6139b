"""Read a delivered CSV or XLSX into a frame of strings, one row per source row.

Everything stays a string here so that no value is lost before the feed's parser types
it; `_source_row` is the row number a person sees when opening the file (header = 1).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import polars as pl

from ingest.limits import BadFile, check_encoding, check_lines, check_text_layout, row_at

SOURCE_ROW = "_source_row"


@dataclass(frozen=True)
class RawTable:
    frame: pl.DataFrame
    headers: list[str]
    sheet: str | None
    encoding: str | None
    separator: str | None
    #: Rows above the header (merged group titles, report titles), as text.
    titles: tuple[tuple[str, ...], ...] = ()


def detect_encoding(content: bytes) -> str:
    """UTF-8 with BOM, UTF-8, or cp1252: detected from the bytes, never assumed.

    Checked a megabyte at a time, so a large delivery is not copied into a string. A file
    that mixes UTF-8 and another encoding is refused (`limits.check_encoding`), naming the
    first row that is not UTF-8.
    """
    if content.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    step = 1 << 20
    for start in range(0, len(view), step):
        try:
            decoder.decode(view[start : start + step], final=start + step >= len(view))
        except UnicodeDecodeError:
            check_encoding(content, _first_invalid_utf8(content))
            return "cp1252"
    return "utf-8"


def _first_invalid_utf8(content: bytes) -> int:
    """The offset of the first byte that is not UTF-8 (the decoder stops there)."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return len(content)


def _transcode_cp1252(content: bytes) -> bytes:
    try:
        return content.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadFile(
            f"row {row_at(content, exc.start)} (byte offset {exc.start:,}, byte "
            f"0x{content[exc.start]:02X}) is neither UTF-8 nor Windows-1252: save the file as "
            "'CSV UTF-8' and send it again"
        ) from None


def detect_separator(first_line: str) -> str:
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def _number_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Row numbers as a person sees them in the file: the header is row 1."""
    return frame.with_row_index(SOURCE_ROW, offset=2).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )


def read_csv(content: bytes) -> RawTable:
    """Polars reads the UTF-8 bytes directly (BOM included); cp1252 is transcoded first.
    Line endings, encodings and line lengths are checked before (`ingest.limits`)."""
    check_text_layout(content)
    check_lines(content)
    encoding = detect_encoding(content)
    data = _transcode_cp1252(content) if encoding == "cp1252" else content
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).decode("utf-8").lstrip("\ufeff").rstrip("\r")
    separator = detect_separator(first_line)
    frame = pl.read_csv(data, separator=separator, infer_schema=False, has_header=True)
    # The header as written (Polars renames a repeated header; the contract must see it).
    written = [h.strip() for h in next(csv.reader([first_line], delimiter=separator))]
    headers = written if len(written) == frame.width else [h.strip() for h in frame.columns]
    if len(set(headers)) == len(headers):
        frame = frame.rename(dict(zip(frame.columns, headers, strict=True)))
    frame = _number_rows(frame)
    return RawTable(frame, headers, None, encoding, separator)


def read_xlsx(content: bytes, sheet: str, header_row: int = 0) -> RawTable:
    """One sheet as strings; `header_row` (0-based) skips title rows, which are kept aside."""
    grid = pl.read_excel(
        io.BytesIO(content),
        sheet_name=sheet,
        has_header=False,
        infer_schema_length=0,
        drop_empty_rows=False,
        drop_empty_cols=False,
    )
    if grid.height <= header_row:
        raise ValueError(f"sheet {sheet!r} has no header on row {header_row + 1}")
    titles = tuple(
        tuple("" if v is None else str(v).strip() for v in grid.row(i)) for i in range(header_row)
    )
    headers = [("" if h is None else str(h)).strip() for h in grid.row(header_row)]
    # An unnamed column that holds values gets a visible name, so the contract can name it.
    headers = [h or f"(unnamed column {i + 1})" for i, h in enumerate(headers)]
    # Columns with neither header nor values are formatting, not data.
    keep = [
        c
        for c, h in zip(grid.columns, headers, strict=True)
        if not h.startswith("(unnamed column") or grid.slice(header_row + 1)[c].drop_nulls().len()
    ]
    headers = [h for c, h in zip(grid.columns, headers, strict=True) if c in keep]
    frame = grid.slice(header_row + 1).select(keep)
    if len(set(headers)) == len(headers):  # else the contract refuses the repeated header
        frame = frame.rename(dict(zip(keep, headers, strict=True)))
    frame = frame.with_row_index(SOURCE_ROW, offset=header_row + 2).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    # Trailing blank rows that Excel keeps formatted are not data; blank rows in between
    # stay, so that the reader accounts for them.
    values = [c for c in frame.columns if c != SOURCE_ROW]
    filled = ~pl.all_horizontal(pl.col(values).is_null())
    last = frame.select(pl.arg_where(filled).max()).item()
    frame = frame.head(0 if last is None else last + 1)
    return RawTable(frame, headers, sheet, None, None, titles)


def is_blank(value: pl.Expr) -> pl.Expr:
    """A raw value that holds nothing: missing, or spaces only. One rule for blank lines,
    typing (a blank cell is a missing value) and row keys (a blank key is no key)."""
    return value.is_null() | (value.str.strip_chars() == "")


def blank_rows(frame: pl.DataFrame) -> pl.Series:
    """True for rows whose every value is empty (a blank line inside the data).

    Only rows whose first value is empty are checked further: trimming every string of
    every column was a tenth of a large IOM export's load, for the odd blank line."""
    values = [c for c in frame.columns if not c.startswith("_")]
    if not values:
        return pl.Series("blank", [True] * frame.height, dtype=pl.Boolean)
    first = frame.select(is_blank(pl.col(values[0])).alias("blank")).to_series()
    if not first.any():
        return first
    rest = frame.filter(first).select(pl.all_horizontal([is_blank(pl.col(c)) for c in values]))
    return first.clone().scatter(first.arg_true(), rest.to_series())


def sheet_names(content: bytes) -> list[str]:
    import fastexcel

    return list(fastexcel.read_excel(content).sheet_names)


def read_table(content: bytes, file_name: str, sheet: str | None, header_row: int = 0) -> RawTable:
    lower = file_name.lower()
    if lower.endswith(".csv"):
        return read_csv(content)
    if lower.endswith((".xlsx", ".xlsm")):
        if sheet is None:
            raise ValueError(f"{file_name}: the feed's contract names no sheet")
        return read_xlsx(content, sheet, header_row)
    raise ValueError(f"{file_name}: unsupported file type")
