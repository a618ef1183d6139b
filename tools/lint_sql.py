"""`make lint`'s SQL step: sqlfluff with the dbt templater (`.sqlfluff`) over the dbt project.

dbt compiles each model to lint it, and some models' macros read the warehouse while
compiling (the IOM increments read the delivery registry, the survey models the
questionnaire seeds, `star_except` a relation's columns): the lint runs against a throw-away
data root whose bronze holds only the empty schema files dbt reads before a feed's first
delivery (ingest.bronze_schema.prepare_sources) and an empty Frontex file with one month
column, with the seeds loaded and every model built once over that empty bronze, never
against a real warehouse.

    python tools/lint_sql.py [lint|fix] [sqlfluff options] [paths]   (default: lint dbt_project)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ingest.bronze_schema import prepare_sources, with_lineage
from ingest.settings import REPO_ROOT, Settings
from ingest.tabular import SOURCE_ROW


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="slc-sql-lint-") as home:
        settings = Settings(home=Path(home))
        settings.ensure_dirs()
        prepare_sources(settings)
        _empty_frontex_bronze(settings)
        env = {**os.environ, **settings.dbt_env()}
        bin_dir = Path(sys.executable).parent
        dbt = [str(bin_dir / "dbt"), "--quiet", "build", "--project-dir", "dbt_project"]
        dbt += ["--exclude", "resource_type:test", "resource_type:unit_test"]
        built = subprocess.run(
            [*dbt, "--profiles-dir", "dbt_project"], cwd=REPO_ROOT, env=env, capture_output=True
        )
        if built.returncode:
            sys.stderr.write(built.stdout.decode() + built.stderr.decode())
            return built.returncode
        action, argv = (argv[0], argv[1:]) if argv[:1] in (["lint"], ["fix"]) else ("lint", argv)
        paths = [] if any(Path(a).exists() for a in argv) else ["dbt_project"]
        command = [str(bin_dir / "sqlfluff"), action, *argv, *paths]
        return subprocess.call(command, cwd=REPO_ROOT, env=env)


def _empty_frontex_bronze(settings: Settings) -> None:
    """Frontex's bronze is wide (a column a month, as many as the release has), so it has no
    schema file of its own; its staging lists the month columns while compiling. One month
    stands for them here."""
    columns = {"route": pl.String, "border_type": pl.String, "nationality": pl.String}
    frame = pl.DataFrame(schema={**columns, "jan2009": pl.Int64, SOURCE_ROW: pl.Int64})
    lineage = {"file_name": "", "sha256": "", "sheet": None, "delivery_key": ""}
    frame = with_lineage(frame, feed="frontex", ingested_at=datetime.now(UTC), **lineage)
    frame.write_parquet(settings.bronze("frontex") / "empty.parquet")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
