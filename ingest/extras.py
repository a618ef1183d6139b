"""Cells of columns a delivery has and its contract does not declare: kept, never dropped.

A partner may add a column to a survey export (a question of a new form version not yet in
our questionnaire, an enumerator's remark): the delivery still loads, each filled cell of
such a column goes to the feed's bronze table `extras` (sheet, column header, cell value,
source row), and the load says which columns it set aside (the registry's `warnings`).
Whether such a column holds personal data is unknowable, so its values are stored as keyed
pseudonyms; the archived file keeps them as sent. To read such a column, declare it.
"""

from __future__ import annotations

import polars as pl

from ingest.contracts import Contract
from ingest.tabular import SOURCE_ROW

#: The bronze table of the cells, and its columns as a contract declares them.
TABLE = "extras"
COLUMNS = [
    {"name": "sheet", "type": "string", "header": "sheet",
     "description": "The sheet the cell was on (empty for a CSV)"},
    {"name": "column_header", "type": "string", "required": True, "header": "column_header",
     "description": "The undeclared column's header, as the file writes it"},
    {"name": "cell_value", "type": "string", "required": True, "header": "cell_value",
     "pii": "name", "description": "The cell's value, as a keyed pseudonym"},
]  # fmt: skip


def contract(base: Contract) -> Contract:
    """The `extras` table's contract, for a feed's bronze schema."""
    return base.with_columns(COLUMNS)


def cells(frame: pl.DataFrame, headers: list[str], positions: list[int], sheet: str | None):
    """The filled cells of the columns at `positions` (of `headers`, as `frame` holds them
    in order beside `_source_row`), one row each."""
    values = [c for c in frame.columns if c != SOURCE_ROW]
    empty = pl.DataFrame(
        schema={
            "sheet": pl.String,
            "column_header": pl.String,
            "cell_value": pl.String,
            SOURCE_ROW: pl.Int64,
        }
    )
    if not positions:
        return empty
    long = pl.concat(
        [
            frame.select(
                pl.lit(sheet, dtype=pl.String).alias("sheet"),
                pl.lit(headers[p]).alias("column_header"),
                pl.col(values[p]).cast(pl.String).alias("cell_value"),
                SOURCE_ROW,
            )
            for p in positions
        ]
    )
    value = pl.col("cell_value")
    return long.filter(value.is_not_null() & (value.str.strip_chars() != ""))


def warning(extras: pl.DataFrame, feed: str) -> str | None:
    """What the load says about the columns it set aside, or None."""
    if not extras.height:
        return None
    named = sorted(set(extras["column_header"]))
    more = " ..." if len(named) > 5 else ""
    return (
        f"{len(named)} column(s) the contract does not declare, kept in bronze "
        f"{feed}/{TABLE}: {', '.join(named[:5])}{more}"
    )
