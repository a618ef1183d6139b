"""Give memory back to the system at the end of a heavy step.

The in-process executor runs every step of a refresh in one process, and the dbt build's
DuckDB (a child process, with its own cap) comes on top of what that process holds. What a
heavy ingest leaves is allocator caches and the pseudonymisation's in-memory DuckDB, not live
objects (no Polars frame survives the step): this closes that database and returns glibc's
free pages (BENCHMARKS.md, "Measurements behind the design").
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import sys

#: Above this resident size the step ends with a full garbage collection: a full collection
#: walks every object of Dagster, GX and their imports, which a small run does not need,
#: while a large ingest's garbage would otherwise be kept to the end of the refresh.
FULL_COLLECTION_ABOVE_BYTES = 1 << 30


def resident_bytes() -> int | None:
    """This process's resident memory (Linux), or None where /proc does not say."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def release_memory() -> None:
    """Drop what the step cached and hand free heap pages back (glibc only; else a no-op).

    The young generations are always collected (a step's own cycles); all of them only when
    the process holds more than FULL_COLLECTION_ABOVE_BYTES, where that pays."""
    from ingest.pseudonymise import close_memory_db

    close_memory_db()
    resident = resident_bytes()
    gc.collect(2 if resident is None or resident > FULL_COLLECTION_ABOVE_BYTES else 1)
    if sys.platform.startswith("linux"):
        # Not glibc (musl): there is no malloc_trim, and nothing to trim.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
