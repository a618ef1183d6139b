"""What a rebuild after deliveries must build: the assets downstream of the feeds whose
loaded deliveries the published version does not include yet.

The published manifest records the registry records its build covered (`registry_offset`)
and the dbt code it was built with (`dbt_code`). A feed with a delivery loaded after that
offset changed; its bronze assets and its registry model (`stg_registry__<feed>_deliveries`)
are where its change enters the dbt graph, and everything downstream of them is rebuilt,
tested, gated, published and reported. The whole registry snapshot and the reporting
periods change with every delivery, refused ones included, so they are always rebuilt.
Without a manifest that says so, or with other dbt code, the rebuild builds everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ingest.registry import read_registry
from ingest.settings import Settings
from publishing.publish import published_manifest

#: The run tag a change-driven rebuild carries: the registry records it covers.
REGISTRY_UPTO_TAG = "slc/registry_upto"
#: The run tag naming the feeds a change-driven rebuild builds for ("all" for everything).
CHANGED_FEEDS_TAG = "slc/changed_feeds"
_DBT_CODE_FOLDERS = ("models", "macros", "seeds", "tests", "analyses")


def dbt_source_files(project: Path) -> list[Path]:
    """dbt_project.yml and every file of the project's code folders, in a stable order."""
    files = [project / "dbt_project.yml"]
    for folder in _DBT_CODE_FOLDERS:
        if (project / folder).is_dir():
            files += sorted(p for p in (project / folder).rglob("*") if p.is_file())
    return files


def dbt_code_hash(settings: Settings) -> str:
    """The dbt project's sources: models, macros, seeds, tests and dbt_project.yml."""
    project = settings.dbt_project_dir
    digest = hashlib.sha256()
    for path in dbt_source_files(project):
        digest.update(str(path.relative_to(project)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class Changes:
    """The registry records up to `upto`; `feeds` changed since the published version, or
    None when everything must be rebuilt (and `why`)."""

    upto: int
    feeds: frozenset[str] | None
    why: str


def changes_since_publish(settings: Settings) -> Changes:
    records = read_registry(settings)
    manifest = published_manifest(settings)
    offset = manifest.registry_offset if manifest is not None else None
    if manifest is None or offset is None:
        return Changes(len(records), None, "the published version records no registry offset")
    if offset > len(records):
        return Changes(len(records), None, "the registry is shorter than the published one")
    if manifest.dbt_code != dbt_code_hash(settings):
        return Changes(len(records), None, "the dbt code changed since the published version")
    feeds = frozenset(r.feed for r in records[offset:] if r.status == "loaded")
    return Changes(len(records), feeds, f"deliveries loaded for {', '.join(sorted(feeds))}")


def rebuild_selection(
    feeds: frozenset[str],
    graph: dg.BaseAssetGraph,
    model: Callable[[str], dg.AssetKey],
    bronze_by_feed: dict[str, dg.AssetsDefinition],
    rebuild_keys: AbstractSet[dg.AssetKey],
) -> set[dg.AssetKey]:
    """The assets of the rebuild job a change of `feeds` reaches: the registry snapshot
    itself (not its other feeds' models, whose rows did not change), and everything
    downstream of the reporting periods and of each changed feed's bronze assets and
    registry model, down to the published version and the reports. `model` gives a dbt
    model's asset key."""
    start = {model("stg_registry__reporting_periods")}
    for feed in sorted(feeds):
        start |= {model(f"stg_registry__{feed}_deliveries"), *bronze_by_feed[feed].keys}
    downstream = dg.AssetSelection.assets(*start).downstream().resolve(graph)
    return set(downstream | {model("stg_registry__deliveries")}) & set(rebuild_keys)
