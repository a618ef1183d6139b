"""From a file in a landing folder to bronze Parquet, exactly once, losing nothing.

A delivery is one file, identified by the sha256 of its bytes. Loaded bytes are never
loaded again; a rejected file moves to `landing/<feed>/rejected/` with an `.error.txt`
beside it; rows with a problem go to `quarantine/<feed>/` with a reason code. For every
delivery: rows read = rows in bronze + rows quarantined.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Protocol

import polars as pl

from ingest import landing
from ingest.contracts import Contract, DeliveryRejected, load_contract
from ingest.cumulative import FINGERPRINT, MEMBERS, KnownRows
from ingest.limits import FILE_SIZE, BadFile, check_delivery, check_size, one_line
from ingest.settings import Settings


@dataclass(frozen=True)
class ParsedDelivery:
    """What a feed parser returns: typed bronze rows and the rows it could not type."""

    bronze: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int
    sheet: str | None = None
    #: Further tables of the same delivery: repeat groups, participant lists (by name).
    related: dict[str, pl.DataFrame] = field(default_factory=dict)


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


Parser = Callable[[bytes, str], ParsedDelivery]


def max_delivery_bytes() -> int:
    """Deliveries above this size are refused unread (ingest.limits.FILE_SIZE)."""
    return FILE_SIZE.bytes()


def ingest_threads() -> int:
    """Files staged at once (SLC_INGEST_THREADS; default: the machine's cores, at most 4).

    Polars, DuckDB and the Parquet writer release the GIL, so threads use both cores."""
    value = os.environ.get("SLC_INGEST_THREADS")
    return max(1, int(value) if value else min(4, os.cpu_count() or 1))


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def sha256_file(path: Path) -> str:
    """The same digest as `sha256_of`, read in chunks (sensors hash without loading), from
    a regular file opened without following a link."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name}: not a regular file")
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pending_entries(settings: Settings, feed: str) -> list[landing.Entry]:
    """Everything waiting in the feed's landing folder, never followed: files to load and
    entries a run refuses (links, FIFOs, folders, bad names); copies in progress
    (`.part`, `.tmp`) left out."""
    return landing.scan(settings.home, settings.landing(feed))


def pending_files(settings: Settings, feed: str) -> list[Path]:
    """The paths of `pending_entries`."""
    return [entry.path for entry in pending_entries(settings, feed)]


SETTLE_ENV = "SLC_LANDING_SETTLE_SECONDS"


def settle_seconds() -> float:
    """A landed file younger than this may still be being copied (SLC_LANDING_SETTLE_SECONDS):
    the sensors and `slc refresh` leave it for a later run."""
    return float(os.environ.get(SETTLE_ENV, "2"))


def bronze_path(settings: Settings, feed: str, sha256: str) -> Path:
    return settings.bronze(feed) / f"{sha256}.parquet"


def write_parquet_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Readers see the whole file or none of it (write aside, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    frame.write_parquet(tmp, compression="zstd")
    os.replace(tmp, path)


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


def loaded_since(settings: Settings, offset: int, sha256: str) -> bool:
    """Whether another run recorded `sha256` as loaded after `offset` (two runs given the
    same bytes under two names at once)."""
    with _RECORDING, registry_lock(settings):
        return any(
            r.sha256 == sha256 and r.status == "loaded" for r in read_registry(settings, offset)
        )


def read_registry(settings: Settings, since: int = 0) -> list[DeliveryRecord]:
    """The registry's records (from byte offset `since`). A last line cut short (a disk
    that filled while it was written) is no record: its delivery is handled again."""
    path = registry_path(settings)
    if not path.exists():
        return []
    with path.open("rb") as handle:
        handle.seek(since)
        data = handle.read()
    records = []
    for line in data.decode("utf-8").splitlines(keepends=True):
        if not line.endswith("\n") or not line.strip():
            continue
        try:
            records.append(DeliveryRecord(**json.loads(line)))
        except (json.JSONDecodeError, TypeError):
            continue  # a line cut short by a full disk and completed by a later append
    return records


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
    "status": pl.String,
    "rows_read": pl.Int64,
    "rows_bronze": pl.Int64,
    "rows_quarantined": pl.Int64,
    "bronze_file": pl.String,
    "error": pl.String,
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


def write_registry_table(settings: Settings) -> Path:
    """Rewrite registry/deliveries.parquet from the log: every delivery, current or not."""
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
                    "is_current": loaded and winner.sha256 == entry.sha256,
                    "superseded_by": winner.sha256
                    if loaded and winner.sha256 != entry.sha256
                    else None,
                }
            )
        write_parquet_atomic(pl.DataFrame(rows, schema=REGISTRY_SCHEMA), target)
    return target


