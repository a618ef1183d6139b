"""Parquet files that readers see whole or not at all, and what a full disk looks like."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import polars as pl


def write_parquet_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Readers see the whole file or none of it (write aside, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    frame.write_parquet(tmp, compression="zstd")
    os.replace(tmp, path)


def is_disk_full(exc: BaseException) -> bool:
    """An OSError with ENOSPC, or a library's error (Polars, DuckDB) that carries its text."""
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)
