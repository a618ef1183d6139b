"""When things go wrong: a stray lock on the build database, a run killed (SIGKILL) during
the dbt build or the publish, and deliveries that arrive out of order, twice or corrected.
In each case the published warehouse is never half-written and a rerun ends where an
undisturbed run would."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from ingest.registry import read_registry
from ingest.settings import Settings
from publishing.build_db import BuildDatabaseLocked, wait_until_free
from publishing.publish import current_version

from .conftest import (
    DAGSTER_YAML,
    FRONTEX_CSV,
    REFERENCE,
    published_marts,
    run_landing_sensors,
    run_refresh,
    temporary_home,
)

#: Holds a read-write connection on a DuckDB file, as an analyst's notebook would.
HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
""")

#: The refresh job, as `slc refresh` runs it, in a process of its own.
REFRESH = textwrap.dedent("""
    from tests.conftest import run_refresh
    raise SystemExit(0 if run_refresh().success else 1)
""")


def _hold(path: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


def _published_state(settings: Settings) -> tuple[str | None, dict[str, str]]:
    """The current version and the digest of every published file."""
    version = current_version(settings)
    if version is None:
        return None, {}
    files = sorted(p for p in version.rglob("*") if p.is_file())
    digests = {
        str(p.relative_to(version)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }
    return version.name, digests


def _step_errors(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(
        str(event.step_failure_data.error) for event in result.all_events if event.is_step_failure
    )


@pytest.fixture
def frontex_home(tmp_path: Path) -> Path:
    """A data root with the Frontex release published once."""
    home = tmp_path / "warehouse"
    with temporary_home(home) as settings:
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        assert run_refresh().success
    return home


def test_wait_until_free_names_the_holder(tmp_path: Path):
    db = tmp_path / "build.duckdb"
    assert wait_until_free(db, wait_seconds=0) == 0.0  # no file yet: nothing to wait for
    holder = _hold(db, 60)
    try:
        with pytest.raises(BuildDatabaseLocked, match=f"locked by PID {holder.pid} "):
            wait_until_free(db, wait_seconds=1)
    finally:
        holder.kill()
        holder.wait()
    assert wait_until_free(db, wait_seconds=1) < 1


def test_a_stray_lock_is_waited_for_then_reported_clearly(
    frontex_home: Path, monkeypatch: pytest.MonkeyPatch
):
    with temporary_home(frontex_home) as settings:
        before = _published_state(settings)
        # A lock held for a while (longer than the steps before dbt take): the dbt step
        # says it waits, waits, and builds.
        monkeypatch.setenv("SLC_LOCK_WAIT_SECONDS", "120")
        holder = _hold(settings.build_db, 25)
        instance = dg.DagsterInstance.ephemeral()
        result = run_refresh(instance)
        holder.wait()
        assert result.success, _step_errors(result)
        said = [e.user_message for e in instance.all_logs(result.run_id)]
        assert any(f"is locked by PID {holder.pid}" in m and "waiting" in m for m in said)
        after_wait = _published_state(settings)
        assert after_wait[0] != before[0]
        # A lock that stays: the run stops before building, says who holds the file and
        # what to do, and publishes nothing.
        monkeypatch.setenv("SLC_LOCK_WAIT_SECONDS", "2")
        holder = _hold(settings.build_db, 120)
        try:
            result = run_refresh()
        finally:
            holder.kill()
            holder.wait()
        assert not result.success
        errors = _step_errors(result)
        assert f"is locked by PID {holder.pid}" in errors and "published/slc.duckdb" in errors
        assert _published_state(settings) == after_wait
        # The holder gone, the next run builds from the same, intact, database.
        assert run_refresh().success
        assert _published_state(settings)[0] != after_wait[0]


#: The refresh on the instance of DAGSTER_HOME, whose writer pool has one slot.
REFRESH_ON_INSTANCE = textwrap.dedent("""
    import dagster as dg
    from tests.conftest import run_refresh
    with dg.DagsterInstance.get() as instance:
        raise SystemExit(0 if run_refresh(instance).success else 1)
""")


def _kill_refresh_when(
    home: Path, moment, script: str = REFRESH, env: dict[str, str] | None = None
) -> None:
    """Start the refresh in a process group of its own (dbt runs in a child process), wait
    until `moment(home)` holds, and SIGKILL the whole group, as a crash or the OOM killer
    would."""
    env = {**os.environ, "SLC_HOME": str(home), **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=env, start_new_session=True, cwd=Path.cwd()
    )
    deadline = time.monotonic() + 300
    while process.poll() is None and not moment(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the refresh ended before the moment to kill it"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _dbt_is_building(home: Path) -> bool:
    """dbt has created its first tables in the build database (its WAL is being written)."""
    return Path(f"{home / 'build' / 'slc_build.duckdb'}.wal").exists()


def _publish_is_copying(home: Path) -> bool:
    versions = home / "published" / "versions"
    return any(p.suffix == ".tmp" for p in versions.glob(".*")) if versions.exists() else False


@pytest.mark.parametrize(
    "moment", [_dbt_is_building, _publish_is_copying], ids=["during dbt build", "during publish"]
)
def test_a_refresh_killed_then_rerun_loads_once_and_publishes_whole(frontex_home: Path, moment):
    home = frontex_home
    with temporary_home(home) as settings:
        before = _published_state(settings)
        # New deliveries: the EUTF results export.
        exports = sorted((REFERENCE / "eutf_rsr").glob("*.csv"))
        for path in exports:
            shutil.copyfile(path, settings.landing("eutf_rsr") / path.name)
        _kill_refresh_when(home, moment)
        # Killed: the analysts' copy is the one before, whole.
        assert _published_state(settings) == before
        result = run_refresh()
        assert result.success, _step_errors(result)
        # Each file loaded once, whatever the kill interrupted.
        loaded = Counter(r.file_name for r in read_registry(settings) if r.status == "loaded")
        assert loaded == Counter([FRONTEX_CSV.name, *(p.name for p in exports)])
        bronze = {p.stem for p in settings.bronze("eutf_rsr").glob("*.parquet")} - {"_empty"}
        assert bronze == {hashlib.sha256(p.read_bytes()).hexdigest() for p in exports}
        # The new version is published, and no unfinished copy is left behind.
        version, files = _published_state(settings)
        assert version != before[0] and "marts/fct_reported_indicators.parquet" in files
        assert not list((settings.published / "versions").glob(".*"))
        reported = pl.read_parquet(settings.published_marts / "fct_reported_indicators.parquet")
        assert reported.height > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "moment", [_dbt_is_building, _publish_is_copying], ids=["during dbt build", "during publish"]
)
def test_a_run_killed_in_the_writer_pool_does_not_block_the_next_refresh(
    frontex_home: Path, tmp_path: Path, moment
):
    """The killed run stays STARTED and holds the pool's one slot; `slc refresh` finds its
    process gone, marks it failed, frees the slot, and completes."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(DAGSTER_YAML, dagster_home / "dagster.yaml")
    env = {"DAGSTER_HOME": str(dagster_home)}
    with temporary_home(frontex_home) as settings:
        before = _published_state(settings)
        for path in sorted((REFERENCE / "eutf_rsr").glob("*.csv")):
            shutil.copyfile(path, settings.landing("eutf_rsr") / path.name)
        _kill_refresh_when(frontex_home, moment, REFRESH_ON_INSTANCE, env)
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            (killed,) = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        slc = Path(sys.executable).parent / "slc"
        done = subprocess.run(
            [str(slc), "refresh"],
            env={**os.environ, "SLC_HOME": str(frontex_home), **env},
            capture_output=True,
            text=True,
            timeout=600,  # without the release, the refresh would wait for the slot forever
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"run {killed.run_id} (refresh) lost its process" in done.stderr
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        assert _published_state(settings)[0] != before[0]


#: The deliveries of the order test: Mali's and Nigeria's IOM exports, EJOM's forms and
#: AECID's workbooks of the small sample's first months, with their corrections (_v2).
ORDER_TEST_UNTIL = "2019-08"
ORDER_TEST_IOM = ("_ML_", "_NG_")


def _quarters_of_deliveries(sample: Path) -> list[list[tuple[str, Path]]]:
    """(landing folder, file) of each delivery, quarter by quarter of delivery."""
    from slc_samples.generate import LANDING

    manifest = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))
    quarters: dict[str, list[tuple[str, Path]]] = {}
    for entry in manifest["deliveries"]:
        month = entry["delivered_on"][:7]
        if month > ORDER_TEST_UNTIL or (
            entry["feed"] == "iom" and not any(c in entry["path"] for c in ORDER_TEST_IOM)
        ):
            continue
        quarter = f"{month[:4]}-{(int(month[5:]) - 1) // 3}"
        quarters.setdefault(quarter, []).append((LANDING[entry["feed"]], sample / entry["path"]))
    return [quarters[q] for q in sorted(quarters)]


def _load_batches(home: Path, batches: list[list[tuple[str, Path]]]) -> tuple[Settings, dict]:
    """Land each batch and load it (one run of the partner feeds' bronze assets), then
    rebuild once with the Frontex release; returns the published marts, sorted."""
    from orchestration.assets.bronze import BRONZE_BY_FEED
    from orchestration.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    bronze = [BRONZE_BY_FEED[feed] for feed in ("iom", "ejom", "aecid")]
    with temporary_home(home) as settings:
        for files in batches:
            for folder, path in files:
                shutil.copyfile(path, settings.landing(folder) / path.name)
            dg.materialize(bronze, instance=instance, raise_on_error=False)
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        run_landing_sensors(instance)
        result = defs.resolve_job_def("rebuild").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert result.success, _step_errors(result)
        return settings, published_marts(settings)


def test_out_of_order_repeated_and_corrected_deliveries_give_the_same_marts(
    tmp_path: Path, small_sample: Path
):
    quarters = _quarters_of_deliveries(small_sample)
    every = [f for files in quarters for f in files]
    corrections = [f for f in every if "_v2" in f[1].stem]
    assert len(quarters) >= 8 and len(corrections) >= 2, "the test needs months and corrections"
    in_order, expected = _load_batches(tmp_path / "in_order", quarters)
    # The corrections before the files they correct, then the latest quarter first, then
    # every file delivered a second time.
    disordered_batches = [corrections]
    disordered_batches += [[f for f in fs if f not in corrections] for fs in reversed(quarters)]
    disordered, got = _load_batches(tmp_path / "disordered", [*disordered_batches, every])
    assert got.keys() == expected.keys() and len(got) > 25
    # Reporting rates included: a repeated refused file is the same refusal, not a new one.
    differing = [name for name in expected if not got[name].equals(expected[name])]
    assert not differing, {name: (got[name], expected[name]) for name in differing}
    assert expected["fct_returns"].height > 0 and expected["fct_trainings"].height > 0
    # Nothing loaded twice: each loaded file's second copy is recorded as a duplicate.
    for settings in (in_order, disordered):
        loaded = Counter(r.sha256 for r in read_registry(settings) if r.status == "loaded")
        assert max(loaded.values()) == 1
    records = read_registry(disordered)
    # A corrected file accepted after its correction: only the revision order keeps the
    # correction current (the last received would not).
    originals = {p.name.replace("_v2", "") for _, p in corrections}
    assert any(r.status == "loaded" and r.file_name in originals for r in records)
    assert {r.file_name for r in records if r.status == "duplicate"} == {
        r.file_name for r in records if r.status == "loaded" and r.feed != "frontex"
    }


def test_old_dbt_invocation_folders_are_pruned(tmp_path: Path):
    """Each dbt invocation writes its artifacts to a folder of its own: the dbt step
    keeps the newest few, never dbt's own files."""
    from orchestration.assets.dbt import prune_invocation_targets

    target = tmp_path / "target"
    for folder in ("compiled", "run"):  # dbt's own
        (target / folder).mkdir(parents=True)
    (target / "manifest.json").write_text("{}")
    names = [f"slc_dbt_models-{i:07x}-abcdef{i % 10}" for i in range(8)] + [
        f"{i:07x}" for i in range(100, 106)
    ]
    for age, name in enumerate(reversed(names)):
        (target / name).mkdir()
        os.utime(target / name, (time.time() - 1000 + age, time.time() - 1000 + age))
    removed = prune_invocation_targets(target, keep=10)
    assert sorted(p.name for p in removed) == sorted(names[-4:])
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [*names[:-4], "compiled", "run", "manifest.json"]
    )
