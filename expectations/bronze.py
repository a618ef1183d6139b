"""The bronze gate: every delivery is validated by its feed's GX suites before it is accepted.

A refresh loads hundreds of deliveries, and GX has a fixed cost per expectation and
validation whatever the frame's size: one validation per delivery would add minutes.
Cumulative exports also repeat most of the previous month's rows. So the deliveries of a run
are validated together, and judged one by one:

- each check (`BronzeCheck`) takes the rows it needs from a delivery (a few columns, derived
  ones such as the household cash formula included); the gate keeps the distinct rows with
  a row key, and which files hold each key;
- GX validates the distinct rows once per suite, with the row key as its index column;
- every unexpected row is traced back to the files that hold it: a delivery passes when
  none of its rows is unexpected. Its explanation names the suite, the expectation, the
  column, how many of its rows failed and examples.

Every feed gets the `dates` check (each date of the delivery inside the programme window
and not in the future) unless its module says otherwise; the rest is in
`expectations/suites/<feed>.py` as `BRONZE_CHECKS`.
"""

from __future__ import annotations

import importlib
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from expectations.rules import end_of_today, gate_frame, programme_start
from ingest import feed_registry

ROW_KEY = "_row_key"
#: Rows kept per check before the first compaction to distinct rows (memory stays bounded).
COMPACT_EVERY = 200_000
#: Examples of unexpected values quoted per failure.
EXAMPLES = 3


@dataclass(frozen=True)
class Delivery:
    """What a check sees of one delivery: its typed tables, pseudonymised."""

    file_name: str
    bronze: pl.DataFrame
    related: dict[str, pl.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class BronzeCheck:
    """One GX suite of a feed: the rows it validates in a delivery, and its expectations."""

    suite: str
    rows: Callable[[Delivery], pl.DataFrame | None]
    expectations: Callable[[], list]
    #: Columns quoted beside the failing one in examples (which field a date came from).
    context: tuple[str, ...] = ()


def delivery_dates(delivery: Delivery) -> pl.DataFrame | None:
    """Every date of the delivery, long: (table, field, value). Lineage times excluded."""
    parts = []
    for table, frame in {"": delivery.bronze, **delivery.related}.items():
        columns = [
            c
            for c, dtype in frame.schema.items()
            if (dtype == pl.Date or isinstance(dtype, pl.Datetime)) and not c.startswith("_")
        ]
        if not columns:
            continue
        parts.append(
            frame.select(pl.col(c).cast(pl.Datetime("us")).alias(c) for c in columns)
            .unpivot(variable_name="field", value_name="value")
            .drop_nulls("value")
            .unique()
            .with_columns(pl.lit(table or "main").alias("table"))
        )
    return pl.concat(parts).select("table", "field", "value") if parts else None


def _date_expectations() -> list:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=programme_start(), max_value=end_of_today()
        )
    ]


def checks_of(feed: str) -> list[BronzeCheck]:
    """The feed's checks: its module's BRONZE_CHECKS, and the dates check unless it opts out."""
    module = importlib.import_module(feed_registry.feed(feed).suites)
    checks = list(module.BRONZE_CHECKS)
    if getattr(module, "CHECK_DATES", True):
        checks.append(
            BronzeCheck(
                f"bronze_{feed}_dates", delivery_dates, _date_expectations, ("table", "field")
            )
        )
    return checks


