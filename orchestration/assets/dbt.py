"""dbt models as Dagster assets, their tests as asset checks (orchestration/dbt_graph.py).

dbt builds into the build DuckDB file, so the step runs in the `duckdb_writer` pool.
Paths reach dbt through environment variables set from the one Settings object.
"""

import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import dagster as dg

from expectations.runner import import_gx
from ingest.bronze_schema import prepare_sources
from ingest.feed_registry import team
from ingest.registry import read_registry
from ingest.settings import Settings
from orchestration import keys
from orchestration.changes import REGISTRY_UPTO_TAG, dbt_code_hash, dbt_source_files
from orchestration.dbt_cli import (
    MANIFEST,
    PARTIAL_PARSE,
    DbtInvocation,
    NodeResult,
    invocation_folder,
    parse,
)
from orchestration.dbt_graph import BUILT_STATUSES, DbtGraph
from publishing.build_db import wait_until_free

WRITER_POOL = "duckdb_writer"
#: Beside the build database: the registry records, dbt code and marts of the last build
#: that ended (the publish manifest records them; orchestration/changes.py reads them).
BUILD_STATE_FILE = "build_state.json"
#: Set by `slc refresh` when it prints one line per step (orchestration.progress).
PROGRESS_ONLY_ENV = "SLC_PROGRESS_ONLY"
#: The name of the dbt step (its op), which also names its invocation folders.
DBT_STEP = "slc_dbt_models"


def manifest_path(settings: Settings) -> Path:
    """The manifest of the last `dbt parse`: what the code location's dbt assets are."""
    return settings.dbt_target / MANIFEST


def manifest_is_stale(settings: Settings) -> bool:
    """No manifest yet (fresh clone), or a dbt source file changed since the last parse."""
    manifest = manifest_path(settings)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in dbt_source_files(settings.dbt_project_dir))


def layer_group(props: Mapping[str, Any]) -> str | None:
    """Group dbt assets by layer (staging, marts, reference) as the bronze assets are."""
    if props["resource_type"] == "seed":
        return "reference"
    fqn = props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 else "marts"


def load_dbt_graph(settings: Settings) -> DbtGraph:
    """The project's graph, parsed again first when a dbt file changed since the last parse
    (dbt parses once per code version; the code location then reads JSON only)."""
    if manifest_is_stale(settings):
        parse(settings, stale=lambda: manifest_is_stale(settings))
    return DbtGraph.load(manifest_path(settings), group=layer_group, owners=[team("data")])


dbt_graph = load_dbt_graph(Settings.from_env())


#: Each dbt invocation has a target folder of its own (its artifacts: a manifest, run
#: results, compiled SQL), `<step>-<run>-<random>` or `<random>`; without pruning,
#: target/ grows by one per run (2.1 GB after a few hundred runs on the development machine).
KEEP_INVOCATION_TARGETS = 10
_INVOCATION = re.compile(r"^(\w+-)?[0-9a-f]{7}(-[0-9a-f]{7})?$")