def _archive(
    settings: Settings, feed: str, path: Path, sha256: str, claim: landing.Claim | None
) -> None:
    """Keep the raw file, readable by its owner only, out of the landing folder. The mode
    and time are set on the descriptor the run read, never through a path."""
    landing.move_aside(settings.home, path, settings.archive(feed), f"{sha256[:12]}__{path.name}")
    if claim is not None:
        claim.protect()  # its age is the time since it was archived (`slc purge-raw`)


def _reject(
    settings: Settings, feed: str, path: Path, error: str, claim: landing.Claim | None
) -> None:
    """Move a refused entry to `rejected/` (owner-only) with its one-line `.error.txt`."""
    name = landing.stored_name(path.name)
    folder = settings.rejected(feed)
    if os.path.lexists(path):
        target = landing.move_aside(settings.home, path, folder, name)
        if claim is None:  # a link, FIFO or folder: its own time, never its target's
            os.utime(target, follow_symlinks=False)
    if claim is not None:
        claim.protect()
    landing.write_private(folder / f"{name}.error.txt", error + "\n")


def purge_raw(settings: Settings, older_than_s: float, now: float | None = None) -> list[Path]:
    """Delete raw files archived or rejected more than `older_than_s` seconds ago.

    Raw files hold personal data in clear; bronze keeps only pseudonyms, so once a file is
    older than the retention period the raw copy goes. The registry keeps its sha256.
    """
    from ingest.settings import FEEDS

    cutoff = (now if now is not None else datetime.now(UTC).timestamp()) - older_than_s
    deleted: list[Path] = []
    for feed in FEEDS:
        for folder in (settings.archive(feed), settings.rejected(feed)):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                info = path.lstat()  # a link is judged and removed itself, never its target
                if info.st_mtime >= cutoff:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(path)
                else:
                    path.unlink()
                deleted.append(path)
    return deleted


def with_lineage(
    frame: pl.DataFrame,
    *,
    feed: str,
    file_name: str,
    sha256: str,
    sheet: str | None,
    delivery_key: str,
    ingested_at: datetime,
) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(feed).alias("_feed"),
        pl.lit(file_name).alias("_source_file"),
        pl.lit(sha256).alias("_sha256"),
        pl.lit(sheet, dtype=pl.String).alias("_sheet"),
        pl.lit(delivery_key).alias("_delivery_key"),
        pl.lit(ingested_at, dtype=pl.Datetime("us", "UTC")).alias("_ingested_at"),
    )


READER_TYPES = {"string": pl.String, "int": pl.Int64, "int32": pl.Int32, "decimal": pl.Float64}


def empty_bronze(feed: str, table: str = "", protect=None) -> pl.DataFrame:
    """A zero-row bronze table with every column and type a delivery of the feed has.

    Built with the same typing code as a real delivery (contract columns, pseudonyms, the
    columns the reader adds, lineage), so dbt can read a feed that has no delivery yet.
    A table that mixes several contracts (EJOM's four forms) gets all their columns.
    """
    from ingest.feeds import bronze_tables, reader_columns
    from ingest.tabular import SOURCE_ROW
    from ingest.typed import type_frame

    frames = []
    for contract in bronze_tables(feed)[table]:
        raw = pl.DataFrame(
            schema={**{c.name: pl.String for c in contract.columns}, SOURCE_ROW: pl.Int64}
        )
        good, _ = type_frame(raw, contract, keep=[SOURCE_ROW])
        added = reader_columns(contract, table)
        frames.append(
            good.with_columns(
                pl.lit(None, dtype=READER_TYPES[kind]).alias(name) for name, kind in added.items()
            )
        )
    empty = pl.concat(frames, how="diagonal_relaxed").clear()
    parsed = ParsedDelivery(empty, pl.DataFrame(), 0)
    if protect is not None:
        parsed = protect(parsed)
    return with_lineage(
        parsed.bronze,
        feed=feed,
        file_name="",
        sha256="",
        sheet=None,
        delivery_key="",
        ingested_at=datetime(1970, 1, 1, tzinfo=UTC),
    ).clear()


