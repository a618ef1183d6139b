"""The event-driven path without anyone clicking: daemon + sensor + run + publish."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingest.settings import Settings
from tests.conftest import DAGSTER_YAML, FRONTEX_CSV
from tests.test_ui import free_port

pytestmark = pytest.mark.slow
TIMEOUT_S = 240


def mali_2018(settings: Settings) -> int | None:
    if not settings.published_db.exists():
        return None
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        row = con.execute(
            "select detections from marts.mart_irregular_crossings_yearly "
            "where nationality_iso3 = 'MLI' and year = 2018"
        ).fetchone()
    finally:
        con.close()
    return row[0] if row else None


def test_dropped_file_reaches_the_published_mart(tmp_path: Path):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(DAGSTER_YAML, dagster_home / "dagster.yaml")
    home = tmp_path / "warehouse"
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "SLC_HOME": str(home)}
    settings = Settings(home=home)
    settings.ensure_dirs()
    exe = Path(sys.executable).parent / "dagster"
    log_path = tmp_path / "dagster_dev.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                str(exe),
                "dev",
                "-m",
                "orchestration.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(free_port()),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(5)
            # Written aside then renamed, as a partner's upload tool would: never half a file.
            partial = settings.landing("frontex") / f"{FRONTEX_CSV.name}.part"
            shutil.copyfile(FRONTEX_CSV, partial)
            partial.rename(settings.landing("frontex") / FRONTEX_CSV.name)
            deadline = time.monotonic() + TIMEOUT_S
            while mali_2018(settings) is None:
                log_text = log_path.read_text()
                assert proc.poll() is None, log_text[-3000:]
                assert "Error loading repository location" not in log_text, log_text[-4000:]
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"not published after {TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}"
                    )
                time.sleep(3)
            assert mali_2018(settings) == 11728
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
