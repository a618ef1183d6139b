"""Partner reporting rates, as DHIS2's reporting-rate summary counts them: for every period a
feed's calendar (ingest/feeds.yml) expects from a series (an IOM mission, an EJOM form, an
AECID organisation, a survey in a country), whether it came, on time or late, whether it was
corrected, and how many of its deliveries were refused and why.

The rules, in one place:
- a period is expected from a series' first delivered period to the calendar's end (the
  feed's latest period, or the series' own latest), as `calendars.missing_deliveries` says;
- its timeliness is that of the first file that landed for it (a refused one included: the
  partner reported, the platform refused), judged by its time in landing against the
  period's end plus the calendar's `due_days`; a survey cycle is received, never late;
- corrected: more than one distinct file came for the period (a `_v2`, a later export);
- refused: distinct files (by content) of the period the platform rejected, with their
  reasons; the same bytes refused again are the same refusal, as a duplicate of a loaded
  file is no new delivery.
Files whose names do not say their period (a hostile name, a kpi export name) are counted in
one row per feed without a series, so that no refusal goes unreported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol

import polars as pl

from ingest import feed_registry
from ingest.calendars import Calendar, calendar_of
from ingest.contracts import load_contract
from ingest.countries import to_iso3


class DeliveryRecord(Protocol):
    """What the rules read of a registry line (ingest.registry.DeliveryRecord, which writes
    this table and so is not imported here)."""

    @property
    def feed(self) -> str: ...
    @property
    def file_name(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def received_at(self) -> str: ...
    @property
    def landed_at(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...


SCHEMA = {
    "feed": pl.String,
    "partner": pl.String,
    "series": pl.String,
    "country_code": pl.String,
    "period": pl.String,
    "period_end": pl.Date,
    "due_on": pl.Date,
    "first_landed_at": pl.Datetime("us", "UTC"),
    #: missing | on_time | late | received (no due date: a survey cycle)
    "timeliness": pl.String,
    "is_expected": pl.Boolean,
    "files_received": pl.Int64,
    "files_loaded": pl.Int64,
    "files_refused": pl.Int64,
    "is_corrected": pl.Boolean,
    "refusal_reasons": pl.String,
}

_GATE = "failed the bronze quality gate"
_COLUMN = re.compile(r"on column '([^']+)'")


def refusal_reason(error: str | None, file_name: str) -> str:
    """A short reason an analyst can count: the gate's columns, or the first clause of the
    refusal after the file's name ("empty file", "unreadable", "missing columns"...)."""
    text = (error or "refused").strip()
    if text.startswith(f"{file_name}:"):
        text = text[len(file_name) + 1 :].strip()
    if _GATE in text:
        columns = sorted(set(_COLUMN.findall(text)))
        return "quality gate" + (f": {', '.join(columns)}" if columns else "")
    clause = re.split(r"[:;(]", text, maxsplit=1)[0].strip()
    return (clause or "refused")[:60]


def _landed(entry: DeliveryRecord) -> datetime:
    return datetime.fromisoformat(entry.landed_at or entry.received_at)


def place(feed: str, file_name: str) -> tuple[str, str, str | None] | None:
    """(series, period, country) of a file of a feed with a calendar, named as its contract
    says; None when the feed has no calendar or the name does not say its period."""
    calendar = calendar_of(feed)
    match = load_contract(feed).file_pattern.match(file_name) if calendar else None
    if calendar is None or match is None:
        return None
    groups = match.groupdict()
    series = "/".join(groups[g] for g in calendar.series)
    country = calendar.country_code
    if calendar.country_group:
        country = to_iso3(groups.get(calendar.country_group))
    return series, groups[calendar.period], country