def empty_bronze_path(settings: Settings, feed: str, table: str = "") -> Path:
    """Lies among the deliveries (`bronze/<feed>[/<table>]/*.parquet`), adds no row to them."""
    folder = settings.bronze(feed) / table if table else settings.bronze(feed)
    return folder / "_empty.parquet"


def prepare_sources(settings: Settings) -> None:
    """What dbt reads exists before the first delivery: the registry table and, for feeds
    whose contracts declare their reader columns, empty bronze files with the full schema."""
    from ingest.feeds import bronze_tables, declares_schema
    from ingest.settings import FEEDS

    if not registry_table_path(settings).exists():
        write_registry_table(settings)
    for feed in FEEDS:
        if not declares_schema(feed):
            continue
        for table in bronze_tables(feed):
            path = empty_bronze_path(settings, feed, table)
            write_parquet_atomic(_empty_source(feed, table), path)


@cache
def _empty_source(feed: str, table: str) -> pl.DataFrame:
    """`empty_bronze` with pseudonym columns, made once per process (every ingest step
    writes it: a tenth of a second of typing each time); contracts do not change while a
    process runs."""
    from ingest.pseudonymise import protect

    # No value is hashed in a frame without rows: any key gives the same columns.
    return empty_bronze(feed, table, lambda parsed: protect(parsed, feed, b"-"))


class Gate(Protocol):
    """Validates the deliveries of a run together and judges each one (expectations.bronze)."""

    def add(self, file_name: str, bronze: pl.DataFrame, related: dict[str, pl.DataFrame]) -> None:
        """Take the rows of one parsed, pseudonymised delivery (the loader's threads may
        call it at once)."""

    def verdicts(self) -> dict[str, str]:
        """File name -> why it failed, for the deliveries that failed."""

    def fresh(self) -> Gate:
        """An empty gate of the same feed, for files loaded again after a rejection."""


@dataclass(frozen=True)
class _Staged:
    """A parsed delivery written aside, waiting for the gate's verdict."""

    path: Path
    record: DeliveryRecord
    #: (file written in the staging folder, its place once accepted); the bronze file last.
    moves: list[tuple[Path, Path]]
    #: A cumulative export's staged row list (ingest.cumulative), else None.
    members: Path | None = None

    @property
    def states(self) -> Path:
        """The staged bronze file (for a cumulative export: the states it stores)."""
        return self.moves[-1][0]


def load_files(
    settings: Settings,
    contract: Contract,
    paths: list[Path],
    parse: Parser,
    gate: Gate | None = None,
    protect: Callable[[ParsedDelivery], ParsedDelivery] | None = None,
    known: KnownRows | None = None,
) -> list[DeliveryRecord]:
    """Load landed files; never raises for bad input, each record says what happened.

    Write, audit, accept: each file is parsed, pseudonymised (`protect` replaces personal
    data before anything is written) and written to a staging folder; the gate judges every
    delivery of the batch; only then are the accepted ones moved into bronze and quarantine
    and their raw files archived. A rejected delivery leaves nothing in bronze.

    `known` (cumulative feeds; `parse` must use the same object) learns the states each
    staged delivery stores, so later files of the batch refer to them instead of storing
    them again. A delivery that referred to states of a delivery the gate then rejected is
    loaded again, after the others, with its own copy of those rows.
    """
    if known is not None:
        paths = _corrections_first(contract, paths)
    staging_root = settings.home / "staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    _clear_stale_staging(staging_root)
    staging = Path(tempfile.mkdtemp(prefix=f"{contract.feed}-", dir=staging_root))
    staged: dict[str, _Staged] = {}
    claims: dict[Path, landing.Claim] = {}
    since = registry_size(settings)
    records_so_far = read_registry(settings)
    loaded = {r.sha256 for r in records_so_far if r.status == "loaded"}
    if known is not None:
        known.loaded = {
            r.sha256: r.file_name
            for r in records_so_far
            if r.feed == contract.feed and r.status == "loaded"
        }
    try:
        outcomes = _stage_all(
            contract,
            paths,
            lambda path: _stage(
                settings, contract, path, parse, gate, protect, staging, staged, loaded, claims
            ),
            staged,
            known,
        )
        verdicts = gate.verdicts() if gate is not None and staged else {}
        again = _leaning_on_rejected(list(staged.values()), verdicts)
        records = []
        for outcome in outcomes:
            if isinstance(outcome, DeliveryRecord):
                records.append(outcome)
            elif isinstance(outcome, _Staged) and outcome.path in again:
                continue
            elif isinstance(outcome, _Staged):
                records.append(
                    _settle(
                        settings,
                        outcome,
                        verdicts.get(outcome.path.name),
                        claims.get(outcome.path),
                        since,
                    )
                )
            else:  # the same bytes as a file staged earlier in this batch
                path, sha = outcome
                first = staged[sha]
                why = verdicts.get(first.path.name)
                records.append(
                    _refuse(
                        settings,
                        contract.feed,
                        path,
                        f"{path.name}: the same bytes as "
                        f"{first.path.name}, which failed the bronze quality gate",
                        sha,
                        claims.get(path),
                    )
                    if why
                    else _duplicate(settings, contract.feed, path, sha, claims.get(path))
                )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for path, claim in claims.items():
            if path not in again:  # loaded again below: its lock goes with this run's end
                claim.close()
    if again and known is not None:
        for path in again:  # the second pass claims them again
            claims[path].close()
        fresh = KnownRows(settings, known.key, contract)
        records += load_files(
            settings,
            contract,
            again,
            partial(parse, known=fresh),
            gate.fresh() if gate is not None else None,
            protect,
            fresh,
        )
    return records


