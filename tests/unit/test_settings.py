"""Every knob is read in one place (ingest.settings) and documented once."""

from __future__ import annotations

import re

from ingest.settings import KNOBS, REPO_ROOT, Settings

RUNTIME = ("ingest", "orchestration", "expectations", "reports", "publishing")
#: Modules that declare variables of their own, each a registry of one kind.
DECLARING = {
    "ingest/settings.py",  # paths and tuning knobs
    "ingest/limits.py",  # file limits
    "ingest/pseudonymise.py",  # the key
}
#: Variables that are no setting: slc refresh sets it for its own run.
INTERNAL = {"SLC_PROGRESS_ONLY"}


def test_every_knob_is_documented():
    docs = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [env for env in KNOBS if f"| `{env}` |" not in docs]
    assert not missing, f"add to docs/architecture.md, Settings: {missing}"


def test_no_module_reads_a_variable_of_its_own():
    found = {}
    for package in RUNTIME:
        for path in (REPO_ROOT / package).rglob("*.py"):
            name = str(path.relative_to(REPO_ROOT))
            if name in DECLARING:
                continue
            names = set(re.findall(r"[\"'](SLC_[A-Z0-9_]+)[\"']", path.read_text())) - INTERNAL
            if names:
                found[name] = sorted(names)
    assert not found, f"declare these in ingest/settings.py KNOBS: {found}"


def test_knobs_are_read_from_the_environment_given():
    settings = Settings.from_env(
        {
            "SLC_HOME": "/tmp/slc-settings-test",
            "SLC_INGEST_THREADS": "0",
            "SLC_LANDING_SETTLE_SECONDS": "7.5",
            "SLC_REAP_DEAD_RUNS": "0",
            "SLC_SQL_MAX_ROWS": "5",
        }
    )
    assert settings.ingest_threads == 1  # at least one
    assert settings.landing_settle_seconds == 7.5
    assert settings.reap_dead_runs is False
    assert settings.sql_max_rows == 5
    assert settings.lock_wait_seconds == float(KNOBS["SLC_LOCK_WAIT_SECONDS"].default)
    assert settings.dbt_env()["SLC_DUCKDB_MEMORY_LIMIT"] == "1.25GB"
