"""Runs that died release what they hold, and one refresh runs per data root at a time.

A run killed with SIGKILL (the OOM killer, a reboot, `kill -9`) cannot tell Dagster: it
stays STARTED and keeps its slot of the `duckdb_writer` pool, so every later writer step
would wait for it forever. Dagster's own run monitoring cannot see the death of a run
started by the default run launcher or by `dagster job execute`. So before a refresh
(`slc refresh`, `slc report`) and at each tick of the rebuild sensor, every STARTED run
whose process is gone is marked failed and its pool slots freed, with one line saying so.

A run's process is the one that wrote its RUN_START event (Dagster records the writer's
PID in each event). It is gone when no process has that PID, or the process with that
PID started after the run did (the PID was reused). Runs whose process lives on another
machine (a team deployment with several hosts) cannot be judged here:
SLC_REAP_DEAD_RUNS=0 turns the check off there.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from ingest.settings import Settings


def _process_start(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), or None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration):
        return None
    # Field 22 (start time, in clock ticks since boot) counts after the command's ")".
    fields = stat.rsplit(")", 1)[1].split()
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def process_gone(pid: int, run_started: float) -> bool:
    """No process has `pid`, or the one that has it is younger than the run (reused)."""
    started = _process_start(pid)
    if started is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False  # alive, and no /proc to say since when
    return started > run_started + 1  # /proc's start time is to a clock tick


def run_process(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(PID, start time) of the process that started the run, from its RUN_START event."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_START, limit=1
    ).records
    if not records:
        return None
    entry = records[0].event_log_entry
    pid = entry.dagster_event.pid if entry.dagster_event is not None else None
    return (pid, entry.timestamp) if pid else None


def reap_dead_runs(instance: dg.DagsterInstance, log: Callable[[str], object] = print) -> list[str]:
    """Mark failed every STARTED run whose process is gone and free its pool slots; returns
    their run ids."""
    if not Settings.from_env().reap_dead_runs:
        return []
    reaped = []
    for record in instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING])
    ):
        run = record.dagster_run
        process = run_process(instance, run.run_id)
        if process is None or not process_gone(*process):
            continue
        message = (
            f"run {run.run_id} ({run.job_name}) lost its process (PID {process[0]} is gone, "
            "killed?): marked failed, its pool slots freed"
        )
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        log(message)
        reaped.append(run.run_id)
    return reaped


class RefreshRunning(RuntimeError):
    """Another refresh holds the data root."""


@contextmanager
def refresh_lock(home: Path) -> Iterator[None]:
    """One refresh per data root at a time: a second one stops at once, saying which
    process runs the first. The lock is the kernel's (flock): a killed refresh frees it."""
    path = home / ".refresh.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise RefreshRunning(
                f"a refresh of {home} is already running ({holder}): wait for it to end "
                "(`slc status` shows what it published), then run this again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"PID {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        yield
    finally:
        os.close(fd)
