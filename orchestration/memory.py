"""Give memory back to the system at the end of a heavy step.

The in-process executor runs every step of a refresh in one process, and the dbt build's
DuckDB (a child process, capped at 1.25 GB) comes on top of what that process holds. After the
scale-10 ingest it held about 960 MB: allocator caches and the pseudonymisation's in-memory
DuckDB, not live objects (no Polars frame survived the step). Closing that database and
returning glibc's free pages brought it to 710 MB, measured (bench/notes.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys


def release_memory() -> None:
    """Drop what the step cached and hand free heap pages back (glibc only; else a no-op).

    Only the young generations are collected, where a step's own cycles are: a full
    collection walks the half million objects of Dagster, GX and their imports (0.3-0.4 s a
    step, a third of a one-file ingest run) and freed nothing measurable (bench/notes.md)."""
    from ingest.pseudonymise import close_memory_db

    close_memory_db()
    gc.collect(1)
    if sys.platform.startswith("linux"):
        # Not glibc (musl): there is no malloc_trim, and nothing to trim.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
