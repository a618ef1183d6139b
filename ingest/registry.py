"""The delivery registry: an append-only log of every delivery handled, and the table dbt
reads, which says which delivery of each key is current.

`registry/deliveries.jsonl` gets one line per delivery (loaded, duplicate or rejected),
written whole under a file lock; `registry/deliveries.parquet` is rewritten from it after
each ingest run. The rule of which delivery counts (the highest revision of a key) lives
here, for the registry table, the refusals a correction replaces and the calibration.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from ingest.contracts import Contract, load_contract
from ingest.parquet_io import write_parquet_atomic
from ingest.reporting_rates import period_reports
from ingest.settings import Settings


@dataclass(frozen=True)
class DeliveryRecord:
    """One line of the delivery registry (`<SLC_HOME>/registry/deliveries.jsonl`)."""

    feed: str
    file_name: str
    sha256: str
    delivery_key: str | None
    received_at: str
    status: str  # loaded | duplicate | rejected (| skipped: returned by a run, never recorded)
    rows_read: int = 0
    rows_bronze: int = 0
    rows_quarantined: int = 0
    bronze_file: str | None = None
    error: str | None = None
    #: What the reader said about a delivery it accepted (columns kept aside...).
    warnings: str | None = None
    #: When the file landed (its modification time in landing), which reporting rates judge
    #: against the calendar's due date; None for a record older than the field, or an entry
    #: refused before it was opened.
    landed_at: str | None = None


def registry_path(settings: Settings) -> Path:
    return settings.home / "registry" / "deliveries.jsonl"


def registry_table_path(settings: Settings) -> Path:
    """The registry as a table, with which delivery of each key is current (dbt reads it)."""
    return settings.home / "registry" / "deliveries.parquet"


@contextmanager
def registry_lock(settings: Settings) -> Iterator[None]:
    """Runs of several feeds may finish together: one writer of the registry at a time."""
    path = settings.home / "registry" / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: The registry's file lock is per process; the loader's threads also take this one.
_RECORDING = threading.Lock()


def record(settings: Settings, entry: DeliveryRecord) -> None:
    """Append one line, written whole in one call (a full disk raises, and the line is
    not taken as a record: `read_registry`)."""
    path = registry_path(settings)
    line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8")
    with _RECORDING, registry_lock(settings):
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # after a line cut short: start a line of our own
            written = os.write(fd, line)
            if written != len(line):
                os.ftruncate(fd, size)
                raise OSError(f"{path}: only {written} of {len(line)} bytes written")
        finally:
            os.close(fd)


class LoadedSince:
    """The deliveries other runs recorded as loaded since `offset` (two runs given the same
    bytes under two names at once). Each lookup reads only the lines appended since the
    last one: a run that settles many files reads the registry's new part once, not again
    for every file."""

    def __init__(self, settings: Settings, offset: int) -> None:
        self.settings, self.offset = settings, offset
        self.shas: set[str] = set()

    def __contains__(self, sha256: object) -> bool:
        with _RECORDING, registry_lock(self.settings):
            records, self.offset = _records_from(self.settings, self.offset)
        self.shas.update(r.sha256 for r in records if r.status == "loaded")
        return sha256 in self.shas


def read_registry(settings: Settings, since: int = 0) -> list[DeliveryRecord]:
    """The registry's records (from byte offset `since`). A last line cut short (a disk
    that filled while it was written) is no record: its delivery is handled again."""
    return _records_from(settings, since)[0]


def _records_from(settings: Settings, since: int) -> tuple[list[DeliveryRecord], int]:
    """The records from byte offset `since`, and the offset after the last whole line."""
    path = registry_path(settings)
    if not path.exists():
        return [], since
    with path.open("rb") as handle:
        handle.seek(since)
        data = handle.read()
    whole = data[: data.rfind(b"\n") + 1]  # a last line cut short is read again next time
    records = []
    # Split on newline bytes alone: a value may hold other line separators (U+2028).
    for line in whole.split(b"\n")[:-1]:
        if not line.strip():
            continue
        try:
            records.append(DeliveryRecord(**json.loads(line)))
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError):
            continue  # a line cut short by a full disk and completed by a later append
    return records, since + len(whole)


def registry_size(settings: Settings) -> int:
    path = registry_path(settings)
    return path.stat().st_size if path.exists() else 0


REGISTRY_SCHEMA = {
    "feed": pl.String,
    "file_name": pl.String,
    "sha256": pl.String,
    "delivery_key": pl.String,
    "revision": pl.String,
    "received_at": pl.Datetime("us", "UTC"),
    "landed_at": pl.Datetime("us", "UTC"),
    "status": pl.String,
    "rows_read": pl.Int64,
    "rows_bronze": pl.Int64,
    "rows_quarantined": pl.Int64,
    "bronze_file": pl.String,
    "error": pl.String,
    "warnings": pl.String,
    "is_current": pl.Boolean,
    "superseded_by": pl.String,
}


def _order(entry: DeliveryRecord) -> tuple:
    return (load_contract(entry.feed).revision(entry.file_name), entry.received_at)


def _key(entry: DeliveryRecord) -> str | None:
    """The delivery key under today's contract (a contract may have changed its key since
    the file was loaded, as Frontex did when its releases became one series)."""
    contract = load_contract(entry.feed)
    return contract.delivery_key(entry.file_name) if contract.matches(entry.file_name) else None


def current_loads(records: list[DeliveryRecord]) -> dict[tuple[str, str], DeliveryRecord]:
    """(feed, delivery key) -> the loaded delivery that counts: the highest revision of the
    key (`_v2`, a later export or release), the later received on a tie. Arrival order does
    not matter: a v1 received after its v2 stays superseded."""
    best: dict[tuple[str, str], DeliveryRecord] = {}
    for entry in records:
        key = _key(entry) if entry.status == "loaded" else None
        if key is None:
            continue
        if (entry.feed, key) not in best or _order(entry) > _order(best[entry.feed, key]):
            best[entry.feed, key] = entry
    return best


def reporting_periods_path(settings: Settings) -> Path:
    """Every period the delivery calendars expect, as received (ingest.reporting_rates)."""
    return settings.home / "registry" / "reporting_periods.parquet"


def write_registry_table(settings: Settings) -> Path:
    """Rewrite registry/deliveries.parquet from the log: every delivery, current or not;
    and registry/reporting_periods.parquet, the calendars' view of the same log."""
    target = registry_table_path(settings)
    with registry_lock(settings):
        records = read_registry(settings)
        current = current_loads(records)
        rows = []
        for entry in records:
            key = _key(entry)
            winner = current.get((entry.feed, key or ""))
            loaded = entry.status == "loaded" and winner is not None
            rows.append(
                {
                    **asdict(entry),
                    "delivery_key": key if entry.status == "loaded" else None,
                    "revision": "/".join(
                        str(p) for p in load_contract(entry.feed).revision(entry.file_name)
                    )
                    if loaded
                    else None,
                    "received_at": datetime.fromisoformat(entry.received_at),
                    "landed_at": datetime.fromisoformat(entry.landed_at)
                    if entry.landed_at
                    else None,
                    "is_current": winner is not None and loaded and winner.sha256 == entry.sha256,
                    "superseded_by": winner.sha256
                    if winner is not None and loaded and winner.sha256 != entry.sha256
                    else None,
                }
            )
        write_parquet_atomic(pl.DataFrame(rows, schema=REGISTRY_SCHEMA), target)
        write_parquet_atomic(period_reports(records), reporting_periods_path(settings))
    return target


