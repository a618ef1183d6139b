"""An ingestion killed (SIGKILL) at any point: the rerun loads every file exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from ingest.registry import read_registry
from tests.conftest import temporary_home

#: Loads every waiting IOM export, as the bronze asset does (staging, gate, accept).
LOADER = textwrap.dedent("""
    from ingest.settings import Settings
    from tests.test_crash_recovery import _load_in_process

    settings = Settings.from_env()
    settings.ensure_dirs()
    _load_in_process(settings)
""")


def _land(settings, files: list[Path]) -> None:
    for path in files:
        shutil.copyfile(path, settings.landing("iom") / path.name)


def _run_and_kill(home: Path, after) -> None:
    """Start the loader, wait until `after(home)` holds (or the loader ends), SIGKILL it."""
    env = {**os.environ, "SLC_HOME": str(home)}
    process = subprocess.Popen([sys.executable, "-c", LOADER], env=env)
    deadline = time.monotonic() + 240
    while process.poll() is None and not after(home) and time.monotonic() < deadline:
        time.sleep(0.02)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()


def _staging_started(home: Path) -> bool:
    return any((home / "staging").glob("iom-*/*.parquet"))


def _some_recorded(home: Path) -> bool:
    registry = home / "registry" / "deliveries.jsonl"
    return registry.exists() and registry.read_text(encoding="utf-8").count("\n") >= 3


@pytest.mark.parametrize(
    "moment", [_staging_started, _some_recorded], ids=["while staging", "while accepting"]
)
def test_a_killed_ingestion_reruns_to_exactly_once(small_sample: Path, tmp_path: Path, moment):
    files = sorted((small_sample / "iom").glob("OIM_ML_cases_2019-*.csv"))
    files = [f for f in files if "_v2" not in f.name][:8]
    home = tmp_path / "warehouse"
    with temporary_home(home) as settings:
        _land(settings, files)
        _run_and_kill(home, moment)
        _run_and_kill(home, lambda _: False)  # the rerun, to its end
        records = read_registry(settings)
        loaded = Counter(r.file_name for r in records if r.status == "loaded")
        assert loaded == dict.fromkeys((f.name for f in files), 1), records
        assert not [r for r in records if r.status == "rejected"]
        assert not list(settings.landing("iom").glob("*.csv")), "a file was left waiting"
        bronze = sorted(settings.bronze("iom").glob("*.parquet"))
        assert {p.stem for p in bronze} - {"_empty"} == {
            r.sha256 for r in records if r.status == "loaded"
        }
        for record in records:
            if record.status == "loaded":
                assert record.rows_read == record.rows_bronze + record.rows_quarantined
        _every_listed_row_is_stored(settings)


class _Crash(BaseException):
    """Stands for the process dying: not an Exception, nothing catches it."""


def test_a_crash_between_moving_and_recording_a_delivery_is_repaired(
    small_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The third delivery's files are in bronze but the registry never heard of it: the
    rerun removes them and loads the file again, once."""
    import ingest.deliveries as deliveries

    files = sorted((small_sample / "iom").glob("OIM_ML_cases_2019-*.csv"))
    files = [f for f in files if "_v2" not in f.name][:4]
    with temporary_home(tmp_path / "warehouse") as settings:
        _land(settings, files)
        real_record, calls = deliveries.record, []

        def dying_record(settings_, entry):
            calls.append(entry.file_name)
            if len(calls) == 3:
                raise _Crash
            real_record(settings_, entry)

        monkeypatch.setattr(deliveries, "record", dying_record)
        with pytest.raises(_Crash):
            _load_in_process(settings)
        orphan = files[2]
        assert (settings.landing("iom") / orphan.name).exists()
        assert len(list(settings.bronze("iom").glob("*.parquet"))) == 3  # two loaded + orphan
        monkeypatch.setattr(deliveries, "record", real_record)
        _load_in_process(settings)
        records = read_registry(settings)
        loaded = Counter(r.file_name for r in records if r.status == "loaded")
        assert loaded == dict.fromkeys((f.name for f in files), 1)
        assert not [r for r in records if r.status != "loaded"]
        bronze = {p.stem for p in settings.bronze("iom").glob("*.parquet")}
        assert bronze == {r.sha256 for r in records}
        _every_listed_row_is_stored(settings)


def _load_in_process(settings) -> None:
    from expectations.bronze import BronzeGate
    from ingest import iom
    from ingest.contracts import load_contract
    from ingest.cumulative import KnownRows
    from ingest.deliveries import load_files, pending_files
    from ingest.export_lane import CumulativeFeed
    from ingest.pseudonymise import load_key, protect

    secret = load_key()
    contract = load_contract("iom")
    known = KnownRows(settings, secret, contract, iom.mission_of)  # as the bronze asset
    load_files(
        settings,
        contract,
        pending_files(settings, "iom"),
        CumulativeFeed(known, iom.read_export),
        BronzeGate("iom", home=settings.home, data_docs=settings.data_docs),
        lambda parsed: protect(parsed, "iom", secret),
    )


def _every_listed_row_is_stored(settings) -> None:
    """Each loaded IOM export's row list names states that bronze holds."""
    from ingest.cumulative import FINGERPRINT, MEMBERS

    loaded = [r for r in read_registry(settings) if r.status == "loaded"]
    stored = pl.concat([pl.read_parquet(r.bronze_file, columns=[FINGERPRINT]) for r in loaded])[
        FINGERPRINT
    ]
    for r in loaded:
        listed = pl.read_parquet(settings.bronze("iom") / MEMBERS / f"{r.sha256}.parquet")
        assert listed.height == r.rows_bronze, r.file_name
        assert listed[FINGERPRINT].is_in(stored.implode()).all(), r.file_name
