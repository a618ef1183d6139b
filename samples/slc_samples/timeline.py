"""Months, exact integer allocation over months, and random dates within bounds."""

from __future__ import annotations

import datetime as dt

import numpy as np

DAY = np.timedelta64(1, "D")


def months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, current = [], dt.date(start.year, start.month, 1)
    while current <= end:
        out.append(current)
        current = dt.date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to weights that sum exactly to total (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    remainder = total - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def allocate_anchored(
    month_list: list[dt.date], weights: np.ndarray, cumulative: dict[dt.date, int], total: int
) -> np.ndarray:
    """Monthly counts that hit every cumulative anchor (count at the end of a month) exactly."""
    anchors = sorted((m, n) for m, n in cumulative.items() if m <= month_list[-1])
    counts = np.zeros(len(month_list), dtype=np.int64)
    start, done = 0, 0
    for anchor_month, anchor_total in [*anchors, (month_list[-1], total)]:
        stop = month_list.index(anchor_month) + 1
        if stop <= start:
            continue
        need = anchor_total - done
        if need < 0:
            raise ValueError(f"anchor {anchor_month}: {anchor_total} is below {done}")
        segment = weights[start:stop]
        if need and segment.sum() == 0:
            segment = np.ones_like(segment)
        counts[start:stop] = allocate(need, segment)
        start, done = stop, anchor_total
    return counts


def dates_in_months(
    rng: np.random.Generator, month_list: list[dt.date], counts: np.ndarray
) -> np.ndarray:
    """One random day per unit, within its month (datetime64[D], sorted by month)."""
    starts = np.repeat(np.array(month_list, dtype="datetime64[D]"), counts)
    lengths = np.repeat(np.array([month_end(m).day for m in month_list]), counts)
    return starts + (rng.random(len(starts)) * lengths).astype(np.int64) * DAY


def between(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A random date in [low, high] for each pair (high < low is a caller's error)."""
    span = (high - low).astype(np.int64)
    if (span < 0).any():
        raise ValueError("empty date window")
    return low + (rng.random(len(low)) * (span + 1)).astype(np.int64) * DAY


def d64(value: str | dt.date) -> np.datetime64:
    return np.datetime64(str(value), "D")


def pick(rng: np.random.Generator, eligible: np.ndarray, n: int, what: str) -> np.ndarray:
    """Exactly n indices among the True positions of a mask, or a clear error."""
    index = np.flatnonzero(eligible)
    if n > len(index):
        raise ValueError(f"{what}: need {n} but only {len(index)} are eligible")
    return rng.choice(index, n, replace=False) if n else index[:0]
