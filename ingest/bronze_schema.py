"""The bronze files' shape: lineage columns, where a delivery's Parquet goes, and the empty
files with every column that dbt reads before a feed's first delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import polars as pl

from ingest.delivery_types import ParsedDelivery
from ingest.feeds import bronze_tables, declares_schema, reader_columns
from ingest.parquet_io import write_parquet_atomic
from ingest.pseudonymise import protect
from ingest.registry import registry_table_path, reporting_periods_path, write_registry_table
from ingest.settings import FEEDS, Settings
from ingest.tabular import SOURCE_ROW
from ingest.typed import type_frame


def bronze_path(settings: Settings, feed: str, sha256: str) -> Path:
    return settings.bronze(feed) / f"{sha256}.parquet"


def with_lineage(
    frame: pl.DataFrame,
    *,
    feed: str,
    file_name: str,
    sha256: str,
    sheet: str | None,
    delivery_key: str,
    ingested_at: datetime,
) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(feed).alias("_feed"),
        pl.lit(file_name).alias("_source_file"),
        pl.lit(sha256).alias("_sha256"),
        pl.lit(sheet, dtype=pl.String).alias("_sheet"),
        pl.lit(delivery_key).alias("_delivery_key"),
        pl.lit(ingested_at, dtype=pl.Datetime("us", "UTC")).alias("_ingested_at"),
    )


READER_TYPES = {"string": pl.String, "int": pl.Int64, "int32": pl.Int32, "decimal": pl.Float64}


def empty_bronze(feed: str, table: str = "", protect=None) -> pl.DataFrame:
    """A zero-row bronze table with every column and type a delivery of the feed has.

    Built with the same typing code as a real delivery (contract columns, pseudonyms, the
    columns the reader adds, lineage), so dbt can read a feed that has no delivery yet.
    A table that mixes several contracts (EJOM's four forms) gets all their columns.
    """
    frames = []
    for contract in bronze_tables(feed)[table]:
        raw = pl.DataFrame(
            schema={**{c.name: pl.String for c in contract.columns}, SOURCE_ROW: pl.Int64}
        )
        good, _ = type_frame(raw, contract, keep=[SOURCE_ROW])
        added = reader_columns(contract, table)
        # Appended, as the reader does: a column the reader lifts out of the form (KoBo's
        # country) moves to the end in its declared type.
        frames.append(
            good.drop(list(added), strict=False).with_columns(
                pl.lit(None, dtype=READER_TYPES[kind]).alias(name) for name, kind in added.items()
            )
        )
    empty = pl.concat(frames, how="diagonal_relaxed").clear()
    parsed = ParsedDelivery(empty, pl.DataFrame(), 0)
    if protect is not None:
        parsed = protect(parsed)
    return with_lineage(
        parsed.bronze,
        feed=feed,
        file_name="",
        sha256="",
        sheet=None,
        delivery_key="",
        ingested_at=datetime(1970, 1, 1, tzinfo=UTC),
    ).clear()


def empty_bronze_path(settings: Settings, feed: str, table: str = "") -> Path:
    """Lies among the deliveries (`bronze/<feed>[/<table>]/*.parquet`), adds no row to them."""
    folder = settings.bronze(feed) / table if table else settings.bronze(feed)
    return folder / "_empty.parquet"


def prepare_sources(settings: Settings) -> None:
    """What dbt reads exists before the first delivery: the registry table and, for feeds
    whose contracts declare their reader columns, empty bronze files with the full schema."""

    if not (registry_table_path(settings).exists() and reporting_periods_path(settings).exists()):
        write_registry_table(settings)
    for feed in FEEDS:
        if not declares_schema(feed):
            continue
        for table in bronze_tables(feed):
            path = empty_bronze_path(settings, feed, table)
            write_parquet_atomic(_empty_source(feed, table), path)


@cache
def _empty_source(feed: str, table: str) -> pl.DataFrame:
    """`empty_bronze` with pseudonym columns, made once per process (every ingest step
    writes it: a tenth of a second of typing each time); contracts do not change while a
    process runs."""
    # No value is hashed in a frame without rows: any key gives the same columns.
    return empty_bronze(feed, table, lambda parsed: protect(parsed, feed, b"-"))
