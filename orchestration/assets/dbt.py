"""dbt models as Dagster assets (dagster-dbt), their tests as asset checks.

dbt builds into the build DuckDB file, so the step runs in the `duckdb_writer` pool.
Paths reach dbt through environment variables set from the one Settings object.
"""

import importlib.metadata
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, redirect_stdout
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version

from ingest.bronze_schema import prepare_sources
from ingest.feed_registry import team
from ingest.registry import read_registry
from ingest.settings import Settings
from orchestration import keys
from orchestration.changes import REGISTRY_UPTO_TAG, dbt_code_hash, dbt_source_files
from publishing.build_db import wait_until_free

WRITER_POOL = "duckdb_writer"
#: Beside the build database: the registry records, dbt code and marts of the last build
#: that ended (the publish manifest records them; orchestration/changes.py reads them).
BUILD_STATE_FILE = "build_state.json"
#: Set by `slc refresh` when it prints one line per step (orchestration.progress).
PROGRESS_ONLY_ENV = "SLC_PROGRESS_ONLY"


@contextmanager
def quiet_stdout() -> Iterator[None]:
    with open(os.devnull, "w", encoding="utf-8") as sink, redirect_stdout(sink):
        yield


VENV_BIN = Path(sys.executable).parent


def dbt_environment() -> Settings:
    """Export the paths dbt's profile and sources read, for this process and its children.

    The virtualenv's bin goes first on PATH too: dagster-dbt's own `dbt parse` under
    `dagster dev` looks for a `dbt` on PATH, and the venv need not be activated.
    """
    settings = Settings.from_env()
    os.environ.update(settings.dbt_env())
    if str(VENV_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])
    return settings


@contextmanager
def dbt_environment_for(settings: Settings) -> Iterator[None]:
    """`dbt_environment` for the block only: the parse that defines the assets runs at
    import, which leaves the importing process's environment as it found it."""
    saved = dict(os.environ)
    try:
        os.environ.update(settings.dbt_env())
        os.environ["PATH"] = os.pathsep.join([str(VENV_BIN), saved.get("PATH", "")])
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


_settings = Settings.from_env()
slc_dbt_project = DbtProject(
    project_dir=_settings.dbt_project_dir,
    profiles_dir=_settings.dbt_project_dir,
    # The parse that defines the assets: under the data root, as every invocation's folder.
    target_path=_settings.dbt_target,
)


def _manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet (fresh clone), or a dbt source file changed since the last parse."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in dbt_source_files(project.project_dir))


if _manifest_is_stale(slc_dbt_project):  # a fresh clone, or a dbt file changed since
    with dbt_environment_for(_settings):
        slc_dbt_project.preparer.prepare(slc_dbt_project)


#: dagster-dbt gives each dbt invocation a target folder of its own (its artifacts: a
#: manifest, run results, compiled SQL), `<op>-<run>-<hash>` or `<hash>`; without pruning,
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


class LayerTranslator(DagsterDbtTranslator):
    """Group dbt assets by layer (staging, marts, reference) as the bronze assets are."""

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return [team("data")]

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"


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


@dbt_assets(
    manifest=slc_dbt_project.manifest_path,
    project=slc_dbt_project,
    # The tests on bronze sources are checks of the bronze assets, shown and gated as such.
    dagster_dbt_translator=LayerTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    ),
    pool=WRITER_POOL,
)
def slc_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    """Seeds, staging views, dimensions, facts and marts, built and tested in the build DB."""
    settings = dbt_environment()
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
    if builds_whole(context.run.job_name, config):
        args.append("--full-refresh")
    invocation = dbt.cli(args, context=context)
    # dagster-dbt echoes every dbt log line to stdout; under `slc refresh` (one line per
    # step) they go to the invocation's dbt.log only.
    with quiet_stdout() if os.environ.get(PROGRESS_ONLY_ENV) == "1" else nullcontext():
        yield from invocation.stream()
    marts = sorted(k.path[-1] for k in context.selected_asset_keys if k.path[0] == keys.MARTS)
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
    target = settings.dbt_target
    keep_partial_parse(Path(invocation.target_path), target)
    prune_invocation_targets(target)


def keep_partial_parse(invocation: Path, target: Path) -> bool:
    """Make this invocation's parse the one the next invocation starts from.

    dagster-dbt copies `target/partial_parse.msgpack` into each invocation's folder. dbt
    discards a parse made under another profile (the build database's path is part of
    it), so a parse left by `dbt parse` in another data root meant a full parse at every
    build. Writers run one at a time (the writer pool)."""
    made = invocation / "partial_parse.msgpack"
    if not made.exists():
        return False
    tmp = target / ".partial_parse.msgpack.tmp"
    shutil.copyfile(made, tmp)
    os.replace(tmp, target / "partial_parse.msgpack")
    return True


class SlcDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, without two things it does in this process before each dbt
    command starts (dagster-dbt 0.29; their cost is in BENCHMARKS.md):
    - it runs `dbt --version` to learn the version of the executable, which is this
      virtualenv's dbt-core: its installed version says the same;
    - it opens a dbt adapter (dbt's macros and partial parse), which only serves
      `fetch_row_counts` and `fetch_column_metadata`; no asset here calls them, and without
      one dagster-dbt streams the events as before."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


dbt_resource = SlcDbtCliResource(
    # DbtCliResource.__init__ takes a DbtProject (its field is typed as the path it keeps).
    project_dir=slc_dbt_project,  # pyright: ignore[reportArgumentType]
    profiles_dir=str(slc_dbt_project.profiles_dir),
    # The dbt of this virtualenv, whether or not the virtualenv is activated.
    dbt_executable=str(VENV_BIN / "dbt"),
)


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
def dbt_docs(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> dg.MaterializeResult:
    settings = dbt_environment()
    target = settings.dbt_docs
    target.mkdir(parents=True, exist_ok=True)
    build = latest_build_artifacts(settings.dbt_target)
    args = ["docs", "generate", "--static", "--target-path", str(target)]
    if build is not None:
        # The build's own manifest (compiled SQL included) and its parse: dbt only reads the
        # catalog from the build database, instead of parsing and compiling everything again.
        for name in ("manifest.json", "partial_parse.msgpack"):
            if (build / name).exists():
                shutil.copyfile(build / name, target / name)
        args.append("--no-compile")
    with quiet_stdout() if os.environ.get(PROGRESS_ONLY_ENV) == "1" else nullcontext():
        dbt.cli(args, manifest=slc_dbt_project.manifest_path, raise_on_error=True).wait()
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
        for p in target.glob(f"{slc_dbt_models.op.name}-*")
        if p.is_dir() and (p / "manifest.json").exists() and (p / "run_results.json").exists()
    ]
    return max(builds, key=lambda p: p.stat().st_mtime, default=None)
