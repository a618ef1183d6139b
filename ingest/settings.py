"""The one settings object: every path the platform reads or writes comes from here.

`SLC_HOME` points the data root elsewhere (tests use temporary folders); the default is
the repository's `warehouse/` folder. It lives in `ingest` because that is the lowest
layer and has no Dagster dependency.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Feeds that have a landing folder, in the order the README documents them.
FEEDS: tuple[str, ...] = ("frontex", "eutf_rsr", "iom", "ejom", "aecid", "kobo")


@dataclass(frozen=True)
class Settings:
    """Paths of the warehouse data root and of the dbt project."""

    home: Path
    dbt_project_dir: Path = REPO_ROOT / "dbt_project"
    #: Real public files shipped beside the repository (`../shared/reference`).
    reference_dir: Path = REPO_ROOT.parent / "shared" / "reference"

    @classmethod
    def from_env(cls) -> Settings:
        home = os.environ.get("SLC_HOME")
        reference = os.environ.get("SLC_REFERENCE_DIR")
        return cls(
            home=Path(home).resolve() if home else REPO_ROOT / "warehouse",
            reference_dir=Path(reference).resolve() if reference else cls.reference_dir,
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
        """Where `slc sample` writes the generated partner deliveries by default."""
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

    def dbt_env(self) -> dict[str, str]:
        """Environment the dbt project reads its paths from (see profiles.yml and sources);
        dagster-dbt puts each invocation's folder under DBT_TARGET_PATH."""
        return {
            "SLC_HOME": str(self.home),
            "SLC_BUILD_DB": str(self.build_db),
            "SLC_BRONZE_DIR": str(self.home / "bronze"),
            "DBT_TARGET_PATH": str(self.dbt_target),
            "DBT_LOG_PATH": str(self.dbt_logs),
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
