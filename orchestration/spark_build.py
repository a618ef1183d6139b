"""Build the dbt project on Spark (profiles.yml, target `spark`) from the same bronze.

dbt-spark's `session` method runs a local Spark driver inside the dbt process; its tables
are Parquet files under `<SLC_HOME>/spark/warehouse/<schema>.db/<table>/`, registered in an
embedded Hive metastore beside them. Nothing here publishes: the DuckDB build is the one
analysts read. This is the proof that the SQL builds elsewhere, and the start of a move to
a cluster (docs/scale-out.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.settings import Settings
from orchestration.dbt_cli import DbtInvocation, invocation_folder

#: Seeds and models, rebuilt whole; the data tests run on the DuckDB build.
SPARK_BUILD_ARGS = [
    "build",
    "--target",
    "spark",
    "--full-refresh",
    "--resource-type",
    "seed",
    "--resource-type",
    "model",
]


@dataclass(frozen=True)
class SparkBuild:
    """A finished Spark build: where its tables are, and how long dbt took."""

    warehouse: Path
    seconds: float

    def table_files(self, schema: str, table: str) -> list[Path]:
        """The Parquet files of one table (none for an empty table)."""
        return sorted((self.warehouse / f"{schema}.db" / table).glob("*.parquet"))


def build_on_spark(settings: Settings, echo: bool = False) -> SparkBuild:
    """Seeds and models of the dbt project on a local Spark, from `settings`' bronze."""
    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    folder = invocation_folder(settings.dbt_target, "spark")
    started = time.perf_counter()
    # Spark's own log (the JVM's and PySpark's) goes to spark.log beside dbt's.
    DbtInvocation(
        SPARK_BUILD_ARGS, settings, folder, echo=echo, stderr_log=folder / "spark.log"
    ).run()
    return SparkBuild(settings.spark_dir / "warehouse", time.perf_counter() - started)


#: Doubles are compared after rounding to this many decimals: the two engines add the same
#: figures in another order, which moves the last bits of a sum or an average.
FLOAT_DECIMALS = 6


def mart_differences(duckdb_file: Path, spark: SparkBuild, schema: str = "marts") -> dict[str, str]:
    """Every table of `schema` in the DuckDB build against the Spark build's table of the
    same name: same columns, same row count, and no row of one missing from the other
    (`except all` both ways, so a row present twice must be there twice). Doubles are
    rounded to FLOAT_DECIMALS. Returns {table: what differs}; empty when they are equal."""
    import duckdb

    differences: dict[str, str] = {}
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by table_name",
            [schema],
        ).fetchall()
        for (table,) in tables:
            files = spark.table_files(schema, table)
            if not (spark.warehouse / f"{schema}.db" / table).is_dir():
                differences[table] = "not built on Spark"
                continue
            # A table without rows has no file on Spark: compare with an empty selection.
            theirs = (
                "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "])"
                if files
                else f'(select * from "{schema}"."{table}" where false)'
            )
            difference = _difference(con, f'"{schema}"."{table}"', theirs)
            if difference:
                differences[table] = difference
    return differences


def _difference(con: Any, mine: str, theirs: str) -> str | None:
    """What differs between two relations of one DuckDB connection, or None."""

    def value(sql: str) -> Any:
        row = con.execute(sql).fetchone()
        return row[0] if row else None

    columns = con.execute(f"describe {mine}").fetchall()
    names = sorted(c[0] for c in columns)
    their_names = sorted(c[0] for c in con.execute(f"describe select * from {theirs}").fetchall())
    if names != their_names:
        return f"columns differ: DuckDB {names}, Spark {their_names}"
    select = ", ".join(
        f'round("{name}", {FLOAT_DECIMALS})' if kind in {"DOUBLE", "FLOAT"} else f'"{name}"'
        for name, kind, *_ in columns
    )
    rows = (value(f"select count(*) from {mine}"), value(f"select count(*) from {theirs}"))
    only_mine = value(
        f"select count(*) from (select {select} from {mine} except all "
        f"select {select} from {theirs})"
    )
    only_theirs = value(
        f"select count(*) from (select {select} from {theirs} except all "
        f"select {select} from {mine})"
    )
    if rows[0] == rows[1] and not only_mine and not only_theirs:
        return None
    return (
        f"{rows[0]} rows on DuckDB, {rows[1]} on Spark; {only_mine} only on DuckDB, "
        f"{only_theirs} only on Spark"
    )