def period_reports(records: Iterable[DeliveryRecord]) -> pl.DataFrame:
    """One row per feed, series and expected (or received) period; see the module's rules.
    Duplicates (the same bytes again) are no new file and count nowhere."""
    files: dict[tuple[str, str, str], list[DeliveryRecord]] = defaultdict(list)
    country_of: dict[tuple[str, str], str | None] = {}
    loose: dict[str, list[DeliveryRecord]] = defaultdict(list)
    for entry in records:
        if calendar_of(entry.feed) is None or entry.status not in ("loaded", "rejected"):
            continue
        placed = place(entry.feed, entry.file_name)
        if placed is None:
            loose[entry.feed].append(entry)
            continue
        series, period, country = placed
        files[entry.feed, series, period].append(entry)
        country_of[entry.feed, series] = country
    rows = []
    for feed in sorted({f for f, _, _ in files} | set(loose)):
        calendar = calendar_of(feed)
        assert calendar is not None
        partner = feed_registry.feed(feed).partner
        periods: dict[str, set[str]] = defaultdict(set)
        for f, series, period in files:
            if f == feed:
                periods[series].add(period)
        latest = max((p for ps in periods.values() for p in ps), default=None)
        for series, delivered in sorted(periods.items()):
            last = latest if calendar.until == "feed" and latest else max(delivered)
            expected = calendar.periods(min(delivered), last)
            for period in sorted(set(expected) | delivered):
                came = files.get((feed, series, period), [])
                rows.append(
                    _row(calendar, feed, partner, series, country_of[feed, series], period, came)
                    | {"is_expected": period in expected}
                )
        if loose[feed]:
            rows.append(_row(calendar, feed, partner, None, None, None, loose[feed]))
    return pl.DataFrame(rows, schema=SCHEMA)


def _row(
    calendar: Calendar,
    feed: str,
    partner: str,
    series: str | None,
    country: str | None,
    period: str | None,
    came: list[DeliveryRecord],
) -> dict:
    due = calendar.due_on(period) if period else None
    first = min((_landed(e) for e in came), default=None)
    if first is None:
        timeliness = "missing"
    elif period is None or due is None:
        timeliness = "received"
    else:
        timeliness = "on_time" if first.date() <= due else "late"
    refused = [e for e in came if e.status == "rejected"]
    reasons = sorted({refusal_reason(e.error, e.file_name) for e in refused})
    return {
        "feed": feed,
        "partner": partner,
        "series": series,
        "country_code": country,
        "period": period,
        "period_end": calendar.period_end(period) if period else None,
        "due_on": due,
        "first_landed_at": first,
        "timeliness": timeliness,
        "is_expected": period is not None,
        "files_received": len({e.file_name for e in came}),
        "files_loaded": sum(e.status == "loaded" for e in came),
        "files_refused": len({e.sha256 for e in refused}),
        "is_corrected": len({e.file_name for e in came}) > 1,
        "refusal_reasons": "; ".join(reasons) or None,
    }


def summary(periods: pl.DataFrame, until: date | None = None) -> pl.DataFrame:
    """Per feed and series: the DHIS2 summary (expected, received, on time, late, missing,
    corrected, refused, the rates in percent), over the periods ending by `until`."""
    if until is not None:
        periods = periods.filter(pl.col("period_end").is_null() | (pl.col("period_end") <= until))
    expected = pl.col("is_expected")
    judged = pl.col("due_on").is_not_null() & expected
    on_time = (pl.col("timeliness") == "on_time") & expected
    received = (pl.col("timeliness") != "missing") & expected
    return (
        periods.group_by("feed", "partner", "series", "country_code", maintain_order=True)
        .agg(
            expected=expected.sum().cast(pl.Int64),
            judged=judged.sum().cast(pl.Int64),
            received=received.sum().cast(pl.Int64),
            on_time=on_time.sum().cast(pl.Int64),
            late=((pl.col("timeliness") == "late") & expected).sum().cast(pl.Int64),
            missing=((pl.col("timeliness") == "missing") & expected).sum().cast(pl.Int64),
            corrected=pl.col("is_corrected").sum().cast(pl.Int64),
            refused=pl.col("files_refused").sum().cast(pl.Int64),
            refusal_reasons=pl.col("refusal_reasons")
            .drop_nulls()
            .str.split("; ")
            .explode()
            .unique()
            .sort()
            .str.join("; "),
        )
        .with_columns(
            reporting_rate=pl.when(pl.col("expected") > 0).then(
                (100 * pl.col("received") / pl.col("expected")).round(1)
            ),
            # A survey cycle has no due date: its on-time rate is not 0 but unknown.
            on_time_rate=pl.when(pl.col("judged") > 0).then(
                (100 * pl.col("on_time") / pl.col("judged")).round(1)
            ),
        )
        .drop("judged")
        .sort("feed", "series", nulls_last=True)
    )
