"""Expectations for Frontex: the bronze delivery (before it is accepted) and the yearly mart.

The bronze suite runs on the delivery in long form (one row per cell of the source grid),
so one expectation covers all 156 month columns. Detections are monthly counts, not dates:
the dates check finds nothing to check.
"""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import polars as pl

from expectations.bronze import BronzeCheck, Delivery
from expectations.registry import country_codes, slc_country_codes
from ingest.contracts import load_contract

FIRST_YEAR = 2009


def detection_rows(delivery: Delivery) -> pl.DataFrame:
    """The delivery as (route, border type, nationality, month code, detections) rows."""
    contract = load_contract("frontex")
    ids = [c.name for c in contract.columns]
    bronze = delivery.bronze
    months = [c for c in bronze.columns if contract.period_columns().match(c.upper())]
    return bronze.unpivot(index=ids, on=months, variable_name="month_code", value_name="detections")


def bronze_expectations() -> list:
    e = gx.expectations
    contract = load_contract("frontex")
    return [
        *[e.ExpectColumnValuesToNotBeNull(column=c.name) for c in contract.columns if c.required],
        e.ExpectColumnValuesToBeInSet(column="border_type", value_set=["Land", "Sea"]),
        e.ExpectColumnValuesToMatchRegex(
            column="month_code", regex=contract.period_columns().pattern.lower()
        ),
        e.ExpectColumnValuesToNotBeNull(column="detections"),
        e.ExpectColumnValuesToBeInTypeList(column="detections", type_list=["int64", "Int64"]),
        e.ExpectColumnValuesToBeBetween(column="detections", min_value=0),
    ]


BRONZE_CHECKS = [BronzeCheck("bronze_frontex_detections", detection_rows, bronze_expectations)]


def mart_expectations() -> list:
    e = gx.expectations
    return [
        e.ExpectTableRowCountToBeBetween(min_value=1),
        e.ExpectColumnValuesToNotBeNull(column="nationality_iso3"),
        e.ExpectColumnValuesToBeInSet(column="nationality_iso3", value_set=sorted(country_codes())),
        e.ExpectColumnValuesToBeBetween(
            column="year", min_value=FIRST_YEAR, max_value=date.today().year
        ),
        e.ExpectColumnValuesToBeInTypeList(column="detections", type_list=["int64", "Int64"]),
        e.ExpectColumnValuesToBeBetween(column="detections", min_value=0),
        e.ExpectColumnValuesToBeBetween(column="share_of_slc", min_value=0, max_value=1),
        e.ExpectCompoundColumnsToBeUnique(column_list=["year", "nationality_iso3"]),
        # The 13 SLC nationalities are all present every year: a missing one would bias shares.
        e.ExpectColumnDistinctValuesToContainSet(
            column="nationality_iso3",
            value_set=sorted(slc_country_codes()),
        ),
    ]
