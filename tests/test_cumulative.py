"""Cumulative IOM exports: each distinct row is typed and stored once, and every export can
be rebuilt from its row list exactly as if it had been loaded whole (ingest.cumulative)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from ingest import iom
from ingest.contracts import load_contract
from ingest.cumulative import FINGERPRINT, MEMBERS, NUMBER, KnownRows, as_numbers
from ingest.deliveries import load_files, pending_files
from ingest.export_lane import CumulativeFeed
from ingest.pseudonymise import protect
from ingest.registry import read_registry
from tests.conftest import temporary_home

KEY = b"k" * 32
LINEAGE = ["_feed", "_source_file", "_sha256", "_sheet", "_delivery_key", "_ingested_at"]


def _exports(sample: Path, count: int) -> list[Path]:
    files = sorted((sample / "iom").glob("OIM_ML_cases_2019-*.csv"))
    return [f for f in files if "_v2" not in f.name][:count]


def _load(settings, files: list[Path], gate=None):
    for f in files:
        shutil.copy(f, settings.landing("iom") / f.name)
    contract = load_contract("iom")
    known = KnownRows(settings, KEY, contract, iom.mission_of)
    return load_files(
        settings,
        contract,
        pending_files(settings, "iom"),
        CumulativeFeed(known, iom.read_export),
        gate,
        lambda parsed: protect(parsed, "iom", KEY),
    )


def _rebuilt(settings, sha256: str) -> pl.DataFrame:
    """An export from its row list and the states in bronze, as analyses/iom_case_exports
    joins them."""
    states = pl.concat(
        [pl.read_parquet(p) for p in settings.bronze("iom").glob("*.parquet")],
        how="diagonal_relaxed",
    ).unique(FINGERPRINT, keep="first")
    members = pl.read_parquet(settings.bronze("iom") / MEMBERS / f"{sha256}.parquet")
    own = ["mission", "report_month", "_source_row"]
    return members.select(*own, FINGERPRINT).join(
        states.drop(*own, *LINEAGE), on=FINGERPRINT, how="inner"
    )


def _whole(path: Path) -> pl.DataFrame:
    """The same export typed row by row, as before fingerprints."""
    return protect(iom.parse(path.read_bytes(), path.name), "iom", KEY).bronze


def _same_rows(rebuilt: pl.DataFrame, whole: pl.DataFrame) -> None:
    columns = sorted(whole.columns)
    left = rebuilt.select(columns).sort("_source_row")
    right = whole.select(columns).sort("_source_row")
    assert left.equals(right), (left.height, right.height)


def test_each_distinct_row_is_stored_once_and_every_export_rebuilds(small_sample, tmp_path):
    files = _exports(small_sample, 6)
    with temporary_home(tmp_path / "warehouse") as settings:
        records = _load(settings, files)
        assert [r.status for r in records] == ["loaded"] * len(files)
        stored = 0
        for record, path in zip(records, files, strict=True):
            members = pl.read_parquet(settings.bronze("iom") / MEMBERS / f"{record.sha256}.parquet")
            assert record.rows_bronze == members.height
            assert record.rows_read == record.rows_bronze + record.rows_quarantined
            _same_rows(_rebuilt(settings, record.sha256), _whole(path))
            stored += pl.read_parquet(record.bronze_file).height
        listed = sum(r.rows_bronze for r in records)
        # Monthly exports repeat last month's cases: most rows were stored by an earlier one.
        assert stored < listed / 2, (stored, listed)


class _RejectFirst:
    """A gate that rejects the run's first delivery, then passes everything."""

    def __init__(self, reject: bool = True) -> None:
        self.reject, self.files = reject, []

    def add(self, file_name, bronze, related) -> None:
        self.files.append(file_name)

    def verdicts(self) -> dict[str, str]:
        return {self.files[0]: "rejected by the test"} if self.reject and self.files else {}

    def fresh(self) -> _RejectFirst:
        return _RejectFirst(reject=False)


