"""Shared fixtures: a temporary data root, and one full pipeline run through Dagster."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from ingest.settings import REPO_ROOT, Settings

# Tests pseudonymise with a throwaway key (never the demo's key file).
os.environ.setdefault("SLC_PSEUDONYM_KEY", "test-only-pseudonymisation-key-0123456789")
# Files copied by a test are complete: the sensors need not wait for them to settle.
os.environ.setdefault("SLC_LANDING_SETTLE_SECONDS", "0")

REFERENCE = Settings.from_env().reference_dir
FRONTEX_CSV = REFERENCE / "frontex" / "Frontex-Monthly_detections_of_IBC_20220204.csv"
FRONTEX_XLSX = REFERENCE / "frontex" / "Frontex-Monthly_detections_of_IBC_20220204.xlsx"
DAGSTER_YAML = REPO_ROOT / "dagster.yaml"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SLC_HOME", str(tmp_path / "warehouse"))
    s = Settings.from_env()
    s.ensure_dirs()
    return s


def run_refresh(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    """Run the refresh job in-process, as the sensor or `slc refresh` would, without raising."""
    from orchestration.definitions import defs

    job = defs.get_job_def("refresh")
    return job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


def run_dbt(args: list[str], raise_on_error: bool = True) -> Path:
    """dbt with the current SLC_HOME's paths, outside any run (as the dbt step runs it);
    returns the invocation's target folder (its run results and compiled SQL)."""
    from ingest.settings import Settings
    from orchestration.dbt_cli import DbtError, DbtInvocation, invocation_folder

    settings = Settings.from_env()
    invocation = DbtInvocation(args, settings, invocation_folder(settings.dbt_target))
    try:
        invocation.run()
    except DbtError:
        if raise_on_error:
            raise
    return invocation.target_path


def run_landing_sensors(
    instance: dg.DagsterInstance,
) -> tuple[list[dg.RunRequest], list[dg.ExecuteInProcessResult]]:
    """One tick of every feed's landing sensor, then each requested ingest run, in-process:
    what the daemon would do, without the daemon."""
    from orchestration.definitions import defs

    requests: list[dg.RunRequest] = []
    results: list[dg.ExecuteInProcessResult] = []
    for sensor in defs.sensors:
        if not sensor.name.endswith("_landing"):
            continue
        tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        for request in tick.run_requests:
            requests.append(request)
            results.append(
                defs.resolve_job_def(sensor.job_name).execute_in_process(
                    run_config=request.run_config,
                    instance=instance,
                    tags=request.tags,
                    raise_on_error=False,
                )
            )
    return requests, results


def drop(settings: Settings, source: Path, name: str | None = None) -> Path:
    target = settings.landing("frontex") / (name or source.name)
    shutil.copyfile(source, target)
    return target


@contextmanager
def temporary_home(home: Path):
    """SLC_HOME points at `home` (created, with its folders) for the duration of the block."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SLC_HOME", str(home))
    try:
        s = Settings.from_env()
        s.ensure_dirs()
        yield s
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Partner deliveries at scale 0.1 (seed 11): every feed, every kind of dirt, small files."""
    from slc_samples.generate import generate

    out = tmp_path_factory.mktemp("small_sample")
    generate(out, 0.1, 11, REFERENCE, log=lambda *a: None)
    return out


@pytest.fixture(scope="session")
def published_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data root where the real feeds (the Frontex CSV, the EUTF results export) went
    through the whole graph."""
    home = tmp_path_factory.mktemp("published") / "warehouse"
    rsr = [("eutf_rsr", p) for p in sorted((REFERENCE / "eutf_rsr").glob("*.csv"))]
    return refreshed_home(home, rsr, "the real feeds")


def refreshed_home(home: Path, files: list[tuple[str, Path]], what: str) -> Path:
    """A data root where the Frontex release (dbt's Frontex staging needs one) and `files`
    (landing folder, file) went through one refresh of the whole graph."""
    with temporary_home(home) as s:
        drop(s, FRONTEX_CSV)
        for folder, path in files:
            shutil.copyfile(path, s.landing(folder) / path.name)
        result = run_refresh()
        assert result.success, f"the refresh of {what} failed"
    return home


def published_marts(settings: Settings) -> dict[str, pl.DataFrame]:
    """Every published mart, its rows sorted on all columns (to compare two warehouses)."""
    marts = {}
    for path in sorted(settings.published_marts.glob("*.parquet")):
        frame = pl.read_parquet(path)
        marts[path.stem] = frame.sort(frame.columns, nulls_last=True)
    return marts


@pytest.fixture(scope="session")
def partner_warehouse(tmp_path_factory: pytest.TempPathFactory, small_sample: Path):
    """Two years of partner deliveries loaded into bronze, then one rebuild (dbt, gates,
    publish, report) with the Frontex release and the EUTF results export, on an instance
    that keeps its logs on disk. Yields (settings, sample, landed files, bronze result,
    dagster home)."""
    from slc_samples.generate import replay

    from orchestration.assets.bronze import BRONZE_BY_FEED
    from orchestration.definitions import defs

    root = tmp_path_factory.mktemp("partners")
    sample = small_sample
    with temporary_home(root / "warehouse") as settings:
        landed = replay(sample, settings.home / "landing", until="2019-08", log=lambda *a: None)
        kobo_files = sorted((sample / "kobo").glob("TPML_*_MLI_*"))
        for path in kobo_files:
            (settings.landing("kobo") / path.name).write_bytes(path.read_bytes())
        (root / "dagster_home").mkdir()
        instance = dg.DagsterInstance.local_temp(str(root / "dagster_home"))
        result = dg.materialize(
            [BRONZE_BY_FEED[f] for f in ("iom", "ejom", "aecid", "kobo")],
            instance=instance,
            raise_on_error=False,
        )
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        for path in sorted((REFERENCE / "eutf_rsr").glob("*.csv")):
            shutil.copyfile(path, settings.landing("eutf_rsr") / path.name)
        run_landing_sensors(instance)
        rebuild = defs.resolve_job_def("rebuild").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert rebuild.success
        yield settings, sample, landed + kobo_files, result, root / "dagster_home"
