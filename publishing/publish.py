"""Write-audit-publish: copy the audited build into a new published version, then swap.

Analysts open `published/slc.duckdb` (read-only) and `published/marts/*.parquet`. Both are
symlinks into `published/versions/<stamp>/`; a publish writes a complete new version
aside and then replaces the symlinks with `os.replace`, which is atomic. A reader that
already has the old file open keeps reading the old version in full; a new reader gets
the new one. `rollback` points the symlinks back at the previous version.
No Dagster import here: the asset in orchestration/assets/publish.py is thin glue.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.parquet_io import is_disk_full
from ingest.settings import REPO_ROOT, Settings
from publishing.build_db import wait_until_free

#: Schemas of the build database that analysts get.
PUBLISHED_SCHEMAS = ("marts", "reference")
KEEP_VERSIONS = 5


@dataclass(frozen=True)
class PublishManifest:
    version: str
    published_at: str
    run_id: str | None
    git_revision: str | None
    row_counts: dict[str, int]
    checks_passed: list[str]
    #: mart -> hash of its columns and rows (in any order): equal hashes, equal marts. A
    #: report re-renders only when a mart it reads changes hash (reports/inputs.py).
    mart_hashes: dict[str, str] = field(default_factory=dict)
    #: The registry records the build covered and the dbt code it ran: what a change-driven
    #: rebuild compares with (orchestration/changes.py). None before they were recorded.
    registry_offset: int | None = None
    dbt_code: str | None = None
    #: The marts this version's build rebuilt; None when it rebuilt every one.
    rebuilt: list[str] | None = None
    #: mart -> the version whose build ran the mart's gate: a mart carried over unchanged
    #: keeps the gate result of the build that produced it.
    gates_from: dict[str, str] = field(default_factory=dict)
    #: The marts whose Parquet file is a hard link to the previous version's (same hash).
    linked: list[str] = field(default_factory=list)


def git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def content_hash(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A hash of a table's column names and types and of its rows as a multiset: the same
    rows in another order give the same hash (dbt's tables have no order)."""
    columns = con.execute(f"describe {table}").fetchall()
    [(rows, total)] = con.execute(
        f"select count(*), coalesce(sum(hash(t)), 0)::varchar from {table} t"
    ).fetchall()
    text = json.dumps([[c[0], c[1]] for c in columns]) + f"|{rows}|{total}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _swap_symlink(link: Path, target: Path) -> None:
    tmp = link.with_name(f".{link.name}.swap")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(os.path.relpath(target, link.parent))
    os.replace(tmp, link)


def versions(settings: Settings) -> list[Path]:
    root = settings.published / "versions"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def current_version(settings: Settings) -> Path | None:
    link = settings.published_db
    return link.resolve().parent if link.is_symlink() else None


def read_manifest(version: Path) -> PublishManifest:
    return PublishManifest(**json.loads((version / "manifest.json").read_text()))


def published_manifest(settings: Settings) -> PublishManifest | None:
    """The manifest of the version analysts see now (`published/manifest.json`); None
    before the first publish."""
    link = settings.published / "manifest.json"
    return read_manifest(link.parent) if link.exists() else None


def _point_at(settings: Settings, version: Path) -> None:
    _swap_symlink(settings.published_db, version / "slc.duckdb")
    _swap_symlink(settings.published_marts, version / "marts")
    _swap_symlink(settings.published / "manifest.json", version / "manifest.json")


class PublishFailed(RuntimeError):
    """A publish that stopped before its swap: the published files are the previous ones."""


def _current_name(settings: Settings) -> str:
    version = current_version(settings)
    return version.name if version is not None else "none (nothing published yet)"


