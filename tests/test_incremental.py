"""Incremental builds: a rebuild after new deliveries gives the same facts as a full
refresh (the IOM facts are rebuilt whole when IOM changed: a cumulative export can change
events of any month), and the IOM staging reads only the exports it has not merged.

IOM's Mali exports of the small sample are loaded in two bursts (a year, then the next
year), with one rebuild after each, as the sensors would run them.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from ingest.settings import Settings

from .conftest import FRONTEX_CSV, run_dbt, run_landing_sensors, temporary_home

FACTS = {"fct_assistance_events": "event_id", "fct_returns": "return_id"}
FULL_REFRESH = {"ops": {"slc_dbt_models": {"config": {"full_refresh": True}}}}
#: A row no export has, dated long before the new exports: a rebuild must drop it.
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
    (folder,) = Settings.from_env().dbt_target.glob(f"slc_dbt_models-{run_id[:7]}-*")
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
    # The second rebuild rebuilt the facts: new months are in, the stray row is gone ...
    assert SENTINEL not in events["event_id"].to_list()
    assert events["event_date"].max() > before["event_date"].max()
    # ... and they are those of a rebuild from scratch.
    assert events.equals(refreshed["fct_assistance_events"])
    assert incremental["fct_returns"].equals(refreshed["fct_returns"])
    assert refreshed["fct_returns"].height > 0


def test_the_monthly_refresh_rebuilds_incremental_facts_whole_and_the_rebuild_does_not():
    from orchestration.assets.dbt import DbtBuildConfig, builds_whole
    from orchestration.definitions import defs

    refresh = defs.resolve_job_def("refresh")
    # The refresh job is partitioned by the reports' months: each partition's config asks
    # for the full refresh, and the job's name asks for it in a run without a partition.
    assert refresh.partitioned_config is not None
    assert refresh.partitioned_config.get_run_config_for_partition_key("2021-12") == FULL_REFRESH
    assert builds_whole("refresh", DbtBuildConfig())
    assert not defs.resolve_job_def("rebuild").run_config
    assert not builds_whole("rebuild", DbtBuildConfig())
    assert builds_whole("rebuild", DbtBuildConfig(full_refresh=True))


#: The IOM staging tables and the model over them that picks each case's latest state.
IOM_MODELS = ("stg_iom__case_states", "stg_iom__state_listings", "int_iom__cases_latest")


def _iom_build(*args: str) -> str:
    """`dbt build` of the IOM models and what they read; returns the compiled SQL of
    stg_iom__state_listings (the exports that build read)."""
    target = run_dbt(["build", "--select", "+int_iom__cases_latest", *args])
    compiled = "compiled/slc/models/staging/iom/stg_iom__state_listings.sql"
    return (target / compiled).read_text(encoding="utf-8")


def _iom_tables(db: Path) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for name in IOM_MODELS:
            schema = "intermediate" if name.startswith("int_") else "staging"
            frame = con.sql(f"select * from {schema}.{name}").pl()
            frame = frame.drop("stored_by_delivery", strict=False)
            out[name] = frame.sort(frame.columns, nulls_last=True)
        return out
    finally:
        con.close()


def test_incremental_iom_staging_follows_late_and_corrected_exports(
    tmp_path: Path, small_sample: Path
):
    """Each build reads only the exports it has not merged; a late export (an earlier
    month) changes no state's latest listing; a correction of a merged export makes the
    listings be computed again. After four such builds the tables equal a full refresh."""
    exports = {p.stem: p for p in (small_sample / "iom").glob("OIM_ML_cases_*")}
    # Months the sample corrects have a rejected original: leave them out.
    months = sorted(n for n in exports if "_v" not in n and f"{n}_v2" not in exports)
    first, late, ahead = months[:6], months[6], months[7]
    bursts = [[*first], [ahead], [late], [f"{ahead}_v2"]]
    instance = dg.DagsterInstance.ephemeral()
    with temporary_home(tmp_path / "warehouse") as settings:
        landing = settings.landing("iom")
        # The correction drops the latest export's last row: that state is then listed by
        # an earlier export or by none, which only a new computation finds.
        lines = exports[ahead].read_bytes().rstrip(b"\r\n").splitlines(keepends=True)
        correction = b"".join(lines[:-1])
        read = []
        for burst in bursts:
            for name in burst:
                if name.endswith("_v2"):
                    (landing / f"{name}.csv").write_bytes(correction)
                else:
                    shutil.copyfile(exports[name], landing / exports[name].name)
            run_landing_sensors(instance)
            read.append(_iom_build())
        incremental = _iom_tables(settings.build_db)
        _iom_build("--full-refresh")
        full = _iom_tables(settings.build_db)

    # The first build and the correction's read every current export; the others only
    # the one export they had not merged (in both parts of the listed rows).
    assert [sql.count("_sha256 in ('") for sql in read] == [0, 2, 2, 0]
    assert all(len(set(re.findall(r"'[0-9a-f]{64}'", sql))) == 1 for sql in read[1:3])
    assert full["stg_iom__state_listings"].height > 0
    for name in IOM_MODELS:
        assert incremental[name].equals(full[name]), name