Outcome = DeliveryRecord | _Staged | tuple[Path, str]


def _stage_all(
    contract: Contract,
    paths: list[Path],
    stage: Callable[[Path], Outcome],
    staged: dict[str, _Staged],
    known: KnownRows | None,
) -> list[Outcome]:
    """Stage every file (`stage`), lane by lane, lanes side by side (`ingest_threads`);
    outcomes in the order of `paths`.

    A lane holds the files that must be staged in run order: those of one delivery key, of
    one cumulative scope (`KnownRows.scope_of_file`: an export refers to the states earlier
    exports of its mission stored), and of one size (identical bytes are the same size: the
    second copy must see the first staged). Judging and settling stay in run order, in the
    calling thread."""
    outcomes: dict[int, Outcome] = {}

    def run(lane: list[int]) -> None:
        for i in lane:
            outcome = stage(paths[i])
            if isinstance(outcome, _Staged):
                staged[outcome.record.sha256] = outcome
                if known is not None:
                    known.remember(
                        pl.read_parquet(outcome.states, columns=[known.scope, FINGERPRINT])
                    )
            outcomes[i] = outcome

    lanes = _lanes(contract, paths, known.scope_of_file if known is not None else None)
    workers = min(ingest_threads(), len(lanes))
    if workers <= 1:
        for lane in lanes:
            run(lane)
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix=f"stage-{contract.feed}") as pool:
            for future in [pool.submit(run, lane) for lane in lanes]:
                future.result()
    return [outcomes[i] for i in range(len(paths))]


def _lanes(
    contract: Contract, paths: list[Path], scope_of: Callable[[str], str | None] | None = None
) -> list[list[int]]:
    """Indices of `paths` grouped into lanes (see `_stage_all`), the largest lane first
    (by bytes), each in run order."""
    parent = list(range(len(paths)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, object], int] = {}
    sizes = []
    for i, path in enumerate(paths):
        try:
            size = os.lstat(path).st_size
        except OSError:
            size = -1 - i  # gone: a lane of its own, _stage says so
        sizes.append(max(size, 0))
        links: list[tuple[str, object]] = [("size", size)]
        if contract.matches(path.name):
            links.append(("key", contract.delivery_key(path.name)))
            scope = scope_of(path.name) if scope_of is not None else None
            if scope is not None:
                links.append(("scope", scope))
        for link in links:
            j = first.setdefault(link, i)
            parent[root(i)] = root(j)
    lanes: dict[int, list[int]] = {}
    for i in range(len(paths)):
        lanes.setdefault(root(i), []).append(i)
    return sorted(lanes.values(), key=lambda lane: -sum(sizes[i] for i in lane))


def _corrections_first(contract: Contract, paths: list[Path]) -> list[Path]:
    """Files in delivery-key order, the highest revision of a key first.

    A cumulative export refers to the states earlier files of the run stored. A first
    version the gate refuses (IOM's allowances typed 5,200, then sent again as `_v2`) then
    stores only the rows its correction does not have, which no later month repeats: no
    later file leans on it and has to be loaded again."""

    def key(path: Path) -> str:
        return contract.delivery_key(path.name) if contract.matches(path.name) else path.name

    def revision(path: Path) -> tuple:
        return contract.revision(path.name) if contract.matches(path.name) else ()

    return sorted(sorted(paths, key=revision, reverse=True), key=key)


