"""Delivery calendars (ingest/feeds.yml): which deliveries of a feed are due, and which of
them the registry does not have.

A delivery's series (an IOM mission, an EJOM form) and period (a month, a quarter, a survey
cycle) come from its file name, through the groups of the feed's contract pattern. The
calendar is judged up to the latest period the feed has delivered, not up to today: a
replayed history is judged as of its own end, a live one as of its last delivery.
"""

from __future__ import annotations

import calendar as _gregorian
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from ingest import feed_registry
from ingest.contracts import load_contract


@dataclass(frozen=True)
class Calendar:
    series: tuple[str, ...]
    period: str
    every: str
    until: str
    cycles: tuple[str, ...] = ()
    #: Days after a period's end by which its delivery is on time (None: not judged).
    due_days: int | None = None
    #: The file-name group naming a series' country, or the one country of every series.
    country_group: str | None = None
    country_code: str | None = None

    def period_end(self, period: str) -> dt.date | None:
        """The last day a period covers; None for a survey cycle (it has no dates)."""
        if self.every == "cycle":
            return None
        year = int(period[:4])
        month = int(period[5:7]) if self.every == "month" else 3 * int(period[6])
        return dt.date(year, month, _gregorian.monthrange(year, month)[1])

    def due_on(self, period: str) -> dt.date | None:
        """The last day a delivery of `period` is on time, or None when it is not judged."""
        end = self.period_end(period)
        if end is None or self.due_days is None:
            return None
        return end + dt.timedelta(days=self.due_days)

    def periods(self, first: str, last: str) -> list[str]:
        """Every period from `first` to `last` included, in order."""
        if self.every == "cycle":
            return [c for c in self.cycles if first <= c <= last]
        if self.every == "month":
            year, month = int(first[:4]), int(first[5:7])
            fmt, step, per_year = "{:04d}-{:02d}", 1, 12
        else:  # quarter, as AECID names it: 2020-T3
            year, month = int(first[:4]), int(first[6])
            fmt, step, per_year = "{:04d}-T{}", 1, 4
        out = []
        while True:
            period = fmt.format(year, month)
            if period > last:
                return out
            out.append(period)
            month += step
            if month > per_year:
                year, month = year + 1, 1


def calendar_of(feed: str) -> Calendar | None:
    spec = feed_registry.feed(feed).calendar
    if not spec:
        return None
    return Calendar(
        series=tuple(spec["series"]),
        period=spec["period"],
        every=spec["every"],
        until=spec["until"],
        cycles=tuple(str(c) for c in spec.get("cycles", ())),
        due_days=spec.get("due_days"),
        country_group=spec.get("country"),
        country_code=spec.get("country_code"),
    )


def missing_deliveries(feed: str, file_names: list[str]) -> dict[str, list[str]]:
    """Series -> the periods due and not delivered, from the names of the feed's loaded
    deliveries (any revision counts as delivered)."""
    calendar = calendar_of(feed)
    if calendar is None:
        return {}
    contract = load_contract(feed)
    delivered: dict[str, set[str]] = defaultdict(set)
    for name in file_names:
        match = contract.file_pattern.match(name)
        if match is None:
            continue
        groups = match.groupdict()
        series = "/".join(groups[g] for g in calendar.series)
        delivered[series].add(groups[calendar.period])
    if not delivered:
        return {}
    latest = max(p for periods in delivered.values() for p in periods)
    missing = {}
    for series, periods in sorted(delivered.items()):
        last = latest if calendar.until == "feed" else max(periods)
        gaps = [p for p in calendar.periods(min(periods), last) if p not in periods]
        if gaps:
            missing[series] = gaps
    return missing
