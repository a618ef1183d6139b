"""Small helpers that turn frames into Dagster metadata a data engineer can read in the UI."""

from __future__ import annotations

import polars as pl


def markdown_preview(frame: pl.DataFrame, rows: int = 5, columns: int = 8) -> str:
    """The first rows and columns of a frame as a Markdown table (no pandas needed)."""
    shown = frame.head(rows).select(frame.columns[:columns])
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    body = [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |"
        for row in shown.iter_rows()
    ]
    more = f"\n\n{frame.height} rows x {frame.width} columns" if frame.width else ""
    return "\n".join([header, rule, *body]) + more