def test_an_export_leaning_on_a_rejected_export_is_loaded_again_with_its_own_rows(
    small_sample, tmp_path
):
    """The first export stored the states the second one lists; the gate rejects the first:
    the second is loaded again, storing those rows itself, and rebuilds whole."""
    files = _exports(small_sample, 3)
    with temporary_home(tmp_path / "warehouse") as settings:
        records = _load(settings, files, gate=_RejectFirst())
        status = {r.file_name: r.status for r in records}
        assert status == {files[0].name: "rejected"} | {f.name: "loaded" for f in files[1:]}
        assert [r.file_name for r in records][-2:] == [f.name for f in files[1:]]  # reloaded
        rejected_sha = next(r.sha256 for r in records if r.status == "rejected")
        assert not (settings.bronze("iom") / f"{rejected_sha}.parquet").exists()
        for path in files[1:]:
            record = next(r for r in records if r.file_name == path.name)
            _same_rows(_rebuilt(settings, record.sha256), _whole(path))
        assert len([r for r in read_registry(settings) if r.status == "loaded"]) == 2


def test_fingerprints_depend_on_the_key_the_mission_and_the_row(settings):
    contract = load_contract("iom")
    raw = pl.DataFrame({"case_id": ["ML-1", "ML-1", "ML-2"], "sex": ["M", "M", "M"]})
    columns = [c.name for c in contract.columns]
    one = KnownRows(settings, KEY, contract).fingerprints(raw, columns, "MLI")[FINGERPRINT]
    assert one[0] == one[1] != one[2]
    other_mission = KnownRows(settings, KEY, contract).fingerprints(raw, columns, "NER")
    assert other_mission[FINGERPRINT][0] != one[0]
    other_key = KnownRows(settings, b"x" * 32, contract).fingerprints(raw, columns, "MLI")
    assert other_key[FINGERPRINT][0] != one[0]


def test_stored_fingerprints_are_looked_up_as_the_numbers_the_reader_computes(settings):
    """Known states are read back from bronze as strings and looked up as numbers: both forms
    must map to the same 128 bits, or every row would be stored again at each export."""
    contract = load_contract("iom")
    raw = pl.DataFrame({"case_id": [f"ML-{i}" for i in range(2000)], "sex": ["M"] * 2000})
    hashed = KnownRows(settings, KEY, contract).fingerprints(
        raw, [c.name for c in contract.columns], "MLI"
    )
    assert as_numbers(hashed[FINGERPRINT]).equals(hashed[NUMBER], check_names=False)
    assert hashed[NUMBER].n_unique() == 2000
    # Halves at the edges of 64 bits stay distinct (the first half is read as signed).
    edges = pl.Series(["18446744073709551615-0", "0-18446744073709551615", "0-0", "1-0"])
    assert as_numbers(edges).n_unique() == 4


def test_a_later_run_refers_to_the_states_earlier_runs_stored(small_sample, tmp_path):
    """Known states are read back from bronze: a second run stores only what is new."""
    files = _exports(small_sample, 4)
    with temporary_home(tmp_path / "warehouse") as settings:
        _load(settings, files[:2])
        (third,) = _load(settings, files[2:3])
        stored = pl.read_parquet(third.bronze_file).height
        assert third.status == "loaded" and 0 < stored < third.rows_bronze / 2
        _same_rows(_rebuilt(settings, third.sha256), _whole(files[2]))


def test_files_leaning_on_a_reloaded_file_are_reloaded_too(tmp_path):
    """D is rejected; E lists a state of D; F lists only a state E stored; G one F stored:
    E's staged states go when E is loaded again, so F and G must be loaded again too."""
    from ingest.deliveries import _leaning_on_rejected, _Staged
    from ingest.registry import DeliveryRecord

    def staged(name: str, listed: list[str], stores: list[str]) -> _Staged:
        def write(kind: str, values: list[str]) -> Path:
            path = tmp_path / f"{name}-{kind}.parquet"
            pl.DataFrame({FINGERPRINT: values}, schema={FINGERPRINT: pl.String}).write_parquet(path)
            return path

        record = DeliveryRecord("iom", name, name, None, "", "loaded")
        members = write("rows", listed)
        return _Staged(tmp_path / name, record, [(write("states", stores), tmp_path)], members)

    batch = [
        staged("D", ["a"], ["a"]),
        staged("E", ["a", "b"], ["b"]),
        staged("F", ["b", "c"], ["c"]),
        staged("G", ["c"], []),
        staged("H", ["d"], ["d"]),
    ]
    again = _leaning_on_rejected(batch, {"D": "rejected by the test"})
    assert [p.name for p in again] == ["E", "F", "G"]
    assert _leaning_on_rejected(batch, {}) == []