def prune_invocation_targets(target: Path, keep: int = KEEP_INVOCATION_TARGETS) -> list[Path]:
    """Remove all but the `keep` newest invocation folders of `target`; returns the removed.
    Writers run one at a time (the writer pool), so no removed folder is in use."""
    if not target.exists():
        return []
    folders = sorted(
        (p for p in target.iterdir() if p.is_dir() and _INVOCATION.match(p.name)),
        key=lambda p: p.stat().st_mtime,
    )
    removed = folders[: max(0, len(folders) - keep)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


#: Unit tests check the models' logic on fixed inputs, not the data: dbt advises running
#: them in development and CI only. `make test` runs them (tests/test_pipeline.py); the
#: production build skips them.
PRODUCTION_BUILD_EXCLUDE = ["--exclude", "resource_type:unit_test"]


class DbtBuildConfig(dg.Config):
    """How the dbt step builds: incremental facts merge their recent months unless
    full_refresh rebuilds everything (always so in the `refresh` job)."""

    full_refresh: bool = False


def builds_whole(job_name: str, config: DbtBuildConfig) -> bool:
    """Whether the dbt step rebuilds incremental facts whole: asked for, or in the refresh
    job. The job's name decides, not only its default config: a partitioned run of the
    refresh job (the reports are monthly partitions) and a run without a partition take
    the job's config in different ways, and either must be a full refresh."""
    return config.full_refresh or job_name == keys.REFRESH_JOB


@dg.multi_asset(
    name=DBT_STEP,
    specs=dbt_graph.asset_specs,
    # The tests on bronze sources are checks of the bronze assets, shown and gated as such.
    check_specs=dbt_graph.check_specs,
    allow_arbitrary_check_specs=True,
    can_subset=True,
    pool=WRITER_POOL,
    description="Seeds, staging views, dimensions, facts and marts, built and tested in the "
    "build DB.",
)
def slc_dbt_models(context: dg.AssetExecutionContext, config: DbtBuildConfig):
    """Seeds, staging views, dimensions, facts and marts, built and tested in the build DB."""
    settings = Settings.from_env()
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    wait_until_free(settings.build_db, log=context.log.warning)
    prepare_sources(settings)
    # What the build covers, for the publish manifest: written only when the build ended.
    state = settings.build_db.parent / BUILD_STATE_FILE
    state.unlink(missing_ok=True)
    covered: int | None = len(read_registry(settings))
    upto = context.run.tags.get(REGISTRY_UPTO_TAG)
    if context.is_subset and upto is not None and covered is not None:
        # A change-driven build: deliveries loaded after the sensor looked are not built.
        covered = min(covered, int(upto))
    elif context.is_subset:
        # A subset picked by hand covers no delivery for sure: the next rebuild builds all.
        covered = None
    args = ["build", *PRODUCTION_BUILD_EXCLUDE]
    env: dict[str, str] = {}
    if context.is_subset:
        selection, indirect = dbt_graph.selection(
            context.selected_asset_keys, context.selected_asset_check_keys
        )
        args += selection
        env["DBT_INDIRECT_SELECTION"] = indirect
    if builds_whole(context.run.job_name, config):
        args.append("--full-refresh")
    target = settings.dbt_target
    invocation = DbtInvocation(
        args,
        settings,
        invocation_folder(target, DBT_STEP, context.run.run_id),
        env=env,
        # Under `slc refresh` (one line per step) dbt's log goes to the folder's dbt.log only.
        echo=os.environ.get(PROGRESS_ONLY_ENV) != "1",
    )
    context.log.info(f"dbt {' '.join(args)} (artifacts in {invocation.target_path})")
    expected = {
        *context.selected_asset_check_keys,
        *dbt_graph.source_checks_upstream(context.selected_asset_keys),
    }
    marts = sorted(k.path[-1] for k in context.selected_asset_keys if k.path[0] == keys.MARTS)
    # The marts built are gated next, in this process: GX's import (seconds) is done while
    # dbt starts up.
    for result in invocation.results(meanwhile=import_gx if marts else None):
        yield from dagster_events(result, context.selected_asset_keys, expected, context.log)
    state.write_text(
        json.dumps(
            {
                "registry_offset": covered,
                "dbt_code": dbt_code_hash(settings),
                "rebuilt": marts if context.is_subset else None,
            }
        ),
        encoding="utf-8",
    )
    keep_partial_parse(invocation.target_path, target)
    prune_invocation_targets(target)


def dagster_events(
    result: NodeResult,
    selected: AbstractSet[dg.AssetKey],
    expected_checks: AbstractSet[dg.AssetCheckKey],
    log: Any,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """A node's result as Dagster sees it: a built model or seed is materialised; a test
    that is a selected check gives its result; any other test dbt ran (a relationship test
    picked by dbt's indirect selection for a rebuilt parent) is logged."""
    props = dbt_graph.manifest["nodes"].get(result.unique_id)
    if props is None:
        return
    metadata: dict[str, Any] = {"unique_id": result.unique_id, "status": result.status}
    metadata.update(result.timing)
    if props["resource_type"] != "test":
        key = dbt_graph.key(result.unique_id)
        if result.status in BUILT_STATUSES and key in selected:
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
        return
    if result.status == "skipped":
        return
    if result.failures is not None:
        metadata["failed_row_count"] = result.failures
    check = dbt_graph.check_key_by_test.get(result.unique_id)
    if check is not None and check in expected_checks:
        yield dg.AssetCheckResult(
            asset_key=check.asset_key,
            check_name=check.name,
            passed=result.status == "pass",
            severity=dg.AssetCheckSeverity.WARN
            if result.status == "warn"
            else dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
        )
    else:
        log.info(f"dbt test {props['name']}: {result.status} (not a selected check)")


def keep_partial_parse(invocation: Path, target: Path) -> bool:
    """Make this invocation's parse the one the next invocation starts from.

    Each invocation starts from a copy of `target/partial_parse.msgpack`. dbt
    discards a parse made under another profile (the build database's path is part of
    it), so a parse left by `dbt parse` in another data root meant a full parse at every
    build. Writers run one at a time (the writer pool)."""
    made = invocation / PARTIAL_PARSE
    if not made.exists():
        return False
    tmp = target / f".{PARTIAL_PARSE}.tmp"
    shutil.copyfile(made, tmp)
    os.replace(tmp, target / PARTIAL_PARSE)
    return True


@dg.asset(
    key=keys.DBT_DOCS,
    group_name="published",
    kinds={"dbt", "html"},
    deps=[keys.PUBLISHED_WAREHOUSE],
    pool=WRITER_POOL,
    owners=[team("data")],
    description=(
        "dbt's documentation site (models, columns, tests, lineage) of the build that was just "
        "published: dbt_docs/static_index.html, one file that opens offline."
    ),
)
def dbt_docs(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    target = settings.dbt_docs
    target.mkdir(parents=True, exist_ok=True)
    build = latest_build_artifacts(settings.dbt_target)
    args = ["docs", "generate", "--static"]  # into `target`, the invocation's folder
    if build is not None:
        # The build's own manifest (compiled SQL included) and its parse: dbt only reads the
        # catalog from the build database, instead of parsing and compiling everything again.
        for name in (MANIFEST, PARTIAL_PARSE):
            if (build / name).exists():
                shutil.copyfile(build / name, target / name)
        args.append("--no-compile")
    DbtInvocation(args, settings, target, echo=os.environ.get(PROGRESS_ONLY_ENV) != "1").run()
    page = target / "static_index.html"
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(page)),
            "manifest_of": str(build.name) if build is not None else "a fresh compile",
        }
    )


def latest_build_artifacts(target: Path) -> Path | None:
    """The newest invocation folder of the dbt build step that holds a manifest: the docs
    describe that build (its manifest has the compiled SQL of every node it ran)."""
    builds = [
        p
        for p in target.glob(f"{DBT_STEP}-*")
        if p.is_dir() and (p / MANIFEST).exists() and (p / "run_results.json").exists()
    ]
    return max(builds, key=lambda p: p.stat().st_mtime, default=None)
