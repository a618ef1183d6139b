"""Publishing swaps whole versions: readers see old or new data in full; rollback works."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import polars as pl

from ingest.settings import Settings
from publishing.publish import current_version, publish, rollback

READER = textwrap.dedent("""
    import sys, time, pathlib, duckdb
    db, flag = sys.argv[1], pathlib.Path(sys.argv[2])
    con = duckdb.connect(db, read_only=True)
    first = con.execute("select count(*), sum(v) from marts.facts").fetchone()
    print("ready", flush=True)
    while not flag.exists():
        time.sleep(0.05)
    second = con.execute("select count(*), sum(v) from marts.facts").fetchone()
    print(first, second, flush=True)
""")


def build(settings: Settings, value: int, rows: int = 100_000) -> None:
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.build_db))
    con.execute("create schema if not exists marts")
    con.execute(
        f"create or replace table marts.facts as select range as id, {value} as v "
        f"from range({rows})"
    )
    con.close()


def total(settings: Settings) -> int:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return con.execute("select sum(v) from marts.facts").fetchone()[0]
    finally:
        con.close()


def test_publish_under_a_concurrent_reader_then_rollback(settings: Settings, tmp_path):
    build(settings, 1)
    first = publish(settings, run_id="run-1")
    assert first.row_counts == {"marts.facts": 100_000}
    flag = tmp_path / "go"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.published_db), str(flag)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    build(settings, 2)
    second = publish(settings, run_id="run-2")  # must not be blocked by the open reader
    flag.touch()
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0
    assert out.strip() == "(100000, 100000) (100000, 100000)"  # the old version, in full
    assert total(settings) == 200_000  # a new reader sees the new version
    parquet = pl.read_parquet(settings.published_marts / "facts.parquet")
    assert parquet["v"].sum() == 200_000
    assert current_version(settings).name == second.version
    assert rollback(settings).version == first.version
    assert total(settings) == 100_000


def test_published_file_is_never_half_written(settings: Settings):
    """While a publish runs, the published path always opens as a complete database."""
    build(settings, 1)
    publish(settings)
    build(settings, 3, rows=2_000_000)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import os
        os.environ["SLC_HOME"] = {str(settings.home)!r}
        from ingest.settings import Settings
        from publishing.publish import publish
        publish(Settings.from_env())
    """),
        ]
    )
    seen = set()
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        seen.add(total(settings))
    proc.wait(timeout=10)
    seen.add(total(settings))
    assert seen <= {100_000, 6_000_000} and 6_000_000 in seen