def replacements(records: list[DeliveryRecord]) -> dict[str, str | None]:
    """Rejected file -> the loaded delivery that replaces it: the current delivery of the
    same key, when it is a later revision (a `_v2`, a later export); None when nothing did."""
    current = current_loads(records)
    out: dict[str, str | None] = {}
    for entry in records:
        if entry.status != "rejected":
            continue
        key = _key(entry)
        best = current.get((entry.feed, key)) if key else None
        out[entry.file_name] = (
            best.file_name if best is not None and _order(best) > _order(entry) else None
        )
    return out


def corrected_by(settings: Settings, entry: DeliveryRecord) -> str | None:
    """The loaded delivery that replaces a rejected one, or None (see `replacements`)."""
    return replacements(read_registry(settings)).get(entry.file_name)


def current_versions(file_names: list[str], contract: Contract) -> list[str]:
    """Of files not loaded yet, the ones that would count: the highest revision of each key.

    The same rule as `current_loads`, for a folder of deliveries (calibration reads the
    generated sample this way).
    """
    best: dict[str, str] = {}
    for name in file_names:
        if not contract.matches(name):
            continue
        key = contract.delivery_key(name)
        if key not in best or contract.revision(name) > contract.revision(best[key]):
            best[key] = name
    return sorted(best.values())
