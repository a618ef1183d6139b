"""Reading the published marts (Parquet): the one place the report modules open a mart
and look up country names.

Within one render (`frames_kept`), a mart is read once: the region and each country's
profile compute their figures from the same marts, fourteen times in the regional report.
The published marts do not change under a render (a new version is a new folder, and a
file's identity is part of the key); outside a render every read opens the file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import polars as pl

#: (path, columns, inode, size, mtime) -> the frame, for the render in progress.
_Key = tuple[Path, tuple[str, ...] | None, int, int, int]
_kept: ContextVar[dict[_Key, pl.DataFrame] | None] = ContextVar("mart_frames", default=None)


@contextmanager
def frames_kept() -> Iterator[None]:
    """Within the block, each mart (and choice of columns) is read from disk once."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def read(marts: Path, name: str, columns: list[str] | None = None) -> pl.DataFrame:
    """A published mart: whole, or its `columns` only (a large fact read for a few counts)."""
    path = marts / f"{name}.parquet"
    kept = _kept.get()
    if kept is None:
        return pl.read_parquet(path, columns=columns)
    stat = path.stat()
    key = (path, tuple(columns) if columns else None, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in kept:
        kept[key] = pl.read_parquet(path, columns=columns)
    return kept[key]


#: The columns the reports read of the two largest facts. Every figure reads the same
#: view, so a render holds one copy of each (at scale 10, millions of rows).
FACT_COLUMNS = {
    "fct_assistance_events": ["mission_iso3", "event_type", "case_key", "event_date"],
    "fct_returns": [
        "perspective",
        "mission_iso3",
        "return_date",
        "from_country_iso3",
        "nationality_iso3",
    ],
}


def read_fact(marts: Path, name: str) -> pl.DataFrame:
    """One of the large facts, in the columns the reports read (`FACT_COLUMNS`)."""
    return read(marts, name, FACT_COLUMNS[name])


def country_names(marts: Path, lang: str) -> dict[str, str]:
    """ISO3 -> the country's name in `lang`, from dim_country."""
    countries = read(marts, "dim_country")
    return dict(zip(countries["country_iso3"], countries[f"name_{lang}"], strict=True))
