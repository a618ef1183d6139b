"""Bronze suite of the EUTF results export (Akvo RSR; four tables, one per file).

Every row names an action (its IATI identifier: most are T05-EUTF-..., a few are the titles
the export puts there) and a result period starts before it ends.
Dates are not held to the programme window: the export plans targets years ahead (periods
to 2025, an action ending in 2101), and it is a real file we take as published.
"""

from __future__ import annotations

import polars as pl

from expectations.bronze import BronzeCheck, Delivery
from expectations.rules import at_most

CHECK_DATES = False


def export_rows(delivery: Delivery) -> pl.DataFrame | None:
    frame = delivery.bronze
    if "iati_id" not in frame.columns:
        return None  # the organisations table names no action
    dates = [c for c in ("period_start", "period_end") if c in frame.columns]
    return frame.select(
        "rsr_table",
        "iati_id",
        *(dates or [pl.lit(None, pl.Date).alias(c) for c in ("period_start", "period_end")]),
    )


def export_expectations() -> list:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="iati_id"),
        at_most("period_start", "period_end"),
    ]


BRONZE_CHECKS = [BronzeCheck("bronze_eutf_rsr_export", export_rows, export_expectations)]
