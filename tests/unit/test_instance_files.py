"""The two Dagster instance files: one machine (dagster.yaml, SQLite) and a team
(dagster.postgres.yaml, PostgreSQL) differ only in where the instance is stored."""

from __future__ import annotations

import yaml

from ingest.settings import REPO_ROOT
from orchestration.cli import TEAM_ENV


def _instance(name: str) -> dict:
    return yaml.safe_load((REPO_ROOT / name).read_text("utf-8"))


def test_the_team_instance_is_the_machine_instance_stored_in_postgres():
    machine, team = _instance("dagster.yaml"), _instance("dagster.postgres.yaml")
    storage = team.pop("storage")
    assert team == machine, "concurrency, pools and telemetry must stay the same in both"
    assert "storage" not in machine  # SQLite under $DAGSTER_HOME, Dagster's default
    database = storage["postgres"]["postgres_db"]
    # The connection comes from the environment (nothing secret in the file), and `slc
    # ui-team` asks for exactly those variables.
    read = {value["env"] for value in database.values() if isinstance(value, dict)}
    assert read == set(TEAM_ENV)
    assert "password" in database and isinstance(database["password"], dict)