def _write_version(
    settings: Settings,
    staging: Path,
    stamp: str,
    run_id: str | None,
    checks_passed: list[str] | None,
    build: dict | None,
) -> PublishManifest:
    """The new version, whole, in `staging`: the database, the marts' Parquet (a hard link
    to the previous version's file when the mart's content is the same), the manifest."""
    (staging / "marts").mkdir(parents=True)
    row_counts: dict[str, int] = {}
    mart_hashes: dict[str, str] = {}
    linked: list[str] = []
    current = current_version(settings)
    previous = read_manifest(current) if current is not None else None
    # The copy streams, so a small cap (Settings.publish_memory_limit) costs it little; it
    # runs in the run process, beside the rest of the run.
    con = duckdb.connect(
        str(staging / "slc.duckdb"), config={"memory_limit": settings.publish_memory_limit}
    )
    try:
        con.execute("attach ? as build (read_only)", [str(settings.build_db)])
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'build' and schema_name in ? order by 1, 2",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        if not tables:
            raise RuntimeError(f"{settings.build_db}: no table in schemas {PUBLISHED_SCHEMAS}")
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(
                f'create table "{schema}"."{table}" as select * from build."{schema}"."{table}"'
            )
            [(count,)] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()
            row_counts[f"{schema}.{table}"] = count
            if schema == "marts":
                mart_hashes[table] = content_hash(con, f'"{schema}"."{table}"')
                target = staging / "marts" / f"{table}.parquet"
                if _link_unchanged(current, previous, table, mart_hashes[table], target):
                    linked.append(table)
                    continue
                con.execute(
                    f'copy "{schema}"."{table}" to \'{target}\' (format parquet, compression zstd)'
                )
        con.execute("detach build")
        con.execute("checkpoint")
    finally:
        con.close()
    manifest = PublishManifest(
        version=stamp,
        published_at=datetime.now(UTC).isoformat(),
        run_id=run_id,
        git_revision=git_revision(),
        row_counts=row_counts,
        checks_passed=sorted(checks_passed or []),
        mart_hashes=mart_hashes,
        registry_offset=(build or {}).get("registry_offset"),
        dbt_code=(build or {}).get("dbt_code"),
        rebuilt=(build or {}).get("rebuilt"),
        gates_from=_gates_from(stamp, sorted(mart_hashes), (build or {}).get("rebuilt"), previous),
        linked=linked,
    )
    (staging / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    return manifest


def _link_unchanged(
    current: Path | None,
    previous: PublishManifest | None,
    mart: str,
    digest: str,
    target: Path,
) -> bool:
    """Hard-link the previous version's Parquet file of `mart` when its content hash is the
    same (a version is never written after its swap, so sharing the file is safe)."""
    if current is None or previous is None or previous.mart_hashes.get(mart) != digest:
        return False
    try:
        os.link(current / "marts" / f"{mart}.parquet", target)
    except OSError:
        return False
    return True


def _gates_from(
    stamp: str, marts: list[str], rebuilt: list[str] | None, previous: PublishManifest | None
) -> dict[str, str]:
    """mart -> the version whose build gated it: this one for the marts it rebuilt (all, on
    a full build), else the version the previous manifest names."""
    gates = {}
    for mart in marts:
        if rebuilt is None or mart in rebuilt or previous is None:
            gates[mart] = stamp
        else:
            gates[mart] = previous.gates_from.get(mart, previous.version)
    return gates


def publish(
    settings: Settings,
    *,
    run_id: str | None = None,
    checks_passed: list[str] | None = None,
    build: dict | None = None,
) -> PublishManifest:
    """Copy the published schemas of the build database into a new version and swap to it;
    `build` is what the build covered (registry offset, dbt code, the marts it rebuilt)."""
    wait_until_free(settings.build_db)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    root = settings.published / "versions"
    _remove_unfinished(root)
    staging = root / f".{stamp}.tmp"
    try:
        manifest = _write_version(settings, staging, stamp, run_id, checks_passed, build)
    except (OSError, duckdb.Error) as exc:
        # Nothing was swapped: the published version is the one before. An unfinished copy
        # is removed now, so a full disk gets its space back.
        shutil.rmtree(staging, ignore_errors=True)
        if is_disk_full(exc):
            raise PublishFailed(
                f"disk full while writing the new version in {root}: nothing was published, "
                f"analysts still read version {_current_name(settings)}; free space there "
                "and run the rebuild again"
            ) from exc
        raise
    final = root / stamp
    os.replace(staging, final)
    _point_at(settings, final)
    _prune(settings)
    return manifest


def rollback(settings: Settings) -> PublishManifest:
    """Point the published files back at the version before the current one."""
    current = current_version(settings)
    older = [v for v in versions(settings) if current is None or v.name < current.name]
    if not older:
        raise RuntimeError("no earlier published version to roll back to")
    _point_at(settings, older[-1])
    return read_manifest(older[-1])


def _remove_unfinished(root: Path) -> None:
    """A publish killed before its swap leaves `.<stamp>.tmp`: never published, so removed
    (publishes run one at a time in the writer pool, so none is in progress)."""
    if root.exists():
        for unfinished in root.glob(".*.tmp"):
            shutil.rmtree(unfinished, ignore_errors=True)


def _prune(settings: Settings) -> None:
    current = current_version(settings)
    for old in versions(settings)[:-KEEP_VERSIONS]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
