"""Frontex monthly detections of illegal border crossings: bytes to a typed frame.

One row per route x border type x nationality, one int64 column per month (`jan2009`...).
The unpivot to (month, detections) happens in dbt staging, so bronze keeps the published
layout and can be compared cell by cell with the source file.
"""

from __future__ import annotations

import polars as pl

from ingest.contracts import DeliveryRejected, load_contract
from ingest.delivery_types import ParsedDelivery
from ingest.tabular import SOURCE_ROW, read_table

FEED = "frontex"


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    """Parse one Frontex release (CSV or XLSX) into bronze rows and quarantined rows."""
    contract = load_contract(FEED)
    try:
        table = read_table(content, file_name, contract.xlsx_sheet)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    mapping = contract.check_header(file_name, table.headers)
    raw = table.frame.rename(mapping)
    ids = [c.name for c in contract.columns]
    months = [mapping[h] for h in table.headers if mapping[h] not in ids]
    if not months:
        raise DeliveryRejected(file_name, "no month columns (e.g. JAN2009)")

    raw = raw.with_columns(pl.col(ids).str.strip_chars(), pl.col(months).str.strip_chars())
    numbers = {
        m: pl.col(m).str.replace_all(r"[\s\u00a0]", "").cast(pl.Float64, strict=False)
        for m in months
    }
    checks: list[pl.Expr] = []
    for column in contract.columns:
        if column.required:
            checks.append(
                pl.when(pl.col(column.name).fill_null("") == "").then(
                    pl.lit(f"missing_value|{column.header}")
                )
            )
    for m, number in numbers.items():
        present = pl.col(m).fill_null("") != ""
        checks.append(
            pl.when(present & (number.is_null() | (number != number.floor()))).then(
                pl.lit(f"not_a_count|{m.upper()}")
            )
        )
        if contract.period_min is not None:
            checks.append(
                pl.when(number < contract.period_min).then(pl.lit(f"negative_count|{m.upper()}"))
            )
    flagged = raw.with_columns(pl.coalesce(checks).alias("_problem"))
    bad = flagged.filter(pl.col("_problem").is_not_null())
    quarantine = bad.with_columns(
        pl.col("_problem").str.split_exact("|", 1).struct.rename_fields(["_reason", "_column"])
    ).unnest("_problem")
    good = flagged.filter(pl.col("_problem").is_null()).drop("_problem")
    bronze = good.select(
        pl.col(ids),
        *[numbers[m].cast(pl.Int64).alias(m) for m in months],
        pl.col(SOURCE_ROW),
    )
    return ParsedDelivery(
        bronze=bronze, quarantine=quarantine, rows_read=raw.height, sheet=table.sheet
    )
