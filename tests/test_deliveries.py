"""Deliveries through the sensors: a burst loads every file once and rebuilds once; the same
bytes load once; a correction supersedes its month whatever the arrival order; cumulative
IOM exports give each case its latest state whatever order the months arrive in."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from ingest.raw_files import purge_raw
from ingest.registry import read_registry
from ingest.settings import Settings
from orchestration.jobs import INGEST_TAG
from orchestration.sensors import rebuild_sensor

from .conftest import FRONTEX_CSV, run_landing_sensors, temporary_home

BURST = 30


def _rebuild_tick(instance: dg.DagsterInstance, cursor: str | None = None):
    return rebuild_sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))


def _first_deliveries(sample: Path, n: int) -> list[Path]:
    manifest = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))
    return [sample / d["path"] for d in manifest["deliveries"][:n]]


def _land(settings: Settings, path: Path, name: str | None = None) -> Path:
    feed = path.parent.name
    target = settings.landing(feed) / (name or path.name)
    shutil.copyfile(path, target)
    return target


def test_a_burst_loads_every_file_once_and_rebuilds_once(tmp_path: Path, small_sample: Path):
    from orchestration.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    with temporary_home(tmp_path / "warehouse") as settings:
        files = _first_deliveries(small_sample, BURST)
        for path in files:
            _land(settings, path)
        sensors = [s for s in defs.sensors if s.name.endswith("_landing")]
        ticks = [s.evaluate_tick(dg.build_sensor_context(instance=instance)) for s in sensors]
        keys = [r.run_key for t in ticks for r in t.run_requests]
        assert len(keys) == len(set(keys)) == BURST
        # The next tick asks for the same runs (the daemon drops known run keys), reusing
        # the digests remembered in its cursor.
        again = [
            s.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=t.cursor))
            for s, t in zip(sensors, ticks, strict=True)
        ]
        assert [r.run_key for t in again for r in t.run_requests] == keys
        assert _rebuild_tick(instance).skip_message == "no delivery loaded since the last rebuild"

        # Half the burst loaded, half still waiting: no rebuild yet.
        requests = [(s, r) for s, t in zip(sensors, ticks, strict=True) for r in t.run_requests]
        for sensor, request in requests[: BURST // 2]:
            defs.resolve_job_def(sensor.job_name).execute_in_process(
                run_config=request.run_config, instance=instance, tags=request.tags
            )
        assert "burst in progress" in _rebuild_tick(instance).skip_message
        for sensor, request in requests[BURST // 2 :]:
            defs.resolve_job_def(sensor.job_name).execute_in_process(
                run_config=request.run_config, instance=instance, tags=request.tags
            )

        records = read_registry(settings)
        assert sorted(r.file_name for r in records) == sorted(p.name for p in files)
        assert {r.status for r in records} == {"loaded"}
        # A run still loading (another feed's file) holds the rebuild back too.
        from dagster._core.storage.dagster_run import DagsterRun

        loading = DagsterRun(
            job_name="ingest_kobo",
            run_id="still-loading",
            status=dg.DagsterRunStatus.STARTED,
            tags={INGEST_TAG: "kobo"},
        )
        instance.add_run(loading)
        assert "1 ingest run(s) in flight" in _rebuild_tick(instance).skip_message
        instance.delete_run(loading.run_id)
        # Everything is loaded: exactly one rebuild, then nothing until the next delivery.
        tick = _rebuild_tick(instance)
        assert [r.job_name for r in tick.run_requests] == [None]  # the sensor's job: rebuild
        assert tick.run_requests[0].tags["slc/deliveries_loaded"] == str(BURST)
        assert _rebuild_tick(instance, tick.cursor).run_requests == []
        assert all(not s.evaluate_tick(dg.build_sensor_context()).run_requests for s in sensors)


def _status_line(capsys: pytest.CaptureFixture, feed: str) -> list[str]:
    """The feed's line of `slc status`: current, superseded, duplicate, rejected, rows."""
    from orchestration.cli import main

    capsys.readouterr()
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    return next(line.split() for line in lines if line.split()[:1] == [feed])


def test_the_same_bytes_load_once(
    tmp_path: Path, small_sample: Path, capsys: pytest.CaptureFixture
):
    instance = dg.DagsterInstance.ephemeral()
    with temporary_home(tmp_path / "warehouse") as settings:
        (path,) = _first_deliveries(small_sample, 1)
        feed = path.parent.name
        _land(settings, path)
        run_landing_sensors(instance)
        cursor = _rebuild_tick(instance).cursor
        bronze_before = sorted(settings.bronze(feed).glob("*.parquet"))

        _land(settings, path)  # the partner sends the same file again
        _land(settings, path, name=path.name.replace(".", "_copy.", 1))  # and under a new name
        requests, results = run_landing_sensors(instance)
        assert len(requests) == 2 and all(r.success for r in results)
        statuses = [r.status for r in read_registry(settings)]
        assert statuses == ["loaded", "duplicate", "duplicate"]
        assert sorted(settings.bronze(feed).glob("*.parquet")) == bronze_before
        assert list(settings.landing(feed).glob("*.*")) == []  # nothing left waiting
        tick = _rebuild_tick(instance, cursor)
        assert not tick.run_requests, "duplicates change nothing downstream"
        (entry,) = [r for r in read_registry(settings) if r.status == "loaded"]
        line = _status_line(capsys, feed)
        assert line[:5] == [feed, "1", "0", "2", "0"]
        assert line[5:] == [
            f"{n:,}" for n in (entry.rows_read, entry.rows_bronze, entry.rows_quarantined)
        ]


