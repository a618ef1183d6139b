"""From a file in a landing folder to bronze Parquet, exactly once, losing nothing.

A delivery is one file, identified by the sha256 of its bytes. Loaded bytes are never
loaded again; a rejected file moves to `landing/<feed>/rejected/` with an `.error.txt`
beside it; rows with a problem go to `quarantine/<feed>/` with a reason code. For every
delivery: rows read = rows in bronze + rows quarantined.

The loader's neighbours each do one job: `landing` (what waits, read without following
links), `raw_files` (archive and rejection), `registry` (what was handled),
`bronze_schema` (lineage, paths, empty sources) and `cumulative` (IOM's exports).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Container
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Protocol

import polars as pl

from ingest import landing
from ingest.bronze_schema import bronze_path, with_lineage
from ingest.contracts import Contract, DeliveryRejected
from ingest.cumulative import FINGERPRINT, MEMBERS
from ingest.delivery_types import ParsedDelivery, Parser
from ingest.export_lane import CumulativeFeed
from ingest.limits import FILE_SIZE, BadFile, check_delivery, check_size, one_line
from ingest.parquet_io import write_parquet_atomic
from ingest.raw_files import archive, reject
from ingest.registry import (
    DeliveryRecord,
    LoadedSince,
    read_registry,
    record,
    registry_size,
)
from ingest.settings import Settings


def max_delivery_bytes() -> int:
    """Deliveries above this size are refused unread (ingest.limits.FILE_SIZE)."""
    return FILE_SIZE.bytes()


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


class Gate(Protocol):
    """Validates the deliveries of a run together and judges each one (expectations.bronze)."""

    def add(self, file_name: str, bronze: pl.DataFrame, related: dict[str, pl.DataFrame]) -> None:
        """Take the rows of one parsed, pseudonymised delivery (the loader's threads may
        call it at once)."""
        ...

    def verdicts(self) -> dict[str, str]:
        """File name -> why it failed, for the deliveries that failed."""
        ...

    def fresh(self) -> Gate:
        """An empty gate of the same feed, for files loaded again after a rejection."""
        ...


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
    parse: Parser | CumulativeFeed,
    gate: Gate | None = None,
    protect: Callable[[ParsedDelivery], ParsedDelivery] | None = None,
) -> list[DeliveryRecord]:
    """Load landed files; never raises for bad input, each record says what happened.

    Write, audit, accept: each file is parsed, pseudonymised (`protect` replaces personal
    data before anything is written) and written to a staging folder; the gate judges every
    delivery of the batch; only then are the accepted ones moved into bronze and quarantine
    and their raw files archived. A rejected delivery leaves nothing in bronze.

    A cumulative feed's exports are read a lane at a time (ingest.export_lane): its
    `known` states grow with each lane's batches, so later files of the run refer to them
    instead of storing them again. A delivery that referred to states of a delivery the
    gate then rejected is loaded again, after the others, with its own copy of those rows.
    """
    known = parse.known if isinstance(parse, CumulativeFeed) else None
    if known is not None:
        paths = _corrections_first(contract, paths)
    staging_root = settings.home / "staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    _clear_stale_staging(staging_root)
    staging = Path(tempfile.mkdtemp(prefix=f"{contract.feed}-", dir=staging_root))
    staged: dict[str, _Staged] = {}
    claims: dict[Path, landing.Claim] = {}
    others = LoadedSince(settings, registry_size(settings))
    records_so_far = read_registry(settings)
    loaded = {r.sha256 for r in records_so_far if r.status == "loaded"}
    if known is not None:
        known.loaded = {
            r.sha256: r.file_name
            for r in records_so_far
            if r.feed == contract.feed and r.status == "loaded"
        }
    again: list[Path] = []  # loaded again after the others (see below)
    try:
        context = _Run(settings, contract, gate, protect, staging, staged, loaded, claims)
        outcomes = _stage_all(
            settings.ingest_threads,
            contract,
            paths,
            partial(_stage_exports, context, parse)
            if isinstance(parse, CumulativeFeed)
            else partial(_stage_files, context, parse),
            known.scope_of_file if known is not None else None,
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
                        others,
                    )
                )
            else:  # the same bytes as a file staged earlier in this batch
                path, sha = outcome
                first = staged.get(sha)  # None: its read failed with the batch it was in
                why = "refused" if first is None else verdicts.get(first.path.name)
                records.append(
                    _refuse(
                        settings,
                        contract.feed,
                        path,
                        f"{path.name}: the same bytes as "
                        + (
                            "a file of this run that was refused"
                            if first is None
                            else f"{first.path.name}, which failed the bronze quality gate"
                        ),
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
    if again and isinstance(parse, CumulativeFeed):
        for path in again:  # the second pass claims them again
            claims[path].close()
        # The same scopes as the first pass: a mission's files loaded again share a lane.
        records += load_files(
            settings,
            contract,
            again,
            replace(parse, known=parse.known.fresh()),
            gate.fresh() if gate is not None else None,
            protect,
        )
    return records


Outcome = DeliveryRecord | _Staged | tuple[Path, str]


@dataclass(frozen=True)
class _Run:
    """What staging a file needs from the run that loads it."""

    settings: Settings
    contract: Contract
    gate: Gate | None
    protect: Callable[[ParsedDelivery], ParsedDelivery] | None
    staging: Path
    #: sha256 -> the delivery staged with those bytes (shared by the lanes' threads).
    staged: dict[str, _Staged]
    #: The sha256 of every delivery recorded as loaded when the run began.
    loaded: set[str]
    #: The landed files this run holds (`landing.Claim`), until they leave landing.
    claims: dict[Path, landing.Claim]


def _stage_all(
    threads: int,
    contract: Contract,
    paths: list[Path],
    stage_lane: Callable[[list[Path]], list[Outcome]],
    scope_of: Callable[[str], str | None] | None,
) -> list[Outcome]:
    """Stage every file, lane by lane (`stage_lane`), lanes side by side on `threads`
    (`Settings.ingest_threads`: Polars, DuckDB and the Parquet writer release the GIL);
    outcomes in the order of `paths`.

    A lane holds the files that must be staged in run order: those of one delivery key, of
    one cumulative scope (`scope_of`: an export refers to the states earlier exports of its
    mission stored), and of one size (identical bytes are the same size: the second copy
    must see the first staged). Judging and settling stay in run order, in the calling
    thread."""
    outcomes: dict[int, Outcome] = {}

    def run(lane: list[int]) -> None:
        for i, outcome in zip(lane, stage_lane([paths[i] for i in lane]), strict=True):
            outcomes[i] = outcome

    lanes = _lanes(contract, paths, scope_of)
    workers = min(threads, len(lanes))
    if workers <= 1:
        for lane in lanes:
            run(lane)
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix=f"stage-{contract.feed}") as pool:
            for future in [pool.submit(run, lane) for lane in lanes]:
                future.result()
    return [outcomes[i] for i in range(len(paths))]


def _stage_files(run: _Run, parse: Parser, lane: list[Path]) -> list[Outcome]:
    """Each file of the lane parsed, pseudonymised and set aside, one after the other."""
    outcomes: list[Outcome] = []
    for path in lane:
        ready = _ready(run, path)
        if not isinstance(ready, _Ready):
            outcomes.append(ready)
            continue
        opened = ready.opened
        try:
            parsed = parse(opened.content, path.name)
            if run.protect is not None:
                parsed = run.protect(parsed)
        except Exception as exc:  # noqa: BLE001 - any bad file is a rejected delivery, never a crash
            outcomes.append(_unreadable(run, opened, exc))
            continue
        outcomes.append(_set_aside(run, opened, ready.key, parsed))
    return outcomes


def _stage_exports(run: _Run, feed: CumulativeFeed, lane: list[Path]) -> list[Outcome]:
    """A cumulative feed's lane: each export read as it comes (its bytes let go at once),
    the new rows typed and pseudonymised a batch at a time (ingest.export_lane), each
    export set aside when its batch is done. A batch that fails refuses its exports."""
    outcomes: dict[Path, Outcome] = {}
    waiting: dict[str, _Ready] = {}  # file name -> an export read, its batch not done
    reading = feed.lane(run.contract, run.protect)

    def finished(batch: Callable[[], list[tuple[str, ParsedDelivery]]]) -> None:
        nonlocal reading
        try:
            done = batch()
        except Exception as exc:  # noqa: BLE001 - never a crash: the batch's files are refused
            for ready in waiting.values():
                outcomes[ready.opened.path] = _unreadable(run, ready.opened, exc)
            waiting.clear()
            reading = feed.lane(run.contract, run.protect)
            return
        for name, parsed in done:
            ready = waiting.pop(name)
            outcomes[ready.opened.path] = _set_aside(run, ready.opened, ready.key, parsed)

    for path in lane:
        ready = _ready(run, path, {w.opened.sha for w in waiting.values()})
        if not isinstance(ready, _Ready):
            outcomes[path] = ready
            continue
        try:
            export = feed.read(ready.opened.content, path.name)
        except Exception as exc:  # noqa: BLE001 - any bad file is a rejected delivery, never a crash
            outcomes[path] = _unreadable(run, ready.opened, exc)
            continue
        waiting[path.name] = replace(ready, opened=replace(ready.opened, content=b""))
        finished(partial(reading.add, path.name, export))
    finished(reading.finish)
    return [outcomes[path] for path in lane]


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


def _landed_at(claim: landing.Claim | None) -> str | None:
    return claim.landed_at.isoformat() if claim is not None else None


def _settled(
    path: Path, feed: str, sha: str, status: str, claim: landing.Claim | None = None, **fields
) -> DeliveryRecord:
    """The registry line of a delivery that was not loaded (refused or a duplicate)."""
    return DeliveryRecord(
        feed=feed,
        file_name=landing.stored_name(path.name),
        sha256=sha,
        delivery_key=None,
        received_at=datetime.now(UTC).isoformat(),
        status=status,
        landed_at=_landed_at(claim),
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
    reject(settings, feed, path, error, claim)
    entry = _settled(path, feed, sha, "rejected", claim, error=error)
    record(settings, entry)
    return entry


def _duplicate(
    settings: Settings, feed: str, path: Path, sha: str, claim: landing.Claim | None
) -> DeliveryRecord:
    archive(settings, feed, path, sha, claim)
    entry = _settled(
        path, feed, sha, "duplicate", claim, bronze_file=str(bronze_path(settings, feed, sha))
    )
    record(settings, entry)
    return entry


@dataclass(frozen=True)
class _Opened:
    """A landed file claimed and read, not yet parsed."""

    path: Path
    claim: landing.Claim
    content: bytes
    sha: str
    opened_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _open(run: _Run, path: Path) -> _Opened | DeliveryRecord:
    """Claim and read one landed file; a file refused unread is settled at once.

    The file is opened without following links and locked (`landing.Claim`, kept in
    `run.claims` until the file has left landing); a file another run holds or has taken is
    skipped, not recorded. Bytes already loaded are a duplicate."""
    settings, feed = run.settings, run.contract.feed
    label = landing.shown(path.name)  # the name as an error line may show it
    if (problem := landing.name_problem(path.name)) is not None:
        return _refuse(settings, feed, path, f"{label}: {problem}")
    try:
        claim = landing.Claim(path)
    except landing.NotADelivery as exc:
        return _refuse(settings, feed, path, f"{label}: {exc}")
    except landing.Busy as exc:
        return _skipped(path, feed, str(exc))
    except FileNotFoundError:
        return _skipped(path, feed, f"{label}: no longer in landing (handled by another run)")
    run.claims[path] = claim
    if claim.size == 0:
        return _refuse(settings, feed, path, f"{label}: empty file (0 bytes)", claim=claim)
    try:
        check_size(claim.size)  # refused unread
        content = claim.read()
        check_delivery(content, path.name)
    except BadFile as exc:
        return _refuse(settings, feed, path, f"{label}: {exc}", claim=claim)
    sha = sha256_of(content)
    if bronze_path(settings, feed, sha).exists():
        if sha in run.loaded:
            return _duplicate(settings, feed, path, sha, claim)
        # A load killed after moving its files and before recording them: start again.
        _remove_delivery_files(settings, feed, sha)
    return _Opened(path, claim, content, sha)


@dataclass(frozen=True)
class _Ready:
    """A landed file read, new to this run, with its delivery key: for its reader."""

    opened: _Opened
    key: str


def _ready(run: _Run, path: Path, waiting: Container[str] = ()) -> _Ready | Outcome:
    """Open one landed file for its reader, or say what became of it: refused unread or
    a duplicate (`_open`), the same bytes as a file staged in this run or `waiting` in its
    lane (sha256s), or refused for a name that gives no delivery key."""
    opened = _open(run, path)
    if not isinstance(opened, _Opened):
        return opened
    if opened.sha in run.staged or opened.sha in waiting:
        return (path, opened.sha)
    try:
        return _Ready(opened, run.contract.delivery_key(path.name))
    except Exception as exc:  # noqa: BLE001 - any bad file is a rejected delivery, never a crash
        return _unreadable(run, opened, exc)


def _unreadable(run: _Run, opened: _Opened, exc: Exception) -> DeliveryRecord:
    """Refuse a file its reader could not read, saying why."""
    settings, feed, path = run.settings, run.contract.feed, opened.path
    label = landing.shown(path.name)
    if isinstance(exc, DeliveryRejected):
        return _refuse(settings, feed, path, str(exc), claim=opened.claim)
    if isinstance(exc, BadFile):
        return _refuse(settings, feed, path, f"{label}: {exc}", claim=opened.claim)
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return _refuse(
        settings,
        feed,
        path,
        f"{label}: unreadable ({type(exc).__name__}: {first})",
        claim=opened.claim,
    )


def _set_aside(run: _Run, opened: _Opened, key: str, parsed: ParsedDelivery) -> _Staged:
    """Write a parsed delivery's tables to the staging folder, with their lineage, and show
    its rows to the gate."""
    settings, feed, path, sha = run.settings, run.contract.feed, opened.path, opened.sha
    target = bronze_path(settings, feed, sha)

    def lined(frame: pl.DataFrame) -> pl.DataFrame:
        return with_lineage(
            frame,
            feed=feed,
            file_name=path.name,
            sha256=sha,
            sheet=parsed.sheet,
            delivery_key=key,
            ingested_at=opened.opened_at,
        )

    bronze = lined(parsed.bronze)
    related = {name: lined(frame) for name, frame in parsed.related.items() if frame.height}
    if run.gate is not None:
        run.gate.add(
            path.name, bronze, {n: f for n, f in related.items() if not n.endswith("_quarantine")}
        )
    moves: list[tuple[Path, Path]] = []

    def aside(frame: pl.DataFrame, final: Path) -> Path:
        held = run.staging / f"{sha}-{len(moves)}.parquet"
        write_parquet_atomic(frame, held)
        moves.append((held, final))
        return held

    if parsed.quarantine.height:
        aside(lined(parsed.quarantine), settings.quarantine(feed) / f"{sha}.parquet")
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
        received_at=opened.opened_at.isoformat(),
        landed_at=_landed_at(opened.claim),
        status="loaded",
        rows_read=parsed.rows_read,
        # A cumulative export is in bronze as its row list; its new states are a subset.
        rows_bronze=related[MEMBERS].height if MEMBERS in related else bronze.height,
        rows_quarantined=parsed.quarantine.height,
        bronze_file=str(target),
        warnings="; ".join(parsed.warnings) or None,
    )
    staged = _Staged(path, entry, moves, members)
    run.staged[sha] = staged
    return staged


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
    others: LoadedSince,
) -> DeliveryRecord:
    """Accept a staged delivery (its files move into place, the bronze file last) or reject
    it. Bytes another run recorded since this run began are a duplicate here."""
    entry = staged.record
    if failure:
        # Each failed expectation: the suite, the expectation, the column, examples.
        error = f"{staged.path.name}: failed the bronze quality gate\n{failure}"
        return _refuse(settings, entry.feed, staged.path, error, entry.sha256, claim)
    if entry.sha256 in others:
        return _duplicate(settings, entry.feed, staged.path, entry.sha256, claim)
    for held, final in staged.moves:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp")
        shutil.move(str(held), tmp)
        os.replace(tmp, final)
    # Recorded before the raw file leaves landing: a crash in between leaves a file the next
    # run sees as a duplicate, never a delivery in bronze that the registry does not know.
    record(settings, entry)
    archive(settings, entry.feed, staged.path, entry.sha256, claim)
    return entry
