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


@cache
def region_area_ids(country_iso3: str) -> frozenset[str]:
    """The ids of a country's first-level regions in the admin-area registry (`MLI:segou`)."""
    areas = pl.read_csv(SEEDS / "admin_areas.csv", infer_schema=False)
    regions = areas.filter((pl.col("country_iso3") == country_iso3) & (pl.col("level") == "region"))
    return frozenset(regions["area_id"].to_list())