def _leaning_on_rejected(staged: list[_Staged], verdicts: dict[str, str]) -> list[Path]:
    """Accepted deliveries whose row list names a state that a rejected delivery stored, or
    a delivery that is itself loaded again (its staged states go with it), in run order."""

    def stored(s: _Staged) -> pl.DataFrame:
        return pl.read_parquet(s.states, columns=[FINGERPRINT])

    lost = [stored(s) for s in staged if s.path.name in verdicts and s.members is not None]
    again: list[Path] = []
    for s in staged:
        if not lost or s.members is None or s.path.name in verdicts:
            continue
        listed = pl.read_parquet(s.members, columns=[FINGERPRINT])
        if not listed.join(pl.concat(lost), on=FINGERPRINT, how="semi").is_empty():
            again.append(s.path)
            lost.append(stored(s))
    return again


def _settled(path: Path, feed: str, sha: str, status: str, **fields) -> DeliveryRecord:
    """The registry line of a delivery that was not loaded (refused or a duplicate)."""
    return DeliveryRecord(
        feed=feed,
        file_name=landing.stored_name(path.name),
        sha256=sha,
        delivery_key=None,
        received_at=datetime.now(UTC).isoformat(),
        status=status,
        **fields,
    )


def _skipped(path: Path, feed: str, why: str) -> DeliveryRecord:
    """A landed file this run did not handle (another run holds or took it): returned for
    the run's log, never recorded."""
    return replace(_settled(path, feed, "", "skipped"), error=why)


def _refuse(
    settings: Settings,
    feed: str,
    path: Path,
    error: str,
    sha: str = "",
    claim: landing.Claim | None = None,
) -> DeliveryRecord:
    """Record a refused entry and move it aside. Its error is stored as one capped line
    (registry, `.error.txt`, logs): a hostile file cannot fill them."""
    error = one_line(error)
    _reject(settings, feed, path, error, claim)
    entry = _settled(path, feed, sha, "rejected", error=error)
    record(settings, entry)
    return entry


def _duplicate(
    settings: Settings, feed: str, path: Path, sha: str, claim: landing.Claim | None
) -> DeliveryRecord:
    _archive(settings, feed, path, sha, claim)
    entry = _settled(
        path, feed, sha, "duplicate", bronze_file=str(bronze_path(settings, feed, sha))
    )
    record(settings, entry)
    return entry


