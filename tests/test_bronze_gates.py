"""The bronze gates: a delivery whose values break a domain rule is refused before it is
accepted, nothing of it reaches bronze, and the published warehouse does not change."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from slc_samples.writers import write_xlsx

from ingest import ejom, iom, kobo
from ingest.contracts import load_contract
from ingest.registry import corrected_by, read_registry
from orchestration.keys import BRONZE_GATE
from tests.conftest import run_refresh, temporary_home
from tests.test_pipeline import published_fingerprint


def _ejom_kits_off(sample: Path, folder: Path) -> Path:
    """A re-sent kit export whose tranches are paid at 90% of the rule (63% / 27%)."""
    source = sorted((sample / "ejom").glob("EJOM_kits_2019-0*.xlsx"))[0]
    grid = pl.read_excel(source, sheet_name="Raw Data", has_header=False, infer_schema_length=0)
    header = [str(v) for v in grid.row(1)]
    data = grid.slice(2)
    data.columns = header
    (amount,) = [c for c in header if "Montant" in c]
    data = data.with_columns((pl.col(amount).cast(pl.Float64) * 0.9).cast(pl.String))
    target = folder / source.name.replace(".xlsx", "_v9.xlsx")
    titles = [[v or "" for v in grid.row(0)]]
    write_xlsx(target, {"Raw Data": data}, title_rows={"Raw Data": titles})
    return target


def _iom_arrivals_in_2031(sample: Path, folder: Path) -> Path:
    """A re-sent Mali export where five arrival dates are in 2031."""
    source = sorted((sample / "iom").glob("OIM_ML_cases_2019-0*.csv"))[0]
    frame = pl.read_csv(
        source.read_text(encoding="utf-8-sig").encode(), separator=";", infer_schema=False
    )
    headers = load_contract("iom").column("arrival_date").headers.values()
    (arrival,) = [c for c in frame.columns if c in headers]
    first = frame.with_row_index().filter(pl.col(arrival).is_not_null())["index"].head(5)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in(first.implode()))
        .then(pl.col(arrival).str.replace(r"20\d\d", "2031"))
        .otherwise(pl.col(arrival))
        .alias(arrival)
    )
    target = folder / source.name.replace(".csv", "_v9.csv")
    frame.write_csv(target, separator=";")
    return target


def _kobo_impossible_ages(sample: Path, folder: Path) -> Path:
    """A Mali survey export re-sent (`_v2`, as CSV) with five respondents aged 150: the
    reader types them (the form sets no bounds), the bronze gate refuses them."""
    source = sorted((sample / "kobo").glob("TPML_returnee_MLI_*.xlsx"))[0]
    grid = pl.read_excel(source, infer_schema_length=0)  # the submissions' sheet comes first
    age = next(
        c
        for c in grid.columns
        if c.split("/")[-1].strip() in ("age", "Âge (années)", "Age (years)")
    )
    answered = pl.col(age).str.contains(r"^\d+$").fill_null(False)  # not kpi's tag row
    first_five = answered & (answered.cast(pl.Int32).cum_sum() <= 5)
    grid = grid.with_columns(
        pl.when(first_five).then(pl.lit("150")).otherwise(pl.col(age)).alias(age)
    )
    target = folder / source.with_suffix("").name
    target = target.with_name(f"{target.name}_v2.csv")
    grid.write_csv(target, separator=";")
    return target


@pytest.fixture
def copied_partners(partner_warehouse, tmp_path: Path):
    settings, sample, *_ = partner_warehouse
    home = tmp_path / "warehouse"
    shutil.copytree(settings.home, home, symlinks=True)
    with temporary_home(home) as copied:
        yield copied, sample


def test_corrupted_deliveries_fail_their_gates_and_publish_nothing(
    copied_partners, tmp_path: Path, capsys: pytest.CaptureFixture
):
    settings, sample = copied_partners
    made = tmp_path / "made"
    made.mkdir()
    corrupted = {
        "ejom": _ejom_kits_off(sample, made),
        "iom": _iom_arrivals_in_2031(sample, made),
        "kobo": _kobo_impossible_ages(sample, made),
    }
    # The corrupted files parse: it is their values, not their shape, that are wrong.
    assert ejom.parse(corrupted["ejom"].read_bytes(), corrupted["ejom"].name).bronze.height
    arrivals = iom.parse(corrupted["iom"].read_bytes(), corrupted["iom"].name).bronze
    assert (arrivals["arrival_date"].dt.year() == 2031).sum() == 5
    survey = kobo.parse(corrupted["kobo"].read_bytes(), corrupted["kobo"].name)
    assert (survey.bronze["age"] == 150).sum() == 5  # typed: the gate must refuse them
    assert "age" not in set(survey.quarantine["_column"].to_list())
    before = published_fingerprint(settings)
    bronze_before = {f: sorted(settings.bronze(f).rglob("*.parquet")) for f in corrupted}
    for feed, path in corrupted.items():
        shutil.copyfile(path, settings.landing(feed) / path.name)

    result = run_refresh()

    assert not result.success
    failed = {
        e.asset_check_evaluation_data.asset_key.path[-1]: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
        and e.asset_check_evaluation_data.check_name == BRONZE_GATE
    }
    assert {"iom_cases", "ejom_forms", "kobo_surveys"} <= set(failed)
    assert all(failed[k].severity.value == "ERROR" for k in ("iom_cases", "ejom_forms"))
    materialized = {
        e.asset_key.path[0]
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert materialized == {"bronze"}, "nothing after bronze ran"
    expected = {
        "ejom": ("bronze_ejom_kits", "expect_column_values_to_be_in_set", "'amount_xof'"),
        "iom": ("bronze_iom_dates", "expect_column_values_to_be_between", "field=arrival_date"),
        "kobo": ("bronze_kobo_submissions", "expect_column_values_to_be_between", "'age'"),
    }
    for feed, path in corrupted.items():
        error = (settings.rejected(feed) / f"{path.name}.error.txt").read_text(encoding="utf-8")
        assert error.startswith(path.name), error
        for part in expected[feed]:
            assert part in error, (part, error)
        assert not (settings.landing(feed) / path.name).exists()
        assert sorted(settings.bronze(feed).rglob("*.parquet")) == bronze_before[feed]
    assert "2031-" in (settings.rejected("iom") / f"{corrupted['iom'].name}.error.txt").read_text()
    assert (
        "age=150" in (settings.rejected("kobo") / f"{corrupted['kobo'].name}.error.txt").read_text()
    )
    records = {r.file_name: r for r in read_registry(settings)}
    assert all(records[p.name].status == "rejected" for p in corrupted.values())
    assert published_fingerprint(settings) == before
    # The Dagster check says why, and so does `slc status`.
    assert "bronze_ejom_kits" in failed["ejom_forms"].description
    from orchestration.cli import main

    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    for feed, path in corrupted.items():
        assert f"REFUSED {feed} {path.name}" in out
    assert "bronze_iom_dates: expect_column_values_to_be_between" in out


def test_a_rejected_delivery_replaced_by_its_correction_is_a_warning(partner_warehouse):
    """The sample's IOM exports sent first with a few allowances typed 5,200 instead of
    52,000, then corrected as _v2: the first is refused by the gate, the run goes on."""
    settings, _, _, result, _ = partner_warehouse
    rejected = [r for r in read_registry(settings) if r.status == "rejected"]
    slips = [r for r in rejected if "arrival_allowance_xof" in (r.error or "")]
    assert slips, "the sample has corrected redeliveries before 2019-08"
    for slip in slips:
        assert re.search(r"arrival_allowance_xof=5200\.0", slip.error)
        assert corrected_by(settings, slip) == slip.file_name.replace(".", "_v2.", 1)
    assert result.success
    warned = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.asset_key.path[-1] == "iom_cases"
        and e.asset_check_evaluation_data.check_name == BRONZE_GATE
    ]
    assert [(w.passed, w.severity.value) for w in warned] == [(False, "WARN")]


def test_every_feed_has_a_bronze_suite():
    from expectations.bronze import checks_of
    from ingest.settings import FEEDS

    for feed in FEEDS:
        assert checks_of(feed), feed


def test_the_gate_judges_each_delivery_of_a_batch(tmp_path: Path, monkeypatch):
    """Rows shared by several deliveries are validated once, and every unexpected row is
    traced to the files that hold it, however often the gate compacts its rows."""
    from datetime import datetime

    import expectations.bronze as bronze

    monkeypatch.setattr(bronze, "COMPACT_EVERY", 1)  # compact at every delivery

    def survey(country: str, ages: list[int]) -> pl.DataFrame:
        start = datetime(2020, 11, 3, 10)
        return pl.DataFrame(
            {
                "country": [country] * len(ages),
                "cycle": [3] * len(ages),
                "age": ages,
                "start": [start] * len(ages),
                "end": [start.replace(hour=11)] * len(ages),
            }
        )

    gate = bronze.BronzeGate("kobo", home=tmp_path, data_docs=tmp_path / "docs")
    gate.add("good.csv", survey("MLI", [20, 30, 40]), {})
    gate.add("old.csv", survey("MLI", [20, 120, 120, 30]), {})
    gate.add("nowhere.csv", survey("XXX", [20, 30]), {})
    gate.add("also_good.csv", survey("MLI", [30, 40]), {})
    verdicts = gate.verdicts()
    assert set(verdicts) == {"old.csv", "nowhere.csv"}
    assert "on column 'age': 2 row(s) of this file, e.g. age=120" in verdicts["old.csv"]
    assert (
        "on column 'country': 2 row(s) of this file, e.g. country=XXX" in (verdicts["nowhere.csv"])
    )
    assert "'age'" not in verdicts["nowhere.csv"]
