"""Reading the published marts (Parquet): the one place the report modules open a mart
and look up country names."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def read(marts: Path, name: str) -> pl.DataFrame:
    """A published mart, whole."""
    return pl.read_parquet(marts / f"{name}.parquet")


def country_names(marts: Path, lang: str) -> dict[str, str]:
    """ISO3 -> the country's name in `lang`, from dim_country."""
    countries = read(marts, "dim_country")
    return dict(zip(countries["country_iso3"], countries[f"name_{lang}"], strict=True))
