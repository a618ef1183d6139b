"""The one settings object: every path the platform reads or writes, and every knob.

`SLC_HOME` points the data root elsewhere (tests use temporary folders); the default is
the repository's `warehouse/` folder. Every other knob is declared once in `KNOBS` (its
variable, default and meaning; docs/architecture.md lists them, a test keeps the list in
step) and read by `Settings.from_env`; the file limits are declared in `ingest.limits`, the
pseudonymisation key's variables in `ingest.pseudonymise`. It lives in `ingest` because
that is the lowest layer and has no Dagster dependency.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.feed_registry import registry

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Knob:
    """A setting read from the environment: its variable, its default, what it changes."""

    env: str
    default: str
    says: str

    def read(self, environ: Mapping[str, str]) -> str:
        return environ.get(self.env) or self.default


#: Every tuning knob, in the order docs/architecture.md ("Settings") lists them.
KNOBS: dict[str, Knob] = {
    knob.env: knob
    for knob in (
        Knob("SLC_INGEST_THREADS", "", "files staged at once (default: the cores, at most 4)"),
        Knob(
            "SLC_LANDING_SETTLE_SECONDS",
            "2",
            "a landed file changed more recently than this is left for a later run",
        ),
        Knob(
            "SLC_LOCK_WAIT_SECONDS",
            "120",
            "how long a writer waits for the build database's lock before it fails",
        ),
        Knob("SLC_DUCKDB_MEMORY_LIMIT", "1.25GB", "DuckDB's memory cap for dbt's build"),
        Knob("SLC_PUBLISH_MEMORY_LIMIT", "512MB", "DuckDB's memory cap for the publish copy"),
        Knob("SLC_GX_KEEP_RESULTS", "20", "validation results kept per suite in the Data Docs"),
        Knob("SLC_SQL_MAX_ROWS", "40", "rows `slc sql` shows of a result"),
        Knob(
            "SLC_REAP_DEAD_RUNS",
            "1",
            "0: do not release the runs whose process died (for a multi-host deployment)",
        ),
    )
}


#: Feeds that have a landing folder: those the feed registry (ingest/feeds.yml) declares, in
#: its order.
FEEDS: tuple[str, ...] = tuple(registry()["feeds"])


@dataclass(frozen=True)
class Settings:
    """Paths of the warehouse data root and of the dbt project."""

    home: Path
    dbt_project_dir: Path = REPO_ROOT / "dbt_project"
    #: Real public files shipped beside the repository (`../shared/reference`).
    reference_dir: Path = REPO_ROOT.parent / "shared" / "reference"
    #: The maps' country boundaries, which `make maps` unpacks into the virtualenv.
    map_boundaries: Path = Path(sys.prefix) / "share" / "world-atlas" / "countries-50m.json"
    #: The knobs (`KNOBS`), typed; the defaults are the declared ones.
    ingest_threads: int = min(4, os.cpu_count() or 1)
    landing_settle_seconds: float = float(KNOBS["SLC_LANDING_SETTLE_SECONDS"].default)
    lock_wait_seconds: float = float(KNOBS["SLC_LOCK_WAIT_SECONDS"].default)
    duckdb_memory_limit: str = KNOBS["SLC_DUCKDB_MEMORY_LIMIT"].default
    publish_memory_limit: str = KNOBS["SLC_PUBLISH_MEMORY_LIMIT"].default
    gx_keep_results: int = int(KNOBS["SLC_GX_KEEP_RESULTS"].default)
    sql_max_rows: int = int(KNOBS["SLC_SQL_MAX_ROWS"].default)
    reap_dead_runs: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = env.get("SLC_HOME")
        reference = env.get("SLC_REFERENCE_DIR")
        boundaries = env.get("SLC_MAP_BOUNDARIES")

        def knob(name: str) -> str:
            return KNOBS[name].read(env)

        threads = knob("SLC_INGEST_THREADS")
        return cls(
            home=Path(home).resolve() if home else REPO_ROOT / "warehouse",
            reference_dir=Path(reference).resolve() if reference else cls.reference_dir,
            map_boundaries=Path(boundaries).resolve() if boundaries else cls.map_boundaries,
            ingest_threads=max(1, int(threads)) if threads else cls.ingest_threads,
            landing_settle_seconds=float(knob("SLC_LANDING_SETTLE_SECONDS")),
            lock_wait_seconds=float(knob("SLC_LOCK_WAIT_SECONDS")),
            duckdb_memory_limit=knob("SLC_DUCKDB_MEMORY_LIMIT"),
            publish_memory_limit=knob("SLC_PUBLISH_MEMORY_LIMIT"),
            gx_keep_results=int(knob("SLC_GX_KEEP_RESULTS")),
            sql_max_rows=int(knob("SLC_SQL_MAX_ROWS")),
            reap_dead_runs=knob("SLC_REAP_DEAD_RUNS") != "0",
        )

    def landing(self, feed: str) -> Path:
        return self.home / "landing" / feed

    def rejected(self, feed: str) -> Path:
        return self.landing(feed) / "rejected"

    def archive(self, feed: str) -> Path:
        """Raw files that were loaded, kept with owner-only permissions."""
        return self.home / "archive" / feed

    def bronze(self, feed: str) -> Path:
        return self.home / "bronze" / feed

    def quarantine(self, feed: str) -> Path:
        return self.home / "quarantine" / feed

    @property
    def build_db(self) -> Path:
        """The DuckDB file dbt builds into; only the writer pool touches it."""
        return self.home / "build" / "slc_build.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published"

    @property
    def published_db(self) -> Path:
        """Analysts' read-only file: a symlink swapped atomically on each publish."""
        return self.published / "slc.duckdb"

    @property
    def published_marts(self) -> Path:
        return self.published / "marts"

    @property
    def samples(self) -> Path:
        """Where `slc-samples generate` writes the generated partner deliveries by default."""
        return self.home / "samples"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def data_docs(self) -> Path:
        return self.home / "data_docs"

    @property
    def gate_report(self) -> Path:
        """What the last run of the mart gates found (`slc status` prints it)."""
        return self.home / "gates" / "last_run.json"

    @property
    def dbt_docs(self) -> Path:
        """dbt's documentation site of the published build (`static_index.html` opens offline)."""
        return self.home / "dbt_docs"

    @property
    def dbt_target(self) -> Path:
        """dbt's artifacts (manifest, run results, compiled SQL, one folder per invocation)
        and its logs: under the data root, never in the checkout."""
        return self.home / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def spark_dir(self) -> Path:
        """The Spark target's tables and metastore (profiles.yml, target `spark`)."""
        return self.home / "spark"

    def dbt_env(self) -> dict[str, str]:
        """Environment the dbt project reads its paths from (see profiles.yml and sources);
        the dbt step puts each invocation's folder under DBT_TARGET_PATH."""
        return {
            "SLC_HOME": str(self.home),
            "SLC_BUILD_DB": str(self.build_db),
            "SLC_BRONZE_DIR": str(self.home / "bronze"),
            "DBT_TARGET_PATH": str(self.dbt_target),
            "DBT_LOG_PATH": str(self.dbt_logs),
            "SLC_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "SLC_SPARK_DIR": str(self.spark_dir),
        }

    def child_env(self) -> dict[str, str]:
        """What a child process's `Settings.from_env()` needs to find the same data root,
        reference files and map boundaries as this one (knobs pass through the environment
        as they are)."""
        return {
            "SLC_HOME": str(self.home),
            "SLC_REFERENCE_DIR": str(self.reference_dir),
            "SLC_MAP_BOUNDARIES": str(self.map_boundaries),
        }

    def ensure_dirs(self) -> None:
        """Create the data root's folders; those that hold raw data (landing, quarantine,
        archive, staging) owner-only, as the raw files and their error files in them are."""
        for feed in FEEDS:
            for path in (self.landing(feed), self.bronze(feed), self.quarantine(feed)):
                path.mkdir(parents=True, exist_ok=True)
        for path in (self.home / "landing", self.home / "quarantine", self.home / "archive"):
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)
        for feed in FEEDS:
            for path in (self.landing(feed), self.quarantine(feed)):
                path.chmod(0o700)
        for path in (self.build_db.parent, self.published, self.reports, self.data_docs):
            path.mkdir(parents=True, exist_ok=True)