def test_lanes_keep_a_mission_a_key_and_identical_bytes_in_run_order(tmp_path):
    """Files that may depend on each other share a lane, in run order; others go side by side."""
    from ingest.deliveries import _lanes

    def file(name: str, size: int) -> Path:
        path = tmp_path / name
        path.write_bytes(b"x" * size)
        return path

    paths = [
        file("OIM_ML_cases_2019-01.csv", 10),
        file("OIM_NE_cases_2019-01.csv", 11),
        file("OIM_ML_cases_2019-02_v2.csv", 12),
        file("OIM_ML_cases_2019-02.csv", 13),
        file("OIM_BF_cases_2019-01.csv", 14),
        file("OIM_NE_cases_2019-02.csv", 14),  # same size as BF's: the same bytes, maybe
        file("not an export.csv", 50),
    ]
    lanes = _lanes(load_contract("iom"), paths, iom.mission_of)
    assert sorted(lanes) == [[0, 2, 3], [1, 4, 5], [6]]
    assert lanes[0] == [6]  # the most bytes first


def test_threads_load_what_one_thread_loads(small_sample, tmp_path, monkeypatch):
    """Two missions staged side by side: the same bronze, row lists, quarantine and records
    as one file after the other."""
    files = [
        f
        for mission in ("ML", "NE", "BF")
        for f in sorted((small_sample / "iom").glob(f"OIM_{mission}_cases_2019-0[1-4]*.csv"))
    ]

    def load(threads: int) -> tuple[dict, dict]:
        monkeypatch.setenv("SLC_INGEST_THREADS", str(threads))
        with temporary_home(tmp_path / f"warehouse-{threads}") as settings:
            records = _load(settings, files)
            tables = {
                folder: pl.concat(
                    [
                        pl.read_parquet(p).drop("_ingested_at")
                        for p in sorted(root.glob("*.parquet"))
                    ]
                    or [pl.DataFrame()],
                    how="diagonal_relaxed",
                ).sort(pl.all())
                for folder, root in {
                    "states": settings.bronze("iom"),
                    "rows": settings.bronze("iom") / MEMBERS,
                    "quarantine": settings.quarantine("iom"),
                }.items()
            }
            outcome = {
                r.file_name: (r.status, r.rows_read, r.rows_bronze, r.rows_quarantined)
                for r in records
            }
            return tables, outcome

    one_tables, one_outcome = load(1)
    two_tables, two_outcome = load(2)
    assert len(one_outcome) == len(files) and one_tables["rows"].height
    assert one_outcome == two_outcome
    for name, table in one_tables.items():
        assert table.equals(two_tables[name]), name


def test_a_batch_that_fails_refuses_its_exports_and_later_ones_store_their_own_rows(
    small_sample, tmp_path, monkeypatch
):
    """Typing the second export's batch raises: that export is refused naming the error,
    the first stays loaded, and the third, which lists the second's states, stores them."""
    from ingest import export_lane

    typed = export_lane.type_rows
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("typing broke")
        return typed(*args, **kwargs)

    monkeypatch.setattr(export_lane, "BATCH_NEW_ROWS", 1)  # one batch per export
    monkeypatch.setattr(export_lane, "type_rows", second_fails)
    files = _exports(small_sample, 3)
    with temporary_home(tmp_path / "warehouse") as settings:
        records = _load(settings, files)
        assert [r.status for r in records] == ["loaded", "rejected", "loaded"]
        assert "typing broke" in (records[1].error or "")
        assert (settings.landing("iom") / "rejected" / files[1].name).exists()
        stored = pl.concat([pl.read_parquet(r.bronze_file) for r in (records[0], records[2])])
        for record, path in ((records[0], files[0]), (records[2], files[2])):
            listed = pl.read_parquet(settings.bronze("iom") / MEMBERS / f"{record.sha256}.parquet")
            assert listed[FINGERPRINT].is_in(stored[FINGERPRINT].implode()).all(), path.name
            _same_rows(_rebuilt(settings, record.sha256), _whole(path))


def test_files_loaded_again_keep_their_missions_lane(small_sample, tmp_path, monkeypatch):
    """The second pass groups files by mission as the first does: grouped by size alone,
    two threads stored some states twice."""
    from ingest import deliveries

    scopes = []
    lanes = deliveries._lanes

    def spy(contract, paths, scope_of=None):
        scopes.append(scope_of)
        return lanes(contract, paths, scope_of)

    monkeypatch.setattr(deliveries, "_lanes", spy)
    with temporary_home(tmp_path / "warehouse") as settings:
        records = _load(settings, _exports(small_sample, 3), gate=_RejectFirst())
        assert [r.status for r in records].count("loaded") == 2
    assert len(scopes) == 2 and all(scope is iom.mission_of for scope in scopes)
