"""Hostile and broken files, made here, as an attacker or a careless partner would drop them.

Each class of fault of `tests/data/bad_inputs/` has a file there; these are the ones that
are made rather than committed (links, FIFOs, folders, names no file system of a partner
should produce, bombs of megabytes). They go through the landing sensors and the ingest
runs they request, beside good files: each is refused with one line naming it (and the
row, column or byte offset where there is one), nothing outside the data root is read,
moved or changed, and the good files load in the same pass. The checks one by one, without
a Dagster run, are in tests/unit/test_limits.py and tests/unit/test_landing.py.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest import landing
from ingest.registry import read_registry

from .conftest import FRONTEX_CSV, run_landing_sensors, temporary_home
from .unit.test_feed_readers import _case
from .unit.test_feed_readers import _iom_csv as iom_export
from .unit.test_limits import _xlsx_bomb

PAYLOADS = ("<script>alert('slc')</script>", '<img src=x onerror="alert(1)">', '=HYPERLINK("x")')
OLD = 1_600_000_000  # a time in 2020: outside files keep it


def _iom_csv(rows: list[dict[str, str] | None], encoding: str = "utf-8") -> bytes:
    """An IOM export in the French v2 template, as Excel saves it."""
    return iom_export(rows, "fr_v2", ";", encoding)


def _frontex_with(value: str) -> bytes:
    """The real Frontex release with `value` as the border type of its first row."""
    lines = FRONTEX_CSV.read_bytes().decode("utf-8-sig").split("\n")
    cells = lines[1].split(";")
    cells[1] = value
    lines[1] = ";".join(cells)
    return ("\ufeff" + "\n".join(lines)).encode("utf-8")


#: name in landing -> what its one-line error must say (made by `hostile`).
EXPECTED_IOM = {
    "OIM_ML_cases_2020-01.csv": "not a regular file (symbolic link)",
    "OIM_ML_cases_2020-02.csv": "not a regular file (symbolic link)",
    "OIM_ML_cases_2020-03.csv": "not a regular file (FIFO",
    ".OIM_ML_cases_2020-04.csv": "starts with a dot",
    "..OIM_ML_cases_2020-05.csv": "starts with a dot",
    "OIM_ML_cases_2020-06.csv": "the header has 5,000,001 columns > 2,000",
    "OIM_ML_cases_2020-07.csv": "row 2 (byte offset",
    "OIM_ML_cases_2020-08.csv": "UTF-16",
    "OIM_ML_cases_2020-09.csv": "carriage return only",
    "OIM_ML_cases_2020-10.csv": "mixed encodings: row 3 (byte offset",
    "OIM_ML_cases_2020-11.csv": "unknown column",
    "IOM_NG_cases_2020-05.xlsx": "a zip bomb?",
    "IOM_NG_cases_2020-06.xlsx": "declares 1,048,576 rows x 100 columns",
}
LONG_NAME = "Frontex-Monthly_detections_of_IBC_20220302" + "x" * 204 + ".csv"
EXPECTED_OTHER = {
    ("frontex", "Frontex-Monthly_detections_of_IBC_20220301.csv"): "(symbolic link)",
    ("frontex", LONG_NAME): "the name is 250 bytes long > 200",
    ("frontex", "Frontex-Monthly\n_detections_of_IBC_20220305.csv"): "control characters",
    ("frontex", "Frontex-Monthly_detections_of_IBC_20220304.csv"): "failed the bronze quality gate",
    ("ejom", "EJOM_kits_2020-03.xlsx"): "not a regular file (folder)",
}
GOOD_IOM = "OIM_ML_cases_2020-12.csv"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("hostile")
    outside = root / "outside"
    outside.mkdir()
    secret = outside / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    release = outside / "Frontex-Monthly_detections_of_IBC_20220101.csv"
    shutil.copyfile(FRONTEX_CSV, release)
    for path in (secret, release):
        path.chmod(0o644)
        os.utime(path, (OLD, OLD))
    before = {p: (p.stat().st_mode, p.stat().st_mtime, p.read_bytes()) for p in (secret, release)}
    with temporary_home(root / "warehouse") as settings:
        iom_landing, frontex_landing = settings.landing("iom"), settings.landing("frontex")
        (iom_landing / "OIM_ML_cases_2020-01.csv").symlink_to(secret)
        (iom_landing / "OIM_ML_cases_2020-02.csv").symlink_to(outside)
        os.mkfifo(iom_landing / "OIM_ML_cases_2020-03.csv")
        good = _iom_csv([_case(1), _case(2)])
        (iom_landing / ".OIM_ML_cases_2020-04.csv").write_bytes(good)
        (iom_landing / "..OIM_ML_cases_2020-05.csv").write_bytes(good)
        (iom_landing / "OIM_ML_cases_2020-06.csv").write_bytes(b"c;" * 5_000_000 + b"c\n1\n")
        header, _, rest = good.partition(b"\r\n")
        huge = _iom_csv([_case(3, movement_ref="x" * 2_000_000)])
        (iom_landing / "OIM_ML_cases_2020-07.csv").write_bytes(huge)
        (iom_landing / "OIM_ML_cases_2020-08.csv").write_bytes(good.decode().encode("utf-16"))
        (iom_landing / "OIM_ML_cases_2020-09.csv").write_bytes(good.replace(b"\r\n", b"\r"))
        mixed = _iom_csv([_case(4)]) + _iom_csv([_case(5)], "cp1252").partition(b"\r\n")[2]
        (iom_landing / "OIM_ML_cases_2020-10.csv").write_bytes(mixed)
        wide = header + b";" + b"Z" * 100_000 + b"\r\n" + rest
        (iom_landing / "OIM_ML_cases_2020-11.csv").write_bytes(wide)
        (iom_landing / "IOM_NG_cases_2020-05.xlsx").write_bytes(_xlsx_bomb(200_000))
        (iom_landing / "IOM_NG_cases_2020-06.xlsx").write_bytes(_xlsx_bomb(2, "A1:CV1048576"))
        (iom_landing / GOOD_IOM).write_bytes(_iom_csv([_case(6), _case(7)]))
        (frontex_landing / "Frontex-Monthly_detections_of_IBC_20220301.csv").symlink_to(release)
        (frontex_landing / LONG_NAME).write_bytes(FRONTEX_CSV.read_bytes())
        (frontex_landing / "Frontex-Monthly\n_detections_of_IBC_20220305.csv").write_bytes(b"x")
        (frontex_landing / "Frontex-Monthly_detections_of_IBC_20220303.csv.part").write_bytes(b"x")
        payload = _frontex_with(PAYLOADS[0] + PAYLOADS[2])
        (frontex_landing / "Frontex-Monthly_detections_of_IBC_20220304.csv").write_bytes(payload)
        shutil.copyfile(FRONTEX_CSV, frontex_landing / FRONTEX_CSV.name)
        folder = settings.landing("ejom") / "EJOM_kits_2020-03.xlsx"
        folder.mkdir()
        (folder / "inside.txt").write_text("a folder, not a workbook")
        requests, results = run_landing_sensors(dg.DagsterInstance.ephemeral())
        yield settings, before, requests, results


def _expected() -> dict[tuple[str, str], str]:
    return {**{("iom", n): e for n, e in EXPECTED_IOM.items()}, **EXPECTED_OTHER}


def test_every_hostile_entry_is_refused_with_one_line(hostile):
    settings, _, _, _ = hostile
    records = {(r.feed, r.file_name): r for r in read_registry(settings)}
    for (feed, name), expected in _expected().items():
        stored = landing.stored_name(name)
        entry = records[feed, stored]
        assert entry.status == "rejected", (name, entry)
        error = entry.error or ""
        assert expected in error, (name, error)
        assert "\n" not in error and len(error) <= 1_000, (name, error)
        assert error.startswith(landing.shown(name)[:60]), error
        assert os.path.lexists(settings.rejected(feed) / stored), name
        assert not os.path.lexists(settings.landing(feed) / name), f"{name} left in landing"
        error_file = settings.rejected(feed) / f"{stored}.error.txt"
        assert error_file.read_text(encoding="utf-8").strip() == error
        assert stat.S_IMODE(error_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(settings.rejected(feed).stat().st_mode) == 0o700


def test_nothing_outside_the_data_root_is_read_or_changed(hostile):
    settings, before, _, _ = hostile
    for path, (mode, mtime, content) in before.items():
        assert (path.stat().st_mode, path.stat().st_mtime, path.read_bytes()) == (
            mode,
            mtime,
            content,
        ), f"{path} was changed"
    # The links were moved themselves: they still point where they did, at untouched files.
    moved = settings.rejected("iom") / "OIM_ML_cases_2020-01.csv"
    assert moved.is_symlink() and moved.resolve() == next(iter(before)).resolve()
    said = "".join(p.read_text() for p in settings.home.rglob("*.error.txt"))
    said += "".join(r.error or "" for r in read_registry(settings))
    assert "root:x:0" not in said


def test_the_good_files_beside_them_load_in_the_same_pass(hostile):
    settings, _, requests, results = hostile
    loaded = {(r.feed, r.file_name) for r in read_registry(settings) if r.status == "loaded"}
    assert loaded == {("frontex", FRONTEX_CSV.name), ("iom", GOOD_IOM)}
    # A copy in progress waits; nothing else is left in landing.
    left = {p.name for feed in ("iom", "frontex", "ejom") for p in settings.landing(feed).iterdir()}
    assert left == {"rejected", "Frontex-Monthly_detections_of_IBC_20220303.csv.part"}
    # One run per entry, each refused entry's run failing on its gate, never crashing.
    assert len(requests) == len(_expected()) + 2
    for request, result in zip(requests, results, strict=True):
        crashes = [e for e in result.all_events if e.is_step_failure]
        for event in crashes:
            error = event.step_failure_data.error
            assert error is not None and "DagsterAssetCheckFailedError" in error.cls_name, (
                request.tags,
                error,
            )


def test_payloads_reach_no_page_unescaped(hostile):
    settings, _, _, _ = hostile
    pages = list(settings.data_docs.rglob("*.html"))
    assert pages
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;slc&#x27;)&lt;/script&gt;" in text  # shown, as text


def test_run_config_takes_a_file_name_only(tmp_path: Path):
    from orchestration.definitions import defs

    victim = tmp_path / "victim.csv"
    victim.write_bytes(FRONTEX_CSV.read_bytes())
    os.utime(victim, (OLD, OLD))
    with temporary_home(tmp_path / "warehouse") as settings:
        job = defs.resolve_job_def("ingest_frontex")
        for given in (str(victim), "../../victim.csv", ".."):
            result = job.execute_in_process(
                run_config={"ops": {"bronze__frontex_detections": {"config": {"file": given}}}},
                instance=dg.DagsterInstance.ephemeral(),
                raise_on_error=False,
            )
            assert not result.success
            (failure,) = [e for e in result.all_events if e.is_step_failure]
            said = failure.step_failure_data.user_failure_data.description
            assert "must be the name of a file" in said, said
        assert victim.stat().st_mtime == OLD and victim.read_bytes() == FRONTEX_CSV.read_bytes()
        assert read_registry(settings) == []


def test_a_copy_in_progress_waits_for_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from orchestration.assets.bronze import BRONZE_BY_FEED

    monkeypatch.setenv("SLC_LANDING_SETTLE_SECONDS", "3600")
    with temporary_home(tmp_path / "warehouse") as settings:
        path = settings.landing("frontex") / FRONTEX_CSV.name
        shutil.copyfile(FRONTEX_CSV, path)
        instance = dg.DagsterInstance.ephemeral()
        result = dg.materialize([BRONZE_BY_FEED["frontex"]], instance=instance)
        assert path.exists() and read_registry(settings) == []
        said = [e.user_message for e in instance.all_logs(result.run_id)]
        assert any("still being copied" in m for m in said)


def test_a_second_refresh_stops_at_once_while_one_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    from orchestration import cli
    from orchestration.runs import refresh_lock

    with temporary_home(tmp_path / "warehouse") as settings, refresh_lock(settings.home):
        assert cli.main(["refresh"]) == 3
    said = capsys.readouterr().err
    assert "is already running (PID" in said and str(settings.home) in said


@contextmanager
def _small_disk(folder: Path, size: str):
    """A tmpfs of `size` mounted on `folder` (root only; the test is skipped elsewhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Write a file into `folder` until its file system is full."""
    filler = folder / "filler"
    with filler.open("wb") as handle:
        try:
            while True:
                handle.write(os.urandom(1 << 16))
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_during_publish_leaves_the_published_version(tmp_path: Path):
    from publishing.publish import PublishFailed, current_version, publish

    with temporary_home(tmp_path / "warehouse") as settings:
        settings.build_db.parent.mkdir(parents=True, exist_ok=True)
        with _small_disk(settings.published, "3m"):
            con = duckdb.connect(str(settings.build_db))
            con.execute("create schema marts; create table marts.small as select 1 as n")
            con.close()
            first = publish(settings)
            before = {
                p: p.read_bytes() for p in current_version(settings).rglob("*") if p.is_file()
            }
            con = duckdb.connect(str(settings.build_db))
            con.execute(
                "create table marts.large as select md5(i::varchar) || md5((i * 7)::varchar) "
                "as v from range(400000) t(i)"
            )
            con.close()
            with pytest.raises(
                PublishFailed, match=f"disk full .* still read version {first.version}"
            ):
                publish(settings)
            assert current_version(settings).name == first.version
            assert {p: p.read_bytes() for p in before} == before
            assert not list((settings.published / "versions").glob(".*"))


def test_a_full_disk_during_ingest_loses_nothing(tmp_path: Path):
    from orchestration.assets.bronze import BRONZE_BY_FEED

    with _small_disk(tmp_path / "disk", "8m") as disk, temporary_home(disk / "w") as settings:
        asset = BRONZE_BY_FEED["frontex"]
        dg.materialize([asset], instance=dg.DagsterInstance.ephemeral())  # sources, GX
        landed = settings.landing("frontex") / FRONTEX_CSV.name
        shutil.copyfile(FRONTEX_CSV, landed)
        filler = _fill(disk)
        result = dg.materialize(
            [asset], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )
        assert not result.success
        errors = " ".join(
            str(e.step_failure_data.error) + str(e.step_failure_data.user_failure_data)
            for e in result.all_events
            if e.is_step_failure
        )
        assert "disk full under" in errors and "stay in landing" in errors, errors
        assert landed.exists(), "the delivery left landing without being recorded"
        assert [r for r in read_registry(settings) if r.status == "loaded"] == []
        filler.unlink()
        dg.materialize([asset], instance=dg.DagsterInstance.ephemeral())
        assert [r.status for r in read_registry(settings)] == ["loaded"]


def test_without_a_key_a_personal_feed_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The code location loads without a key; the ingest of a feed with personal data stops
    at its first step, saying which variables to set, and the file waits in landing."""
    from orchestration.assets.bronze import BRONZE_BY_FEED

    monkeypatch.delenv("SLC_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("SLC_PSEUDONYM_KEY_FILE", raising=False)
    with temporary_home(tmp_path / "warehouse") as settings:
        landed = settings.landing("iom") / GOOD_IOM
        landed.write_bytes(_iom_csv([_case(1)]))
        result = dg.materialize(
            [BRONZE_BY_FEED["iom"]], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert "no pseudonymisation key" in str(failure.step_failure_data.error)
        assert landed.exists() and read_registry(settings) == []
