"""`make lint`'s SQL step: sqlfluff with the dbt templater (`.sqlfluff`) over the dbt project.

dbt compiles each model to lint it, and some models' macros read the warehouse while
compiling (the IOM increments read the delivery registry, the survey models the
questionnaire seeds, `star_except` a relation's columns): the lint runs against a throw-away
data root whose bronze holds only the empty schema files dbt reads before a feed's first
delivery (ingest.bronze_schema.prepare_sources), with the seeds loaded and every model built
once over that empty bronze (Frontex's chain aside), never against a real warehouse.

    python tools/lint_sql.py [lint|fix] [sqlfluff options] [paths]   (default: lint dbt_project)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ingest.bronze_schema import prepare_sources
from ingest.settings import REPO_ROOT, Settings


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="slc-sql-lint-") as home:
        settings = Settings(home=Path(home))
        settings.ensure_dirs()
        prepare_sources(settings)
        env = {**os.environ, **settings.dbt_env()}
        bin_dir = Path(sys.executable).parent
        # Frontex's bronze is wide (a column a month): it has no empty schema file to build
        # from, and no compile-time query reads it.
        dbt = [str(bin_dir / "dbt"), "--quiet", "build", "--project-dir", "dbt_project"]
        dbt += ["--exclude", "resource_type:test", "resource_type:unit_test"]
        dbt += ["stg_frontex__detections+"]
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


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
