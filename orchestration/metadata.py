"""Small helpers that turn frames into Dagster metadata a data engineer can read in the UI."""

from __future__ import annotations

import html

import polars as pl


def markdown_cell(value: object, width: int = 80) -> str:
    """A value as inert Markdown table text: HTML escaped (the UI renders Markdown, HTML
    included), the pipe and line breaks neutralised, cut to `width` characters."""
    text = "" if value is None else " ".join(str(value).split())
    text = text if len(text) <= width else text[: width - 1] + "…"
    return html.escape(text, quote=True).replace("|", "\\|").replace("`", "&#96;")


def markdown_preview(frame: pl.DataFrame, rows: int = 5, columns: int = 8) -> str:
    """The first rows and columns of a frame as a Markdown table (no pandas needed)."""
    shown = frame.head(rows).select(frame.columns[:columns])
    header = "| " + " | ".join(markdown_cell(c) for c in shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in shown.iter_rows()]
    more = f"\n\n{frame.height} rows x {frame.width} columns" if frame.width else ""
    return "\n".join([header, rule, *body]) + more
