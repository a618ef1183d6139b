"""Dagster for a team: the daemon and the webserver as two processes (`slc ui-team`) on a
real PostgreSQL server (tests/postgres_server.py), the event path through them, and the
history surviving a restart of both."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ingest.settings import REPO_ROOT, Settings
from orchestration.sensors import rebuild_sensor
from tests.conftest import FRONTEX_CSV
from tests.postgres_server import Server, throwaway_postgres
from tests.test_event_path import mali_2018
from tests.test_ui import free_port, graphql

if TYPE_CHECKING:
    from dagster import DagsterInstance

pytestmark = pytest.mark.slow
TIMEOUT_S = 300
RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status jobName } } } }"


def _wait(what: str, done: Callable[[], object], log: Path, proc: subprocess.Popen) -> object:
    deadline = time.monotonic() + TIMEOUT_S
    while not (result := done()):
        assert proc.poll() is None, f"slc ui-team stopped:\n{log.read_text()[-4000:]}"
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not after {TIMEOUT_S} s:\n{log.read_text()[-4000:]}")
        time.sleep(2)
    return result


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    handle = open(log, "a")  # noqa: SIM115 - the child writes to it until stopped
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "slc"), "ui-team", "--port", str(port)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def _instance(dagster_home: Path, server: Server) -> Iterator[DagsterInstance]:
    """The team's instance as this process reads it (its file takes the connection from
    the environment)."""
    import dagster as dg

    old = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())
    try:
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            yield instance
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _history(dagster_home: Path, server: Server) -> tuple[dict, dict, str]:
    """(run id -> (job, status), sensor name -> cursor, run storage class) as the instance
    stores them."""
    with _instance(dagster_home, server) as instance:
        runs = {r.run_id: (r.job_name, r.status.value) for r in instance.get_runs()}
        cursors = {
            s.instigator_name: (s.instigator_data.cursor if s.instigator_data else None)  # type: ignore[union-attr]
            for s in instance.all_instigator_state()
        }
        return runs, cursors, type(instance.run_storage).__name__


def _settled(dagster_home: Path, server: Server) -> dict | None:
    """The runs, once none is queued or running."""
    runs, _, _ = _history(dagster_home, server)
    busy = {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"}
    return runs if runs and not any(status in busy for _, status in runs.values()) else None


def test_the_event_path_on_postgres_survives_a_restart(tmp_path: Path):
    with throwaway_postgres() as server:
        dagster_home = tmp_path / "dagster_home"
        home = tmp_path / "warehouse"
        settings = Settings(home=home)
        settings.ensure_dirs()
        env = {
            **os.environ,
            **server.env(),
            "DAGSTER_HOME": str(dagster_home),
            "SLC_HOME": str(home),
        }
        port, log = free_port(), tmp_path / "ui_team.log"
        proc = _start(env, port, log)
        try:
            # The instance file `slc ui-team` put in place is the team's, unchanged.
            _wait("instance file", (dagster_home / "dagster.yaml").exists, log, proc)
            assert (dagster_home / "dagster.yaml").read_text() == (
                REPO_ROOT / "dagster.postgres.yaml"
            ).read_text()
            time.sleep(5)
            part = settings.landing("frontex") / f"{FRONTEX_CSV.name}.part"
            shutil.copyfile(FRONTEX_CSV, part)
            part.rename(settings.landing("frontex") / FRONTEX_CSV.name)
            _wait("published", lambda: mali_2018(settings), log, proc)
            assert mali_2018(settings) == 11728
            before = _wait("runs settled", lambda: _settled(dagster_home, server), log, proc)
        finally:
            _stop(proc)

        runs, cursors, storage = _history(dagster_home, server)
        assert storage == "PostgresRunStorage"
        assert not list(dagster_home.rglob("*.db")), "no SQLite storage beside PostgreSQL"
        jobs = {job for job, _ in runs.values()}
        assert any("ingest" in job for job in jobs) and "rebuild" in jobs, jobs
        assert all(status == "SUCCESS" for _, status in runs.values()), runs
        assert cursors.get(rebuild_sensor.name) == "1", cursors  # one delivery recorded

        restarted = time.time()
        proc = _start(env, port, log)
        try:
            seen = _wait(
                "webserver after restart",
                lambda: _runs_served(port),
                log,
                proc,
            )
            assert {r["runId"] for r in seen} == set(runs)  # type: ignore[union-attr]
            # The daemon ticks its sensors again from the stored cursors: no file is
            # ingested twice, no second rebuild is asked for.
            _wait("sensor ticks", lambda: _ticked_since(dagster_home, server, restarted), log, proc)
            after_runs, after_cursors, _ = _history(dagster_home, server)
        finally:
            _stop(proc)
        assert after_runs == runs
        assert after_cursors == cursors
        assert before == runs


def _runs_served(port: int) -> list | None:
    try:
        return graphql(port, RUNS_QUERY)["data"]["runsOrError"]["results"]
    except OSError:
        return None


def _ticked_since(dagster_home: Path, server: Server, since: float) -> bool:
    """Every running sensor has ticked after `since`."""
    with _instance(dagster_home, server) as instance:
        states = [s for s in instance.all_instigator_state() if s.is_running]
        return bool(states) and all(
            instance.get_ticks(s.instigator_origin_id, s.selector_id, after=since, limit=1)
            for s in states
        )
