"""The publish step: only reached when every blocking check upstream passed."""

import json

import dagster as dg

from ingest.feed_registry import team
from ingest.settings import Settings
from orchestration import keys
from orchestration.assets.dbt import BUILD_STATE_FILE, WRITER_POOL
from orchestration.assets.quality import MARTS
from publishing.publish import publish

PUBLISHED_WAREHOUSE = keys.PUBLISHED_WAREHOUSE


@dg.asset(
    key=PUBLISHED_WAREHOUSE,
    group_name="published",
    owners=[team("data")],
    kinds={"duckdb", "parquet"},
    # Every mart: its blocking gate must pass before anything is published.
    deps=[keys.mart(m) for m in MARTS],
    pool=WRITER_POOL,
    description=(
        "Analysts' copy: published/slc.duckdb (read-only) and published/marts/*.parquet, "
        "swapped in atomically after the quality gates passed. The previous version is kept "
        "for `slc rollback`."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    state = settings.build_db.parent / BUILD_STATE_FILE
    build = json.loads(state.read_text(encoding="utf-8")) if state.exists() else None
    rebuilt = (build or {}).get("rebuilt")
    # The gates this run ran (every mart's, or the rebuilt marts'); the manifest's
    # gates_from says which version's gate each carried-over mart passed.
    checks = [f"{m}:{keys.MART_GATE}" for m in MARTS if rebuilt is None or m in rebuilt]
    manifest = publish(settings, run_id=context.run.run_id, checks_passed=checks, build=build)
    return dg.MaterializeResult(
        metadata={
            "version": manifest.version,
            "published_db": dg.MetadataValue.path(str(settings.published_db)),
            "published_marts": dg.MetadataValue.path(str(settings.published_marts)),
            "row_counts": dg.MetadataValue.json(manifest.row_counts),
            "git_revision": manifest.git_revision or "unknown",
            "rebuilt": dg.MetadataValue.json(manifest.rebuilt or "all"),
            "linked_unchanged": len(manifest.linked),
        }
    )
