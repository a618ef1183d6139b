"""A lane of cumulative exports (one mission's, in run order) typed as one batch.

A mission sends dozens of exports that each repeat every case and add a few hundred new
rows. Per export, the loader reads the bytes and fingerprints every row; the work that
costs per call whatever its size (typing by the contract, pseudonymising, joining the rows
back) is done once per batch of the lane's new rows. Typing and pseudonymising export by
export cost more than reading the bytes.

Each export's result is what reading it alone, after the exports before it, gives
(ingest.cumulative): the states it stores (rows whose fingerprint neither bronze nor an
earlier export of the run stored), its row list, and the rows that cannot be typed,
quarantined in every export that lists them. A batch is typed when it holds
`BATCH_NEW_ROWS` new rows or lists `BATCH_LISTED_ROWS` rows, so memory follows the batch,
not the lane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast

import polars as pl

from ingest.contracts import Contract
from ingest.cumulative import FINGERPRINT, MEMBERS, NUMBER, KnownRows
from ingest.delivery_types import ExportReader, ParsedDelivery, RawExport
from ingest.tabular import SOURCE_ROW
from ingest.typed import type_rows

#: Which export of the batch a new row came from (never stored).
LANE_FILE = "_lane_file"
#: Typing evaluates every rule of every column at once: its memory grows with the batch.
BATCH_NEW_ROWS = 25_000
#: Each waiting export's row list is held until its batch is typed.
BATCH_LISTED_ROWS = 500_000

Protect = Callable[[ParsedDelivery], ParsedDelivery]


@dataclass(frozen=True)
class CumulativeFeed:
    """How the loader reads a cumulative feed: each export with `read`, then a lane's new
    rows typed together against the states `known` holds."""

    known: KnownRows
    read: ExportReader

    def lane(self, contract: Contract, protect: Protect | None) -> ExportLane:
        return ExportLane(contract, self.known, protect)


@dataclass(frozen=True)
class _Waiting:
    """An export read, waiting for its batch to be typed: what the batch needs of it, never
    its rows' values (a mission's exports list every case again: holding them for a batch
    held the lane's raw rows in memory)."""

    name: str
    #: The export as read, its rows let go (`RawExport.frame` emptied).
    export: RawExport
    #: Every row: `_source_row` and `_row_fingerprint`.
    listed: pl.DataFrame
    #: The rows whose state is not stored: `_source_row` and `_row_number`.
    unstored: pl.DataFrame


class ExportLane:
    """Exports added in run order; `add` and `finish` return the exports whose batch was
    typed, as (file name, parsed delivery), pseudonymised by `protect`. `known` learns each
    batch's states, so later exports refer to them."""

    def __init__(self, contract: Contract, known: KnownRows, protect: Protect | None) -> None:
        self.contract, self.known, self.protect = contract, known, protect
        self._columns = [c.name for c in contract.columns]
        self._waiting: list[_Waiting] = []
        self._new: list[pl.DataFrame] = []
        self._new_rows = self._listed_rows = 0
        #: Fingerprints of the batch's new rows, and of the lane's rows that cannot be typed.
        self._seen = pl.Series(NUMBER, [], dtype=pl.Int128)
        self._bad = pl.DataFrame(schema={NUMBER: pl.Int128})

    def add(self, name: str, export: RawExport) -> list[tuple[str, ParsedDelivery]]:
        scope = export.columns[self.known.scope]
        hashed = self.known.fingerprints(export.frame, self._columns, scope)
        unstored = self.known.is_new(hashed[NUMBER], scope)
        listed = export.frame.select(SOURCE_ROW).with_columns(hashed)
        candidate = unstored & ~hashed[NUMBER].is_in(
            pl.concat([self._seen, self._bad[NUMBER]]).implode()
        )
        first = listed.select(
            pl.when(candidate).then(pl.col(NUMBER)).is_first_distinct() & candidate
        ).to_series()
        new = _copied(export.frame.filter(first)).with_columns(
            *hashed.filter(first).get_columns(), pl.lit(len(self._waiting)).alias(LANE_FILE)
        )
        self._new.append(new)
        self._seen = pl.concat([self._seen, new[NUMBER]], rechunk=False)
        self._waiting.append(
            _Waiting(
                name,
                replace(export, frame=export.frame.clear()),
                listed.select(SOURCE_ROW, FINGERPRINT),
                listed.filter(unstored).select(SOURCE_ROW, NUMBER),
            )
        )
        self._new_rows += new.height
        self._listed_rows += listed.height
        if self._new_rows >= BATCH_NEW_ROWS or self._listed_rows >= BATCH_LISTED_ROWS:
            return self.finish()
        return []

    def finish(self) -> list[tuple[str, ParsedDelivery]]:
        """Type the waiting batch and return its exports."""
        if not self._waiting:
            return []
        files = pl.DataFrame(
            [{LANE_FILE: i, **w.export.columns} for i, w in enumerate(self._waiting)],
        ).with_columns(pl.col(LANE_FILE).cast(pl.Int32))
        raw = pl.concat(self._new, how="diagonal").with_columns(pl.col(LANE_FILE).cast(pl.Int32))
        good, bad = type_rows(raw, self.contract, keep=[SOURCE_ROW, FINGERPRINT, NUMBER, LANE_FILE])
        typed = ParsedDelivery(
            bronze=good.join(files, on=LANE_FILE, how="left", maintain_order="left"),
            quarantine=bad,
            rows_read=raw.height,
        )
        if self.protect is not None:
            typed = self.protect(typed)
        self._bad = pl.concat(
            [self._bad, typed.quarantine.drop(SOURCE_ROW, FINGERPRINT, LANE_FILE)],
            how="diagonal_relaxed",
        )
        states = typed.bronze.partition_by(LANE_FILE, as_dict=True)
        done = []
        for i, waiting in enumerate(self._waiting):
            stored = states.get((i,), typed.bronze.clear()).drop(NUMBER, LANE_FILE)
            quarantine = waiting.unstored.join(
                self._bad, on=NUMBER, how="inner", maintain_order="left"
            ).drop(NUMBER)
            own = [pl.lit(v).alias(k) for k, v in waiting.export.columns.items()]
            members = waiting.listed.join(
                quarantine.select(SOURCE_ROW), on=SOURCE_ROW, how="anti", maintain_order="left"
            ).with_columns(own)
            done.append(
                (
                    waiting.name,
                    ParsedDelivery(
                        bronze=stored,
                        quarantine=quarantine,
                        rows_read=waiting.export.rows_read,
                        sheet=waiting.export.sheet,
                        related={MEMBERS: members},
                    ),
                )
            )
        for _, parsed in done:  # only once every export of the batch is done
            self.known.remember(parsed.bronze)
        self._waiting, self._new = [], []
        self._new_rows = self._listed_rows = 0
        self._seen = self._seen.clear()
        return done


def _copied(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with strings of its own. A filtered string column still holds its
    source's buffers, so a batch's few new rows kept every waiting export's raw rows in
    memory; a copy through Arrow's plain strings lets them go."""
    return cast(pl.DataFrame, pl.from_arrow(frame.to_arrow(compat_level=pl.CompatLevel.oldest())))