def _correction(sample: Path) -> tuple[Path, Path, Path, list[str]]:
    """A corrected IOM month of the sample: (previous month, v1, v2, corrected case ids)."""
    dirt = json.loads((sample / "dirt_manifest.json").read_text(encoding="utf-8"))
    for entry in dirt["entries"]:
        if entry["kind"] != "corrected_redelivery" or not entry["file"].endswith(".csv"):
            continue
        v1 = sample / "iom" / entry["file"]
        year, month = map(int, v1.stem.rsplit("_", 1)[1].split("-"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        previous = v1.with_name(v1.name.replace(v1.stem[-7:], f"{year}-{month:02d}"))
        if previous.exists():
            return previous, v1, sample / "iom" / entry["corrected_by"], entry["cases"]
    raise AssertionError("the sample has no corrected IOM month with a previous month")


def _load_in_order(
    home: Path, files: list[Path]
) -> tuple[pl.DataFrame, list[str], dict[str, tuple[str, bool]]]:
    """Land the files one at a time (a sensor tick each), rebuild once, read latest states.
    Also returns, per file, its registry status and whether its ingest run succeeded."""
    from orchestration.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    runs: dict[str, tuple[str, bool]] = {}
    with temporary_home(home) as settings:
        for path in [FRONTEX_CSV, *files]:
            target = settings.landing("frontex" if path == FRONTEX_CSV else "iom") / path.name
            shutil.copyfile(path, target)
            requests, results = run_landing_sensors(instance)
            assert len(requests) == 1
            runs[path.name] = (read_registry(settings)[-1].status, results[0].success)
        (request,) = _rebuild_tick(instance).run_requests
        result = defs.resolve_job_def("rebuild").execute_in_process(
            instance=instance, tags=request.tags, raise_on_error=False
        )
        assert result.success
        con = duckdb.connect(str(settings.build_db), read_only=True)
        try:
            latest = con.sql(
                "select * exclude (source_file, source_row, delivery_sha256, delivery_key) "
                "from intermediate.int_iom__cases_latest order by mission_iso3, case_id"
            ).pl()
            current = con.sql(
                "select file_name from staging.stg_registry__deliveries "
                "where feed = 'iom' and is_current order by 1"
            ).fetchall()
        finally:
            con.close()
    return latest, [name for (name,) in current], runs


def test_corrections_and_late_months_give_the_same_latest_state_in_any_order(
    tmp_path: Path, small_sample: Path
):
    from ingest import iom

    previous, v1, v2, cases = _correction(small_sample)
    in_order, current_a, runs_a = _load_in_order(tmp_path / "a", [previous, v1, v2])
    # Months reversed and the correction before the file it corrects.
    reversed_, current_b, runs_b = _load_in_order(tmp_path / "b", [v2, v1, previous])
    assert current_a == current_b == sorted([previous.name, v2.name])
    # The first version's typing slip (allowances of 5,200) fails the bronze gate: alone, it
    # stops its run; after its correction, it is only a warning.
    assert runs_a[v1.name] == ("rejected", False) and runs_b[v1.name] == ("rejected", True)
    assert all(runs_a[p.name] == runs_b[p.name] == ("loaded", True) for p in (previous, v2))
    assert in_order.equals(reversed_)
    # One row per case, taken from the latest export: the corrected one.
    assert in_order.select("mission_iso3", "case_id").is_duplicated().sum() == 0
    latest_export = iom.parse(v2.read_bytes(), v2.name).bronze
    assert in_order.height == latest_export["case_id"].n_unique()
    month = date.fromisoformat(f"{v2.stem.split('_')[3]}-01")
    assert in_order["latest_report_month"].unique().to_list() == [month]
    corrected = latest_export.filter(pl.col("case_id").is_in(cases))
    got = in_order.filter(pl.col("case_id").is_in(cases)).sort("case_id")
    assert got["arrival_allowance_xof"].to_list() == (
        corrected.sort("case_id")["arrival_allowance_xof"].to_list()
    )
    first = iom.parse(v1.read_bytes(), v1.name).bronze.filter(pl.col("case_id").is_in(cases))
    assert (first["arrival_allowance_xof"] == 5200).all()
    assert first.sort("case_id")["arrival_allowance_xof"].to_list() != (
        got["arrival_allowance_xof"].to_list()
    ), "the sample's correction changes the allowance"


def test_purge_raw_deletes_only_old_raw_files(tmp_path: Path, small_sample: Path):
    with temporary_home(tmp_path / "warehouse") as settings:
        old, recent = _first_deliveries(small_sample, 2)
        _land(settings, old)
        _land(settings, recent)
        run_landing_sensors(dg.DagsterInstance.ephemeral())
        archived = sorted(
            p for f in ("iom", "ejom", "aecid", "kobo") for p in settings.archive(f).glob("*")
        )
        assert len(archived) == 2
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in archived)
        day = 86400
        os.utime(archived[0], (time.time() - 100 * day,) * 2)
        assert purge_raw(settings, 90 * day) == [archived[0]]
        assert [p.exists() for p in archived] == [False, True]
        # Bronze and the registry keep what was loaded.
        assert [r.status for r in read_registry(settings)] == ["loaded", "loaded"]


@pytest.mark.parametrize("text,seconds", [("90d", 90 * 86400), ("12h", 43200), ("30m", 1800)])
def test_purge_raw_reads_durations(text: str, seconds: int):
    from orchestration.cli import parse_age

    assert parse_age(text) == seconds


def test_current_deliveries_follow_todays_contract_whatever_was_recorded():
    """A registry written before Frontex releases became one series (key = release date)
    still has one current release, and the highest revision wins in any arrival order."""
    from ingest.registry import DeliveryRecord, current_loads

    def loaded(name: str, key: str | None, at: str) -> DeliveryRecord:
        return DeliveryRecord("frontex", name, name, key, at, "loaded")

    records = [
        loaded("Frontex-Monthly_detections_of_IBC_20220301.csv", "detections", "2022-03-02"),
        loaded("Frontex-Monthly_detections_of_IBC_20220204.csv", "20220204", "2022-03-05"),
    ]
    (current,) = current_loads(records).values()
    assert current.file_name.endswith("20220301.csv")


def _ingest_in_own_process(
    dagster_home: str, job_name: str, run_config: dict, tags: dict, barrier
) -> tuple[str, bool]:
    """One ingest run in this process, started when the other process is ready too (a run
    worker of its own, as the daemon launches each run)."""
    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        barrier.wait(timeout=300)
        result = job.execute_in_process(
            run_config=run_config, instance=instance, tags=tags, raise_on_error=False
        )
        return result.run_id, result.success


def test_two_missions_load_at_once_exactly_once(tmp_path: Path, small_sample: Path):
    """Ingest scales out by delivery: two IOM missions' exports, each in its own run and
    process at the same time (as two run workers would), are both in bronze and in the
    registry once each, with every row read in bronze or in quarantine."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from ingest.iom import mission_of
    from orchestration.definitions import defs

    manifest = json.loads((small_sample / "manifest.json").read_text(encoding="utf-8"))
    by_mission: dict[str, Path] = {}
    for delivery in manifest["deliveries"]:
        path = small_sample / delivery["path"]
        if delivery["feed"] == "iom" and (mission := mission_of(path.name)):
            by_mission.setdefault(mission, path)
    files = list(by_mission.values())[:2]
    assert len(files) == 2, by_mission
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    with temporary_home(tmp_path / "warehouse") as settings:
        for path in files:
            _land(settings, path)
        (sensor,) = [s for s in defs.sensors if s.name == "iom_landing"]
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert len(tick.run_requests) == 2
        context = multiprocessing.get_context("spawn")
        with (
            context.Manager() as manager,
            ProcessPoolExecutor(2, mp_context=context) as pool,
        ):
            barrier = manager.Barrier(2)
            futures = [
                pool.submit(
                    _ingest_in_own_process,
                    str(dagster_home),
                    sensor.job_name,
                    r.run_config,
                    r.tags,
                    barrier,
                )
                for r in tick.run_requests
            ]
            runs = [f.result(timeout=600) for f in futures]
        assert all(success for _, success in runs)
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            spans = [instance.get_run_stats(run_id) for run_id, _ in runs]
        first, second = spans
        # The two runs overlapped: each started before the other ended.
        assert first.start_time < second.end_time and second.start_time < first.end_time  # type: ignore[operator]

        records = read_registry(settings)
        assert sorted(r.file_name for r in records) == sorted(p.name for p in files)
        assert {r.status for r in records} == {"loaded"}
        for record in records:
            assert record.rows_read == record.rows_bronze + record.rows_quarantined
            assert record.bronze_file and Path(record.bronze_file).exists()
            listed = pl.read_parquet(
                Path(record.bronze_file).parent / "rows" / f"{record.sha256}.parquet"
            )
            assert listed.height == record.rows_bronze
        assert not list(settings.landing("iom").glob("*.csv"))
