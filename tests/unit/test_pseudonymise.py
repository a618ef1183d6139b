"""Pseudonymisation: same person, same key, across spellings; no key, no loading."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ingest.pseudonymise import (
    MissingKey,
    create_key_file,
    load_key,
    person_pseudonym,
    pseudonym,
    pseudonymise,
)

COLUMNS = {
    "first_name": "name",
    "last_name": "name",
    "date_of_birth": "date_of_birth",
    "phone": "phone",
    "document_number": "document",
}
KEY = b"0123456789abcdef0123456789abcdef"


def test_the_same_person_written_two_ways_gets_the_same_keys():
    iom = pl.DataFrame(
        {
            "first_name": ["Moussa"],
            "last_name": ["Keïta"],
            "date_of_birth": [dt.date(1990, 1, 2)],
            "phone": ["+223 76 12 34 56"],
            "document_number": ["ML 1234567"],
        }
    )
    ejom = pl.DataFrame(
        {
            "first_name": [" moussa"],
            "last_name": ["KEITA"],
            "date_of_birth": ["1990-01-02"],
            "phone": ["0022376123456"],
            "document_number": ["ml-1234567"],
        }
    )
    a, b = pseudonymise(iom, COLUMNS, KEY), pseudonymise(ejom, COLUMNS, KEY)
    assert a.rows() == b.rows()
    assert "person_key" in a.columns and not set(COLUMNS) & set(a.columns)


def test_different_people_and_different_keys_differ():
    frame = pl.DataFrame(
        {
            "first_name": ["Awa", "Awa"],
            "last_name": ["Diarra", "Diallo"],
            "date_of_birth": ["1995-05-05", "1995-05-05"],
            "phone": ["76000001", "76000002"],
        }
    )
    out = pseudonymise(frame, COLUMNS, KEY)
    assert out["person_key"].n_unique() == 2
    other = pseudonymise(frame, COLUMNS, b"another key of thirty-two bytes!!")
    assert other["person_key"].to_list() != out["person_key"].to_list()


def test_no_raw_value_survives():
    frame = pl.DataFrame(
        {
            "first_name": ["Fatoumata"],
            "last_name": ["Sissoko"],
            "date_of_birth": ["1988-03-04"],
            "phone": ["+223 66554433"],
            "age": [33],
        }
    )
    text = str(pseudonymise(frame, COLUMNS, KEY).rows())
    for raw in ("Fatoumata", "Sissoko", "1988", "66554433"):
        assert raw not in text
    assert pseudonymise(frame, COLUMNS, KEY)["age"].to_list() == [33]


def test_a_missing_key_is_an_error_never_a_default(tmp_path):
    with pytest.raises(MissingKey, match="SLC_PSEUDONYM_KEY"):
        load_key({})
    with pytest.raises(MissingKey, match="no such key file"):
        load_key({"SLC_PSEUDONYM_KEY_FILE": str(tmp_path / "absent.key")})
    path = create_key_file(tmp_path / "keys" / "slc.key")
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_key({"SLC_PSEUDONYM_KEY_FILE": str(path)}) == path.read_bytes().strip()
    assert (
        create_key_file(path) == path
        and load_key({"SLC_PSEUDONYM_KEY_FILE": str(path)}) == path.read_bytes().strip()
    )


TRICKY = {
    "first_name": ["Moussa", " moussa\t", "Œdipe", "N'Golo", "", None, "Ça va-t-il", "  "],
    "last_name": ["Keïta", "KEITA", "Kéïta  Jr.", "DIALLO", "Sy", "Ba", None, "Traoré"],
    "date_of_birth": ["1990-01-02", " 1990-01-02 ", "1990-01-02T00:00:00", "", None, "x", "1", "2"],
    "phone": [
        "+223 76 12 34 56",
        "0022376123456",
        "76123456",
        "00221 77 123 45 67",
        "223 7612",
        "",
        None,
        "(+227) 90-00-00-00",
    ],
    "document_number": ["ML 1234567", "ml-1234567", "Çé-12", None, "", "--", "A", "b 2"],
}


#: Both ways of computing HMACs: DuckDB (every batch) and Python (the default, small ones).
BOTH_WAYS = pytest.mark.parametrize("small_batch", [0, 5_000], ids=["duckdb", "python"])


@BOTH_WAYS
@pytest.mark.parametrize("key", [KEY, b"k" * 100])  # a key above 64 bytes is hashed first
def test_whole_columns_get_what_the_reference_gives_value_by_value(
    key: bytes, small_batch: int, monkeypatch
):
    monkeypatch.setattr("ingest.pseudonymise.SMALL_BATCH", small_batch)
    frame = pl.DataFrame(TRICKY)
    out = pseudonymise(frame, COLUMNS, key)
    for column, kind in COLUMNS.items():
        expected = [pseudonym(key, kind, v) for v in TRICKY[column]]
        assert out[f"{column}_pseudonym"].to_list() == expected, column
    persons = [
        None if None in row else person_pseudonym(key, *row)
        for row in zip(
            TRICKY["first_name"], TRICKY["last_name"], TRICKY["date_of_birth"], strict=True
        )
    ]
    assert out["person_key"].to_list() == persons
    assert out["person_key"][0] == out["person_key"][1] is not None


@BOTH_WAYS
def test_sample_people_get_what_the_reference_gives(small_sample, small_batch: int, monkeypatch):
    from ingest import ejom, iom

    monkeypatch.setattr("ingest.pseudonymise.SMALL_BATCH", small_batch)
    path = sorted((small_sample / "iom").glob("OIM_ML_cases_2019-*.csv"))[-1]
    people = iom.parse(path.read_bytes(), path.name).bronze.head(3000)
    path = sorted((small_sample / "ejom").glob("EJOM_registration_*.xlsx"))[-1]
    people = pl.concat(
        [people, ejom.parse(path.read_bytes(), path.name).bronze], how="diagonal_relaxed"
    ).select(*COLUMNS)
    out = pseudonymise(people, COLUMNS, KEY)
    for column, kind in COLUMNS.items():
        expected = [pseudonym(KEY, kind, v) for v in people[column].to_list()]
        assert out[f"{column}_pseudonym"].to_list() == expected, column


def test_pseudonyms_are_the_same_after_a_step_releases_its_memory(monkeypatch):
    """The end of a heavy step closes the in-memory database (orchestration.memory); the
    next delivery opens another one and gets the same pseudonyms."""
    import ingest.pseudonymise as module
    from orchestration.memory import release_memory

    monkeypatch.setattr("ingest.pseudonymise.SMALL_BATCH", 0)  # through DuckDB
    frame = pl.DataFrame(TRICKY)
    before = pseudonymise(frame, COLUMNS, KEY)
    assert module._MEMORY is not None
    release_memory()
    assert module._MEMORY is None
    assert pseudonymise(frame, COLUMNS, KEY).equals(before)
    assert module._MEMORY is not None


def test_a_step_collects_all_its_garbage_only_when_the_process_is_large(monkeypatch):
    """A full collection costs 0.3-0.4 s in a run process: release_memory makes one only
    above the resident-size threshold, and the young generations otherwise."""
    import gc

    import orchestration.memory as memory

    collected: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collected.append(info["generation"])

    automatic = gc.isenabled()
    gc.disable()  # only the collections release_memory asks for
    gc.callbacks.append(seen)
    try:
        monkeypatch.setattr(memory, "FULL_COLLECTION_ABOVE_BYTES", 1 << 50)
        memory.release_memory()
        small = list(collected)
        collected.clear()
        monkeypatch.setattr(memory, "FULL_COLLECTION_ABOVE_BYTES", 0)
        memory.release_memory()
        large = list(collected)
    finally:
        gc.callbacks.remove(seen)
        if automatic:
            gc.enable()
    assert memory.resident_bytes() > 0
    assert 1 in small and 2 not in small
    assert 2 in large


def test_the_age_at_the_event_stays_and_the_date_of_birth_goes():
    frame = pl.DataFrame(
        {
            "first_name": ["Awa", "Awa", "Awa", "Awa"],
            "date_of_birth": [dt.date(1995, 3, 12)] * 3 + [None],
            "arrival_date": [dt.date(2020, 3, 11), dt.date(2020, 3, 12), None, dt.date(2020, 1, 1)],
            "departure_date": [None, None, dt.date(2021, 1, 1), None],
        }
    )
    ages = {"date_of_birth": ("arrival_date", "departure_date")}
    out = pseudonymise(frame, COLUMNS, KEY, ages)
    assert out["age_at_event"].to_list() == [24, 25, 25, None]
    assert "date_of_birth" not in out.columns and out["age_at_event"].dtype == pl.Int64
