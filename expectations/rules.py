"""The domain rules (expectations/domain_rules.yml) and the small expectation builders every
suite uses, bronze and mart alike: one place that reads the numbers and the programme window."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Literal

import great_expectations as gx
import polars as pl
import yaml

from ingest.settings import REPO_ROOT

RULES_FILE = REPO_ROOT / "expectations" / "domain_rules.yml"


@cache
def rules() -> dict:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


@cache
def programme_start() -> datetime:
    """The start of the programme window (dbt var programme_start, the one place it is set)."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    return datetime.fromisoformat(project["vars"]["programme_start"])


def end_of_today() -> datetime:
    return datetime.combine(date.today(), datetime.max.time())


#: The dates a pandas datetime64[ns] holds.
NANOSECOND_DATES = (date(1677, 9, 22), date(2262, 4, 11))


def gate_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates as timestamps: GX compares pandas datetimes, not Python dates.

    In nanoseconds where every value fits: GX compares only datetime64[ns] columns as
    arrays, others value by value in Python. A column with a date outside (a 9999 typo)
    keeps microseconds, and the value-by-value comparison."""
    low, high = NANOSECOND_DATES

    def unit(column: pl.Series) -> Literal["ns", "us"]:
        values = column.drop_nulls()
        if values.is_empty():
            return "ns"
        first, last = values.min(), values.max()
        fits = isinstance(first, date) and isinstance(last, date) and low <= first <= last <= high
        return "ns" if fits else "us"

    return frame.with_columns(
        pl.col(name).cast(pl.Datetime(unit(frame[name])))
        for name, dtype in frame.schema.items()
        if dtype == pl.Date
    )


def dates(*columns: str) -> list:
    """Inside the programme window and not in the future."""
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=c, min_value=programme_start(), max_value=end_of_today()
        )
        for c in columns
    ]


def in_set(column: str, values, **kwargs) -> gx.expectations.Expectation:
    return gx.expectations.ExpectColumnValuesToBeInSet(
        column=column, value_set=sorted(values), **kwargs
    )


def when(condition: str) -> dict:
    """A pandas row condition (GX evaluates the expectation on the rows that satisfy it)."""
    return {"row_condition": condition, "condition_parser": "pandas"}


def between(column: str, bounds: list[int], **kwargs) -> gx.expectations.Expectation:
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column=column, min_value=bounds[0], max_value=bounds[1], **kwargs
    )


def equal(column_a: str, column_b: str, **kwargs) -> gx.expectations.Expectation:
    """A == B where both are present (a derived column against the one the partner wrote)."""
    return gx.expectations.ExpectColumnPairValuesToBeEqual(
        column_A=column_a, column_B=column_b, ignore_row_if="either_value_is_missing", **kwargs
    )


def at_most(column_a: str, column_b: str) -> gx.expectations.Expectation:
    """A <= B where both are present (a part never above its whole)."""
    return gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_b, column_B=column_a, or_equal=True, ignore_row_if="either_value_is_missing"
    )
