"""Incremental facts: a rebuild after new deliveries merges the recent months and gives
the same facts as a full refresh; the monthly refresh rebuilds them whole.

IOM's Mali exports of the small sample are loaded in two bursts (a year, then the next
year), with one rebuild after each, as the sensors would run them.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from .conftest import FRONTEX_CSV, run_landing_sensors, temporary_home

FACTS = {"fct_assistance_events": "event_id", "fct_returns": "return_id"}
FULL_REFRESH = {"ops": {"slc_dbt_models": {"config": {"full_refresh": True}}}}
#: A row no export has, dated long before the lookback window: only a full rebuild drops it.
SENTINEL = "MLI:SENTINEL:arrival_allowance"


def _facts(db: Path) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            name: con.sql(f"select * from marts.{name} order by {key}").pl()
            for name, key in FACTS.items()
        }
    finally:
        con.close()


def _dbt_log(run_id: str) -> str:
    """What dbt logged in the dbt step of a run (its invocation folder, rotated files too)."""
    from orchestration.assets.dbt import slc_dbt_project

    (folder,) = (slc_dbt_project.project_dir / "target").glob(f"slc_dbt_models-{run_id[:7]}-*")
    return "".join(p.read_text(encoding="utf-8") for p in folder.glob("dbt.log*"))


def test_an_incremental_rebuild_equals_a_full_refresh(tmp_path: Path, small_sample: Path):
    from orchestration.definitions import defs

    exports = sorted(p for p in (small_sample / "iom").glob("OIM_ML_cases_*") if "_v" not in p.stem)
    first_year, second_year = exports[:12], exports[12:24]
    assert len(second_year) == 12
    instance = dg.DagsterInstance.ephemeral()
    rebuild = defs.resolve_job_def("rebuild")
    with temporary_home(tmp_path / "warehouse") as settings:
        # Frontex's month columns are dynamic: its staging needs one release to build.
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        for path in first_year:
            shutil.copyfile(path, settings.landing("iom") / path.name)
        run_landing_sensors(instance)
        assert rebuild.execute_in_process(instance=instance, raise_on_error=False).success
        before = _facts(settings.build_db)["fct_assistance_events"]
        con = duckdb.connect(str(settings.build_db))
        try:
            con.execute(
                "insert into marts.fct_assistance_events (event_id, case_key, mission_iso3, "
                "event_type, stage, event_date, is_eutf_funded) values (?, 'MLI:SENTINEL', "
                "'MLI', 'arrival_allowance', 'post_arrival', ?, false)",
                [SENTINEL, date(2017, 5, 2)],
            )
        finally:
            con.close()

        for path in second_year:
            shutil.copyfile(path, settings.landing("iom") / path.name)
        run_landing_sensors(instance)
        assert rebuild.execute_in_process(instance=instance, raise_on_error=False).success
        incremental = _facts(settings.build_db)

        full = rebuild.execute_in_process(
            instance=instance, run_config=FULL_REFRESH, raise_on_error=False
        )
        assert full.success
        refreshed = _facts(settings.build_db)
        # The third build started from the parse the second one left.
        assert "Unable to do partial parsing" not in _dbt_log(full.run_id)

    events = incremental["fct_assistance_events"]
    # The second rebuild merged: the old sentinel row is still there, new months are in.
    assert SENTINEL in events["event_id"].to_list()
    assert events["event_date"].max() > before["event_date"].max()
    # ... and apart from it, the facts are those of a rebuild from scratch.
    assert SENTINEL not in refreshed["fct_assistance_events"]["event_id"].to_list()
    assert events.filter(pl.col("event_id") != SENTINEL).equals(refreshed["fct_assistance_events"])
    assert incremental["fct_returns"].equals(refreshed["fct_returns"])
    assert refreshed["fct_returns"].height > 0


def test_the_monthly_refresh_rebuilds_incremental_facts_whole_and_the_rebuild_does_not():
    from orchestration.definitions import defs

    assert defs.resolve_job_def("refresh").run_config == FULL_REFRESH
    assert not defs.resolve_job_def("rebuild").run_config