def _stage(
    settings: Settings,
    contract: Contract,
    path: Path,
    parse: Parser,
    gate: Gate | None,
    protect: Callable[[ParsedDelivery], ParsedDelivery] | None,
    staging: Path,
    staged: dict[str, _Staged],
    loaded: set[str],
    claims: dict[Path, landing.Claim],
) -> DeliveryRecord | _Staged | tuple[Path, str]:
    """Parse one file and write its tables aside; a refused file is settled at once.

    The file is opened without following links and locked (`landing.Claim`, kept in
    `claims` until the file has left landing); a file another run holds or has taken is
    skipped, not recorded."""
    feed = contract.feed
    now = datetime.now(UTC)
    name = landing.shown(path.name)
    if (problem := landing.name_problem(path.name)) is not None:
        return _refuse(settings, feed, path, f"{name}: {problem}")
    try:
        claim = landing.Claim(path)
    except landing.NotADelivery as exc:
        return _refuse(settings, feed, path, f"{name}: {exc}")
    except landing.Busy as exc:
        return _skipped(path, feed, str(exc))
    except FileNotFoundError:
        return _skipped(path, feed, f"{name}: no longer in landing (handled by another run)")
    claims[path] = claim
    if claim.size == 0:
        return _refuse(settings, feed, path, f"{name}: empty file (0 bytes)", claim=claim)
    try:
        check_size(claim.size)  # refused unread
        content = claim.read()
        check_delivery(content, path.name)
    except BadFile as exc:
        return _refuse(settings, feed, path, f"{name}: {exc}", claim=claim)
    sha = sha256_of(content)
    target = bronze_path(settings, feed, sha)
    if target.exists():
        if sha in loaded:
            return _duplicate(settings, feed, path, sha, claim)
        # A load killed after moving its files and before recording them: start again.
        _remove_delivery_files(settings, feed, sha)
    if sha in staged:
        return path, sha
    try:
        key = contract.delivery_key(path.name)
        parsed = parse(content, path.name)
        if protect is not None:
            parsed = protect(parsed)
    except Exception as exc:  # noqa: BLE001 - any bad file is a rejected delivery, never a crash
        if isinstance(exc, DeliveryRejected):
            return _refuse(settings, feed, path, str(exc), claim=claim)
        if isinstance(exc, BadFile):
            return _refuse(settings, feed, path, f"{name}: {exc}", claim=claim)
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return _refuse(
            settings,
            feed,
            path,
            f"{name}: unreadable ({type(exc).__name__}: {first})",
            claim=claim,
        )
    lineage = dict(
        feed=feed,
        file_name=path.name,
        sha256=sha,
        sheet=parsed.sheet,
        delivery_key=key,
        ingested_at=now,
    )
    bronze = with_lineage(parsed.bronze, **lineage)
    related = {
        name: with_lineage(frame, **lineage)
        for name, frame in parsed.related.items()
        if frame.height
    }
    if gate is not None:
        gate.add(
            path.name, bronze, {n: f for n, f in related.items() if not n.endswith("_quarantine")}
        )
    moves: list[tuple[Path, Path]] = []

    def aside(frame: pl.DataFrame, final: Path) -> Path:
        held = staging / f"{sha}-{len(moves)}.parquet"
        write_parquet_atomic(frame, held)
        moves.append((held, final))
        return held

    if parsed.quarantine.height:
        aside(
            with_lineage(parsed.quarantine, **lineage), settings.quarantine(feed) / f"{sha}.parquet"
        )
    # Related tables (repeat groups, participant lists) go to bronze/<feed>/<name>/<sha>.parquet.
    members = None
    for name, frame in related.items():
        table = name.removesuffix("_quarantine")
        root = settings.quarantine(feed) if name.endswith("_quarantine") else target.parent
        held = aside(frame, root / table / f"{sha}.parquet")
        members = held if name == MEMBERS else members
    aside(bronze, target)
    entry = DeliveryRecord(
        feed=feed,
        file_name=path.name,
        sha256=sha,
        delivery_key=key,
        received_at=now.isoformat(),
        status="loaded",
        rows_read=parsed.rows_read,
        # A cumulative export is in bronze as its row list; its new states are a subset.
        rows_bronze=related[MEMBERS].height if MEMBERS in related else bronze.height,
        rows_quarantined=parsed.quarantine.height,
        bronze_file=str(target),
    )
    return _Staged(path, entry, moves, members)


#: Staging folders older than this belong to runs that were killed (a run removes its own).
STALE_STAGING_S = 24 * 3600


def _clear_stale_staging(root: Path) -> None:
    cutoff = datetime.now(UTC).timestamp() - STALE_STAGING_S
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _remove_delivery_files(settings: Settings, feed: str, sha: str) -> None:
    """Every file a delivery wrote in bronze and quarantine (main and related tables)."""
    for root in (settings.bronze(feed), settings.quarantine(feed)):
        for path in [root / f"{sha}.parquet", *root.glob(f"*/{sha}.parquet")]:
            path.unlink(missing_ok=True)


def _settle(
    settings: Settings,
    staged: _Staged,
    failure: str | None,
    claim: landing.Claim | None,
    since: int,
) -> DeliveryRecord:
    """Accept a staged delivery (its files move into place, the bronze file last) or reject
    it. Bytes another run recorded since this run began are a duplicate here."""
    entry = staged.record
    if failure:
        # Each failed expectation: the suite, the expectation, the column, examples.
        error = f"{staged.path.name}: failed the bronze quality gate\n{failure}"
        return _refuse(settings, entry.feed, staged.path, error, entry.sha256, claim)
    if loaded_since(settings, since, entry.sha256):
        return _duplicate(settings, entry.feed, staged.path, entry.sha256, claim)
    for held, final in staged.moves:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp")
        shutil.move(str(held), tmp)
        os.replace(tmp, final)
    # Recorded before the raw file leaves landing: a crash in between leaves a file the next
    # run sees as a duplicate, never a delivery in bronze that the registry does not know.
    record(settings, entry)
    _archive(settings, entry.feed, staged.path, entry.sha256, claim)
    return entry


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
