"""Read a delivered CSV or XLSX into a frame of strings, one row per source row.

Everything stays a string here so that no value is lost before the feed's parser types
it; `_source_row` is the row number a person sees when opening the file (header = 1).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl

SOURCE_ROW = "_source_row"


@dataclass(frozen=True)
class RawTable:
    frame: pl.DataFrame
    headers: list[str]
    sheet: str | None
    encoding: str | None
    separator: str | None


def detect_encoding(content: bytes) -> str:
    """UTF-8 with BOM, UTF-8, or cp1252: detected from the bytes, never assumed."""
    if content.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def detect_separator(first_line: str) -> str:
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def _number_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Row numbers as a person sees them in the file: the header is row 1."""
    return frame.with_row_index(SOURCE_ROW, offset=2).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )


def read_csv(content: bytes) -> RawTable:
    encoding = detect_encoding(content)
    text = content.decode(encoding)
    separator = detect_separator(text.split("\n", 1)[0])
    frame = pl.read_csv(
        io.StringIO(text),
        separator=separator,
        infer_schema=False,
        has_header=True,
    )
    headers = [h.strip() for h in frame.columns]
    frame = frame.rename(dict(zip(frame.columns, headers, strict=True)))
    frame = _number_rows(frame)
    return RawTable(frame, headers, None, encoding, separator)


def read_xlsx(content: bytes, sheet: str) -> RawTable:
    grid = pl.read_excel(
        io.BytesIO(content), sheet_name=sheet, has_header=False, infer_schema_length=0
    )
    headers = [("" if h is None else str(h)).strip() for h in grid.row(0)]
    frame = grid.slice(1).rename(dict(zip(grid.columns, headers, strict=True)))
    frame = _number_rows(frame)
    # Trailing blank rows that Excel keeps formatted are not data.
    values = [c for c in frame.columns if c != SOURCE_ROW]
    frame = frame.filter(~pl.all_horizontal(pl.col(values).is_null()))
    return RawTable(frame, headers, sheet, None, None)


def read_table(content: bytes, file_name: str, sheet: str | None) -> RawTable:
    lower = file_name.lower()
    if lower.endswith(".csv"):
        return read_csv(content)
    if lower.endswith((".xlsx", ".xlsm")):
        if sheet is None:
            raise ValueError(f"{file_name}: the feed's contract names no sheet")
        return read_xlsx(content, sheet)
    raise ValueError(f"{file_name}: unsupported file type")
