"""Write deliveries the way partners do: CSV in their encodings and separators, XLSX workbooks.

Every deviation from a clean file is recorded in the DirtLog, so tests can check that the
pipeline catches exactly what was injected.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class DirtLog:
    """Every injected irregularity: kind, file, rows (as a person counts them) and detail."""

    entries: list[dict] = field(default_factory=list)

    def add(self, kind: str, file: str, rows: list[int] | None = None, **detail) -> None:
        self.entries.append({"kind": kind, "file": file, "rows": rows or [], **detail})

    def counts(self) -> dict[str, int]:
        """Per kind: rows affected (listed, or counted in `n`), or files for file-level kinds."""
        counts: Counter[str] = Counter()
        for entry in self.entries:
            counts[entry["kind"]] += entry.get("n") or len(entry["rows"]) or 1
        return dict(sorted(counts.items()))

    def write(self, path: Path) -> None:
        path.write_text(
            json.dumps({"counts": self.counts(), "entries": self.entries}, indent=1, default=str),
            encoding="utf-8",
        )


def insert_blank_rows(frame: pl.DataFrame, positions: np.ndarray) -> pl.DataFrame:
    """Empty rows before the given data-row positions (0-based), as exports leave them."""
    if len(positions) == 0:
        return frame
    blank = pl.DataFrame({c: [None] for c in frame.columns}, schema=frame.schema)
    parts, start = [], 0
    for position in sorted(positions):
        parts.extend([frame.slice(start, position - start), blank])
        start = position
    parts.append(frame.slice(start))
    return pl.concat(parts)


def csv_bytes(frame: pl.DataFrame, *, separator: str, encoding: str, french: bool = False) -> bytes:
    """CSV as partners' tools write it; `french`: dd/mm/yyyy dates and decimal commas."""
    buffer = io.BytesIO()
    frame.write_csv(
        buffer,
        separator=separator,
        null_value="",
        quote_style="necessary",
        date_format="%d/%m/%Y" if french else "%Y-%m-%d",
        decimal_comma=french,
        float_precision=2 if french else 0,
    )
    data = buffer.getvalue()
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + data
    if encoding == "cp1252":
        return data.decode("utf-8").encode("cp1252", errors="replace")
    return data


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELS_CT = "application/vnd.openxmlformats-package.relationships+xml"


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _escape(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{safe}</t></is></c>'


def _sheet_xml(
    frame: pl.DataFrame, first_row: int, top: list[list[str]], merges: list, serial
) -> bytes:
    """A worksheet whose data rows are built by Polars (vectorised), not cell by cell."""
    head = []
    for r, values in enumerate(top, start=1):
        cells = "".join(_text_cell(f"{_letter(c)}{r}", v, 2) for c, v in enumerate(values) if v)
        head.append(f'<row r="{r}">{cells}</row>')
    header_row = first_row - 1
    cells = "".join(
        _text_cell(f"{_letter(c)}{header_row}", str(h), 2) for c, h in enumerate(frame.columns)
    )
    head.append(f'<row r="{header_row}">{cells}</row>')
    body = ""
    if frame.height:
        data = frame.with_columns(
            pl.Series("__serial", serial if serial is not None else np.zeros(frame.height, bool))
        )
        rownum = pl.int_range(first_row, first_row + pl.len()).cast(pl.String)
        exprs = []
        for c, (name, dtype) in enumerate(frame.schema.items()):
            col = pl.col(name)
            ref = pl.lit(_letter(c)) + rownum
            if dtype == pl.Date:
                days = (col - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.String)
                style = pl.when(pl.col("__serial")).then(pl.lit("")).otherwise(pl.lit(' s="1"'))
                cell = pl.format('<c r="{}"{}><v>{}</v></c>', ref, style, days)
            elif dtype.is_numeric():
                cell = pl.format('<c r="{}"><v>{}</v></c>', ref, col.cast(pl.String))
            elif dtype == pl.Boolean:
                cell = pl.format(
                    '<c r="{}" t="b"><v>{}</v></c>', ref, col.cast(pl.Int8).cast(pl.String)
                )
            else:
                text = _escape(col.cast(pl.String))
                cell = pl.format(
                    '<c r="{}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>', ref, text
                )
            exprs.append(pl.when(col.is_null()).then(pl.lit("")).otherwise(cell))
        rows = data.select(
            pl.format('<row r="{}">{}</row>', rownum, pl.concat_str(exprs)).alias("x")
        )
        body = rows.get_column("x").str.join("").item()
    merge_xml = ""
    if merges:
        refs = "".join(
            f'<mergeCell ref="{_letter(c0)}{r0 + 1}:{_letter(c1)}{r1 + 1}"/>'
            for r0, c0, r1, c1, _ in merges
        )
        merge_xml = f'<mergeCells count="{len(merges)}">{refs}</mergeCells>'
    xml = (
        _XML + f'<worksheet xmlns="{_MAIN}">'
        f"<sheetData>{''.join(head)}{body}</sheetData>{merge_xml}</worksheet>"
    )
    return xml.encode("utf-8")


_STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _put(book: zipfile.ZipFile, name: str, data: str | bytes) -> None:
    """A zip member with a fixed timestamp, so that the same seed gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    book.writestr(info, data, compresslevel=1)


def write_xlsx(
    path: Path,
    sheets: dict[str, pl.DataFrame],
    *,
    title_rows: dict[str, list[list[str]]] | None = None,
    merges: dict[str, list[tuple[int, int, int, int, str]]] | None = None,
    serial_dates: dict[str, np.ndarray] | None = None,
) -> None:
    """A workbook as partners send it: optional title/group rows above the header.

    `merges` are (first_row, first_col, last_row, last_col, text), 0-based, with the text
    written in the first cell. `serial_dates[sheet]` is a boolean mask over data rows whose
    date cells carry no date format (bare Excel serial numbers, as when a column was pasted
    as values). Rows are built as XML by Polars: xlsxwriter cell by cell was the slowest
    step of the generator.
    """
    names = list(sheets)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        _put(
            book,
            "[Content_Types].xml",
            _XML + f'<Types xmlns="{_PKG}/content-types">'
            f'<Default Extension="rels" ContentType="{_RELS_CT}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                f'ContentType="{_CT}.worksheet+xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Types>",
        )
        _put(
            book,
            "_rels/.rels",
            _XML + f'<Relationships xmlns="{_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        sheet_entries = "".join(
            f'<sheet name="{n.replace("&", "&amp;")}" sheetId="{i}" r:id="rId{i}"/>'
            for i, n in enumerate(names, start=1)
        )
        _put(
            book,
            "xl/workbook.xml",
            _XML + f'<workbook xmlns="{_MAIN}" '
            f'xmlns:r="{_DOC}">'
            f"<sheets>{sheet_entries}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_DOC}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        styles_id = len(names) + 1
        _put(
            book,
            "xl/_rels/workbook.xml.rels",
            _XML + f'<Relationships xmlns="{_PKG}/relationships">'
            f'{rels}<Relationship Id="rId{styles_id}" Type="{_DOC}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        _put(book, "xl/styles.xml", _STYLES)
        for i, name in enumerate(names, start=1):
            top = [list(row) for row in (title_rows or {}).get(name, [])]
            sheet_merges = (merges or {}).get(name, [])
            for r0, c0, _r1, _c1, text in sheet_merges:
                while len(top) <= r0:
                    top.append([])
                row = top[r0]
                row.extend([""] * (c0 + 1 - len(row)))
                row[c0] = text
            first_row = len(top) + 2
            _put(
                book,
                f"xl/worksheets/sheet{i}.xml",
                _sheet_xml(
                    sheets[name], first_row, top, sheet_merges, (serial_dates or {}).get(name)
                ),
            )