class BronzeGate:
    """Collects the deliveries of one run, then validates them together (see module doc)."""

    def __init__(self, feed: str, *, home: Path, data_docs: Path) -> None:
        self.feed = feed
        self.checks = checks_of(feed)
        self.home, self.data_docs = home, data_docs
        self._rows: dict[str, list[pl.DataFrame]] = defaultdict(list)
        self._kept: dict[str, int] = defaultdict(int)
        #: Compact when the kept rows pass this; it doubles with the distinct rows, so a run
        #: with many distinct rows compacts a logarithmic number of times, not at every file.
        self._limit: dict[str, int] = defaultdict(lambda: COMPACT_EVERY)
        self._where: dict[str, list[pl.DataFrame]] = defaultdict(list)
        self.files: list[str] = []
        self._lock = threading.Lock()
        #: What `verdicts` validated, this gate's and its fresh gates' (`render` shows them).
        self.outcomes: list = []

    def add(self, file_name: str, bronze: pl.DataFrame, related: dict[str, pl.DataFrame]) -> None:
        """Take one delivery's rows; the loader's threads may add at once (ingest.deliveries)."""
        delivery = Delivery(file_name, bronze, related)
        found = []
        for check in self.checks:  # the work, outside the lock
            frame = check.rows(delivery)
            if frame is None or frame.is_empty():
                continue
            counted = frame.group_by(frame.columns, maintain_order=True).len("_rows")
            keyed = counted.drop("_rows").with_columns(
                counted.drop("_rows").hash_rows(seed=0).alias(ROW_KEY)
            )
            where = keyed.select(
                ROW_KEY, pl.lit(delivery.file_name).alias("file_name"), counted["_rows"]
            )
            found.append((check.suite, keyed, where))
        with self._lock:
            self.files.append(file_name)
            for suite, keyed, where in found:
                self._where[suite].append(where)
                self._rows[suite].append(keyed)
                self._kept[suite] += keyed.height
                if self._kept[suite] > self._limit[suite]:
                    compact = pl.concat(self._rows[suite]).unique(ROW_KEY, maintain_order=True)
                    self._rows[suite] = [compact]
                    self._kept[suite] = compact.height
                    self._limit[suite] = max(COMPACT_EVERY, 2 * compact.height)

    def fresh(self) -> BronzeGate:
        """An empty gate of the same feed (the loader's second batch after a rejection)."""
        gate = BronzeGate(self.feed, home=self.home, data_docs=self.data_docs)
        gate.outcomes = self.outcomes
        return gate

    def render(self) -> Path:
        """The Data Docs pages of what this gate (and its fresh gates) validated."""
        from expectations.runner import render_data_docs

        return render_data_docs(home=self.home, data_docs=self.data_docs, outcomes=self.outcomes)

    def verdicts(self) -> dict[str, str]:
        """File name -> why it failed, for the deliveries that failed (absent: passed)."""
        from expectations.runner import validate

        problems: dict[str, list[str]] = defaultdict(list)
        for check in self.checks:
            if not self._rows[check.suite]:
                continue
            rows = pl.concat(self._rows[check.suite]).unique(ROW_KEY, maintain_order=True)
            where = pl.concat(self._where[check.suite])
            outcome = validate(
                gate_frame(rows),
                check.suite,
                check.expectations(),
                home=self.home,
                data_docs=self.data_docs,
                render_docs=False,
                index_column=ROW_KEY,
            )
            self.outcomes.append(outcome)
            for failure in outcome.failures:
                lines = _attribute(check.suite, failure, where, rows, check.context)
                for file_name, line in lines.items():
                    problems[file_name].append(line)
        return {name: "\n".join(lines) for name, lines in problems.items()}


def _attribute(
    suite: str, failure, where: pl.DataFrame, rows: pl.DataFrame, context: tuple[str, ...]
) -> dict[str, str]:
    """The failure as one line per file that holds an unexpected row."""
    column = f" on column {failure.column!r}" if failure.column else ""
    if not failure.rows:  # a table-level expectation: every file of the run is concerned
        return {
            name: f"{suite}: {failure.expectation}{column}: {failure.detail}"
            for name in where["file_name"].unique().to_list()
        }
    examples = {
        int(row[ROW_KEY]): {k: _plain(v) for k, v in row.items() if k != ROW_KEY}
        for row in failure.rows
    }
    if context:
        quoted = rows.filter(pl.col(ROW_KEY).is_in(list(examples))).select(ROW_KEY, *context)
        for key, *values in quoted.iter_rows():
            examples[key] = {**dict(zip(context, values, strict=True)), **examples[key]}
    hits = (
        where.filter(pl.col(ROW_KEY).is_in(list(examples)))
        .group_by("file_name", maintain_order=True)
        .agg(pl.col("_rows").sum(), pl.col(ROW_KEY).head(EXAMPLES * 4))
    )
    lines = {}
    for name, count, keys in hits.iter_rows():
        shown = "; ".join(list(dict.fromkeys(_show(examples[k]) for k in keys))[:EXAMPLES])
        lines[name] = (
            f"{suite}: {failure.expectation}{column}: {count} row(s) of this file, e.g. {shown}"
        )
    return lines


def _plain(value):
    """numpy and pandas scalars as plain Python values, for messages."""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if str(value).endswith("00:00:00") else value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _show(row: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())
