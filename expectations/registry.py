"""Reference lists the suites check against, read from the dbt seeds (the one registry)."""

from __future__ import annotations

from functools import cache

import polars as pl

from ingest.settings import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"


@cache
def country_codes() -> frozenset[str]:
    """Every ISO3 (and non-country) code of the country registry."""
    return frozenset(pl.read_csv(SEEDS / "countries.csv", infer_schema=False)["iso3"].to_list())


@cache
def slc_country_codes() -> frozenset[str]:
    """The 13 countries of the EUTF Sahel and Lake Chad window, as flagged in the registry."""
    countries = pl.read_csv(SEEDS / "countries.csv", infer_schema=False)
    return frozenset(countries.filter(pl.col("is_slc") == "true")["iso3"].to_list())


@cache
def surveyed_country_codes() -> frozenset[str]:
    """The 12 countries of the third-party monitoring surveys, as flagged in the registry."""
    countries = pl.read_csv(SEEDS / "countries.csv", infer_schema=False)
    return frozenset(countries.filter(pl.col("is_surveyed") == "true")["iso3"].to_list())
