"""The build database's one-writer rule, for the steps that open it.

DuckDB lets one process hold a read-write connection to a file, and nobody else may open
it then, not even read-only. Our own writers run one at a time (the `duckdb_writer` pool),
so a lock we meet belongs to a stray process: an analyst's notebook or CLI opened on the
build file instead of the published copy. A step waits for it a while (it may be a short
query), then fails with the holder's PID and what to do, before dbt or the publish has
written anything.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from ingest.settings import Settings


class BuildDatabaseLocked(RuntimeError):
    """Another process holds the build database; the message names it."""


def _holder(message: str) -> str:
    match = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", message)
    return f"PID {match.group(2)} ({match.group(1)})" if match else "another process"


def wait_until_free(
    path: Path,
    *,
    wait_seconds: float | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> float:
    """Return once `path` can be opened read-write (or does not exist yet), having waited
    the seconds returned; raise BuildDatabaseLocked after `wait_seconds`."""
    # How long a step waits for a stray lock to go (Settings.lock_wait_seconds).
    wait_seconds = Settings.from_env().lock_wait_seconds if wait_seconds is None else wait_seconds
    start = time.monotonic()
    delay, announced = 0.5, False
    while True:
        if not path.exists():
            return 0.0
        try:
            duckdb.connect(str(path)).close()
            return time.monotonic() - start
        except duckdb.IOException as error:
            if "Could not set lock" not in str(error):
                raise
            holder = _holder(str(error))
            waited = time.monotonic() - start
            if waited >= wait_seconds:
                raise BuildDatabaseLocked(
                    f"{path} is locked by {holder} and was still locked after {waited:.0f} s. "
                    "Only the pipeline writes the build database: close that process (read "
                    "the published copy, warehouse/published/slc.duckdb, instead), then "
                    "rerun. Nothing was built or published by this run."
                ) from error
            if not announced:
                log(f"{path} is locked by {holder}: waiting up to {wait_seconds:.0f} s")
                announced = True
            time.sleep(min(delay, max(0.0, wait_seconds - waited)))
            delay = min(delay * 2, 10.0)
