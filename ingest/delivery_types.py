"""What a feed reader returns: the one type every reader and the loader share.

Readers are pure functions from a file's bytes to a `ParsedDelivery`; they depend on this
module only, never on the loader that calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class ParsedDelivery:
    """What a feed parser returns: typed bronze rows and the rows it could not type."""

    bronze: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int
    sheet: str | None = None
    #: Further tables of the same delivery: repeat groups, participant lists (by name).
    related: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: What the load should say about a delivery it accepts (columns kept aside...).
    warnings: tuple[str, ...] = ()


#: The main bronze table of a feed (`bronze/<feed>/<sha256>.parquet`) has this name in a
#: reader's `bronze_tables()`; related tables live in `bronze/<feed>/<table>/`.
MAIN = ""

#: A feed reader: (file bytes, file name) -> typed rows and the rows it could not type.
Parser = Callable[[bytes, str], ParsedDelivery]


@dataclass(frozen=True)
class RawExport:
    """A cumulative export read and checked, not yet typed (ingest.export_lane types the new
    rows of a lane of exports together)."""

    #: Canonical column names, every value a string as written, and `_source_row`.
    frame: pl.DataFrame
    #: The reader's own columns and their value for every row (IOM: mission, report month).
    columns: dict[str, str]
    rows_read: int
    sheet: str | None = None


#: A cumulative feed's reader of one export: (file bytes, file name) -> its rows, untyped.
ExportReader = Callable[[bytes, str], RawExport]
