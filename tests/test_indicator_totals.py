"""mart_indicator_totals against the real EUTF results export, summed here from the CSV
itself: each common output indicator of the Sahel and Lake Chad window counted once, at the
lowest level that reports it (a decision repeats the sum of its contracts)."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pytest

from tests.conftest import REFERENCE


def rsr_leaf_sums() -> dict[str, float]:
    """Indicator code -> the window's total, from EUTF_akvo_results.csv: a row counts unless
    a contract of its decision reports the same indicator for the same period."""
    rows = (
        pl.read_csv(REFERENCE / "eutf_rsr" / "EUTF_akvo_results.csv", infer_schema=False)
        .filter(pl.col("result_type") == "EUTF Common Output Indicators")
        .with_columns(
            iati_id=pl.col("iati_id").str.to_uppercase().str.replace_all(r"\s+", ""),
            title=pl.col("title").str.strip_chars(),
            actual=pl.col("actual").cast(pl.Float64, strict=False),
        )
        .filter(pl.col("actual").is_not_null() & pl.col("iati_id").str.starts_with("T05-EUTF-SAH-"))
    )
    reported_by_child = {
        (re.sub(r"-\d+$", "", r["iati_id"]), r["title"], r["period_start"], r["period_end"])
        for r in rows.iter_rows(named=True)
        if re.search(r"-\d+-\d+$", r["iati_id"])
    }
    totals: dict[str, float] = {}
    for r in rows.iter_rows(named=True):
        code = re.match(r"^(\d+\.\d+(?: bis)?) ", r["title"])
        key = (r["iati_id"], r["title"], r["period_start"], r["period_end"])
        if code and key not in reported_by_child:
            totals[code[1]] = totals.get(code[1], 0.0) + r["actual"]
    return totals


def test_slc_totals_equal_the_rsr_leaf_sums(published_home):
    con = duckdb.connect(str(published_home / "published" / "slc.duckdb"), read_only=True)
    try:
        totals = con.sql(
            "select indicator_code, scope_type, scope_code, reported_value"
            " from marts.mart_indicator_totals"
        ).pl()
    finally:
        con.close()
    slc = dict(
        totals.filter(scope_code="SLC").select("indicator_code", "reported_value").iter_rows()
    )
    expected = rsr_leaf_sums()
    assert set(slc) == set(expected)
    for code, value in expected.items():
        assert slc[code] == pytest.approx(value, rel=1e-9), code
    assert slc["3.4"] == 62843  # returns supported, the window's total in the 17 Dec 2021 export
    # Each country's and the regional actions' totals add up to the window's.
    parts = (
        totals.filter(pl.col("scope_code") != "SLC")
        .group_by("indicator_code")
        .agg(pl.col("reported_value").sum())
    )
    for code, value in parts.iter_rows():
        assert value == pytest.approx(slc[code], rel=1e-9), code
