"""A lane of cumulative exports typed in batches (ingest.export_lane): where the batches
end changes nothing, each state is stored once, and a row that cannot be typed is
quarantined in every export that lists it."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

from ingest import export_lane, iom
from ingest.contracts import load_contract
from ingest.cumulative import MEMBERS, KnownRows
from ingest.delivery_types import ParsedDelivery
from tests.unit.test_feed_readers import IOM_ROWS, _iom_csv, _reasons

KEY = b"k" * 32
IOM = load_contract("iom")
#: Monthly exports, each repeating the last: the second adds only rows that cannot be typed.
MONTHS = {
    "OIM_ML_cases_2020-01.csv": IOM_ROWS[:5],
    "OIM_ML_cases_2020-02.csv": IOM_ROWS[:10],
    "OIM_ML_cases_2020-03.csv": IOM_ROWS,
}


def _content(name: str) -> bytes:
    return _iom_csv(MONTHS[name], "fr", ",", "utf-8")


def _lane(settings, batch_rows: int, monkeypatch) -> dict[str, ParsedDelivery]:
    monkeypatch.setattr(export_lane, "BATCH_NEW_ROWS", batch_rows)
    lane = export_lane.ExportLane(IOM, KnownRows(settings, KEY, IOM, iom.mission_of), None)
    done = []
    for name in MONTHS:
        done += lane.add(name, iom.read_export(_content(name), name))
    return dict(done + lane.finish())


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(sorted(frame.columns)).sort("_source_row")


@pytest.mark.parametrize("batch_rows", [1, 3])
def test_where_batches_end_changes_nothing(settings, monkeypatch, batch_rows):
    whole = _lane(settings, 10**9, monkeypatch)
    batched = _lane(settings, batch_rows, monkeypatch)
    assert list(batched) == list(MONTHS)
    for name, parsed in whole.items():
        other = batched[name]
        assert _sorted(other.bronze).equals(_sorted(parsed.bronze)), name
        assert _sorted(other.quarantine).equals(_sorted(parsed.quarantine)), name
        assert _sorted(other.related[MEMBERS]).equals(_sorted(parsed.related[MEMBERS])), name


def test_each_state_is_stored_once_and_bad_rows_are_quarantined_in_every_export(
    settings, monkeypatch
):
    lane = _lane(settings, 1, monkeypatch)
    # Cases 1 and 2 first, nothing new that can be typed, then case 9.
    assert [p.bronze.height for p in lane.values()] == [2, 0, 1]
    assert Counter(case for p in lane.values() for case in p.bronze["case_id"]) == Counter(
        {"ML-2020-000001": 1, "ML-2020-000002": 1, "ML-2020-000009": 1}
    )
    for name, parsed in lane.items():
        alone = iom.parse(_content(name), name)  # every row typed, as if loaded whole
        assert _reasons(parsed.quarantine) == _reasons(alone.quarantine), name
        assert parsed.rows_read == parsed.related[MEMBERS].height + parsed.quarantine.height
        assert set(parsed.quarantine["_source_row"]).isdisjoint(
            parsed.related[MEMBERS]["_source_row"]
        )


def test_another_missions_export_in_the_same_lane_stores_its_own_states(settings, monkeypatch):
    """Files of two missions may share a lane (same size): states are per mission."""
    monkeypatch.setattr(export_lane, "BATCH_NEW_ROWS", 10**9)
    lane = export_lane.ExportLane(IOM, KnownRows(settings, KEY, IOM, iom.mission_of), None)
    mali, niger = "OIM_ML_cases_2020-03.csv", "OIM_NE_cases_2020-03.csv"
    lane.add(mali, iom.read_export(_content(mali), mali))
    lane.add(niger, iom.read_export(_content(mali), niger))
    done = dict(lane.finish())
    assert done[mali].bronze.height == done[niger].bronze.height == 3
    assert set(done[niger].bronze["mission"]) == {"NER"}
    assert _reasons(done[niger].quarantine) == _reasons(done[mali].quarantine)
