"""Partner reporting rates on the partner sample: the late and refused deliveries the generator
injected (its dirt manifest) are exactly the late periods and refused files the registry, the
published mart_reporting_rates and `slc status --rates` report."""

from __future__ import annotations

import json

import duckdb
import pytest

from ingest.registry import read_registry
from ingest.reporting_rates import period_reports, place


def _injected(sample, kind: str, landed: set[str]) -> dict[str, dict]:
    dirt = json.loads((sample / "dirt_manifest.json").read_text(encoding="utf-8"))
    return {e["file"]: e for e in dirt["entries"] if e["kind"] == kind and e["file"] in landed}


def _feed_of(sample, name: str) -> str:
    (path,) = [p for p in sample.glob(f"*/{name}") if p.parent.name != "truth"]
    return path.parent.name


def test_reporting_rates_reflect_the_injected_late_and_refused_deliveries(
    partner_warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    settings, sample, landed, _, _ = partner_warehouse
    names = {p.name for p in landed}
    late = _injected(sample, "late_delivery", names)
    refused = _injected(sample, "refused_delivery", names)
    assert late and refused, "the replayed sample has late and refused deliveries"

    records = read_registry(settings)
    periods = period_reports(records)
    late_periods = {
        (feed, series, period)
        for feed, series, period in periods.filter(timeliness="late")
        .select("feed", "series", "period")
        .iter_rows()
    }
    expected_late = set()
    for name in late:
        feed = _feed_of(sample, name)
        placed = place(feed, name)
        assert placed is not None, name
        expected_late.add((feed, placed[0], placed[1]))
    assert late_periods == expected_late

    assert {r.file_name for r in records if r.status == "rejected"} == set(refused)
    for name, entry in refused.items():
        feed = _feed_of(sample, name)
        series, period, _ = place(feed, name) or (None, None, None)
        (row,) = periods.filter(feed=feed, series=series, period=period).iter_rows(named=True)
        assert row["files_refused"] == 1 and row["is_corrected"], name
        assert row["refusal_reasons"] == entry["reason"]

    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        mart = con.execute(
            "select sum(late), sum(refused), sum(expected), sum(received), sum(missing)"
            " from marts.mart_reporting_rates"
        ).fetchone()
    finally:
        con.close()
    expected = periods.filter(is_expected=True)
    missing = expected.filter(timeliness="missing").height
    assert mart == (
        len(expected_late),
        len(refused),
        expected.height,
        expected.height - missing,
        missing,
    )

    from orchestration.cli import main

    monkeypatch.setenv("SLC_HOME", str(settings.home))
    capsys.readouterr()
    assert main(["status", "--rates"]) == 0
    out = capsys.readouterr().out
    (iom,) = [
        line for line in out.splitlines() if line.startswith("  iom ") and "expected," in line
    ]
    assert f"{sum(f == 'iom' for f, _, _ in expected_late)} late" in iom
    assert f"{sum(_feed_of(sample, n) == 'iom' for n in refused)} refused" in iom
