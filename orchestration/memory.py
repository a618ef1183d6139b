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
import os
import sys

#: Above this resident size the step ends with a full garbage collection. A full collection
#: walks the half million objects of Dagster, GX and their imports (0.3-0.4 s): after a
#: one-file ingest run it freed nothing measurable and was a third of the run, while without
#: it a scale-10 refresh kept its ingest's garbage to the end (publish peaked at 2.9 GB
#: instead of 2.0 GB, bench/notes.md).
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
