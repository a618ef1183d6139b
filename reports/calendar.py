"""The reporting months: from the first month of programme data, declared in
reports/report_rules.yml, to the last closed month. A report is for one month; with no
month asked for, it is for the last month the published data reaches."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import yaml

RULES_FILE = Path(__file__).parent / "report_rules.yml"


@cache
def first_month() -> str:
    """The first reporting month (YYYY-MM): the reports' monthly partitions start there."""
    return str(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["reporting"]["first_month"])


def closed_month(today: date) -> str:
    """The month a run on `today` reports on: the last complete one (YYYY-MM)."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


def last_month_with_data(marts: Path) -> str | None:
    """The latest month (YYYY-MM) any programme fact has a row in: what a report is about
    when no month is asked for (the demo's data stops long before today)."""
    latest: list[date] = []
    for mart, column in (
        ("fct_returns", "return_date"),
        ("fct_assistance_events", "event_date"),
        ("fct_kits", "disbursed_date"),
        ("fct_sensitisation_activities", "activity_date"),
    ):
        value = pl.read_parquet(marts / f"{mart}.parquet", columns=[column])[column].max()
        if isinstance(value, date):
            latest.append(value)
    return max(latest).strftime("%Y-%m") if latest else None


def default_month(marts: Path, today: date) -> str:
    """The month a report is for when none is asked: the last with data, never one that
    has not closed yet."""
    closed = closed_month(today)
    with_data = last_month_with_data(marts)
    return min(with_data, closed) if with_data else closed
