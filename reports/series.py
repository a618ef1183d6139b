"""Quarterly series the reports draw as trends, from the published marts: every quarter of
the period is present (a quarter with nothing is 0), and a count of people the disclosure
rule hides is left out of the line (None)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from reports.disclosure import rule
from reports.marts import read, read_fact
from reports.numbers import as_date, fmt_number

MEASURES = {
    "fr": {"returns": "Retours", "completed": "Fins de réintégration", "kits": "Kits remis"},
    "en": {
        "returns": "Returns",
        "completed": "Reintegration completed",
        "kits": "Kits handed over",
    },
}
SOURCE = {
    "fr": "OIM, dossiers des missions (retours, fins de réintégration) et EJOM, suivi Akvo "
    "Flow (kits), jusqu'au {last} ; N = {n} retours.",
    "en": "IOM, mission case files (returns, reintegration completed) and EJOM, Akvo Flow "
    "monitoring (kits), up to {last}; N = {n} returns.",
}


def _per_quarter(frame: pl.DataFrame, day: str, measure: str) -> pl.DataFrame:
    return (
        frame.select(pl.col(day).dt.truncate("1q").alias("quarter"))
        .group_by("quarter")
        .agg(pl.len().alias("value"))
        .with_columns(pl.lit(measure).alias("measure"))
    )


def quarterly_series(marts: Path, scope: str | None, lang: str) -> tuple[pl.DataFrame, str]:
    """(quarter, measure, value) for returns, completions and kits of `scope` (ISO3, or
    None for the region), and the source line."""
    returns = read_fact(marts, "fct_returns").filter(pl.col("perspective") == "arrival")
    events = read_fact(marts, "fct_assistance_events").filter(
        pl.col("event_type") == "reintegration_completed"
    )
    kits = read(marts, "fct_kits")
    if scope:
        returns = returns.filter(pl.col("mission_iso3") == scope)
        events = events.filter(pl.col("mission_iso3") == scope)
        kits = kits.filter(pl.col("country_iso3") == scope)
    words = MEASURES[lang]
    counted = pl.concat(
        [
            _per_quarter(returns, "return_date", words["returns"]),
            _per_quarter(events.unique("case_key"), "event_date", words["completed"]),
            _per_quarter(kits, "disbursed_date", words["kits"]),
        ]
    ).drop_nulls("quarter")
    last = returns["return_date"].max()
    if counted.is_empty():
        return counted.select("quarter", "measure", "value"), ""
    first, final = as_date(counted["quarter"].min()), as_date(counted["quarter"].max())
    assert first is not None and final is not None
    quarters = pl.date_range(first, final, "1q", eager=True).alias("quarter")
    grid = pl.DataFrame(quarters).join(pl.DataFrame({"measure": list(words.values())}), how="cross")
    series = (
        grid.join(counted, on=["quarter", "measure"], how="left")
        .with_columns(pl.col("value").fill_null(0))
        .with_columns(
            pl.when(pl.col("value").is_between(1, rule().min_count - 1))
            .then(None)
            .otherwise(pl.col("value"))
            .alias("value")
        )
        .sort("measure", "quarter")
    )
    source = SOURCE[lang].format(
        last=last.isoformat() if isinstance(last, date) else "–",
        n=fmt_number(returns.height, "people", lang),
    )
    return series.select("quarter", "measure", "value"), source
