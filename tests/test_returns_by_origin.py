"""Returns by country of origin (mart_returns_by_origin_year and the regional report's
table) on the partner sample: every return counted once, recomputed here from fct_returns."""

from __future__ import annotations

import polars as pl

from reports.returns_by_origin import returns_by_origin


def test_each_return_is_counted_once_by_origin(partner_warehouse):
    settings = partner_warehouse[0]
    marts = settings.published_marts
    returns = pl.read_parquet(marts / "fct_returns.parquet")
    arrivals = returns.filter(perspective="arrival")
    missions = set(arrivals["mission_iso3"])
    elsewhere = returns.filter(
        (pl.col("perspective") == "departure") & ~pl.col("to_country_iso3").is_in(missions)
    )
    assert elsewhere.height, "the sample has returns to countries no mission delivers"
    by_origin = pl.read_parquet(marts / "mart_returns_by_origin_year.parquet")
    assert by_origin["returns"].sum() == arrivals.height + elsewhere.height
    assert by_origin["returns_seen_at_departure"].sum() == elsewhere.height
    mali = by_origin.filter(origin_country_iso3="MLI")["returns"].sum()
    assert (
        mali
        == arrivals.filter(mission_iso3="MLI").height
        + elsewhere.filter(to_country_iso3="MLI").height
    )

    table = returns_by_origin(marts, "en")
    mali_row = next(row for row in table.rows if row[0] == "Mali")
    assert mali_row[-1] == f"{mali:,}"
    assert table.count_columns == list(range(1, len(table.header)))
