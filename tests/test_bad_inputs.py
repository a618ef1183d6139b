"""Every kind of bad file gets a clear one-line error and stops nothing.

The corpus in tests/data/bad_inputs/ (with the error each must produce in expected.yml) plus
a 500 MB file made here go through the landing sensors and the ingest runs they request:
each is refused whole, moved to landing/<feed>/rejected/ with an .error.txt, and the good
file dropped beside them still loads. The files of warned.yml are not bad: they load, and
the registry records the warning.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from ingest.registry import read_registry

from .conftest import FRONTEX_CSV, run_landing_sensors, temporary_home

CORPUS = Path(__file__).parent / "data" / "bad_inputs"
EXPECTED: dict[str, str] = yaml.safe_load((CORPUS / "expected.yml").read_text(encoding="utf-8"))
#: Files that load, with the warning the registry must record for each.
WARNED: dict[str, str] = yaml.safe_load((CORPUS / "warned.yml").read_text(encoding="utf-8"))
BIG = "iom/OIM_ML_cases_2021-01.csv"


@pytest.fixture(scope="module")
def handled(tmp_path_factory: pytest.TempPathFactory):
    with temporary_home(tmp_path_factory.mktemp("bad") / "warehouse") as settings:
        for relative in [*EXPECTED, *WARNED]:
            feed, name = relative.split("/")
            shutil.copyfile(CORPUS / relative, settings.landing(feed) / name)
        with open(settings.landing("iom") / Path(BIG).name, "wb") as big:
            big.truncate(500_000_000)  # sparse: 500 MB on paper, nothing on disk
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        requests, results = run_landing_sensors(dg.DagsterInstance.ephemeral())
        yield settings, requests, results


def test_the_corpus_is_large_enough():
    assert len(EXPECTED) >= 25
    assert {k.split("/")[0] for k in EXPECTED} == {
        "iom",
        "ejom",
        "aecid",
        "kobo",
        "eutf_rsr",
        "frontex",
    }


def test_every_bad_file_is_refused_with_its_error(handled):
    settings, _, _ = handled
    records = {r.file_name: r for r in read_registry(settings)}
    for relative, expected in {**EXPECTED, BIG: "file too large"}.items():
        feed, name = relative.split("/")
        entry = records[name]
        assert entry.status == "rejected", relative
        assert expected in entry.error and "\n" not in entry.error, (relative, entry.error)
        assert entry.error.startswith(name), entry.error
        assert (settings.rejected(feed) / name).exists()
        error_file = settings.rejected(feed) / f"{name}.error.txt"
        assert error_file.read_text(encoding="utf-8").strip() == entry.error
        assert not (settings.landing(feed) / name).exists()


def test_a_file_with_an_undeclared_column_loads_with_a_warning(handled):
    settings, _, results = handled
    records = {r.file_name: r for r in read_registry(settings)}
    warned = {}
    for result in results:
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            if "deliveries_warned" in materialization.metadata:
                warned.update(materialization.metadata["deliveries_warned"].value)
    for relative, warning in WARNED.items():
        name = relative.split("/")[1]
        entry = records[name]
        assert entry.status == "loaded", (relative, entry.error)
        assert entry.warnings and warning in entry.warnings, entry.warnings
        assert warning in warned[name], "the bronze asset's metadata names it too"


def test_bad_files_stop_neither_the_sensor_nor_the_good_file(handled):
    settings, requests, results = handled
    # The sensors asked for one run per waiting file, the bad ones included, without failing.
    assert len(requests) == len(EXPECTED) + len(WARNED) + 2
    # Each bad file's run fails on its blocking gate; the good file's run succeeds.
    succeeded = [q.tags["slc/file"] for q, r in zip(requests, results, strict=True) if r.success]
    assert sorted(succeeded) == sorted([FRONTEX_CSV.name, *(w.split("/")[1] for w in WARNED)])
    records = [r for r in read_registry(settings) if r.feed == "frontex"]
    assert [r.status for r in records if r.file_name == FRONTEX_CSV.name] == ["loaded"]
    # The blocking gate reports the refused deliveries.
    checks = [c for r in results for c in r.get_asset_check_evaluations()]
    failed = {c.asset_key.to_user_string() for c in checks if not c.passed}
    assert failed == {
        f"bronze/{k}"
        for k in (
            "frontex_detections",
            "iom_cases",
            "ejom_forms",
            "aecid_activities",
            "kobo_surveys",
            "eutf_rsr_export",
        )
    }
