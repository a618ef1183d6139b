"""The marts' GX gates: each domain rule of expectations/domain_rules.yml fails on a frame
that breaks it and passes on one that keeps it; a Frontex release that loses most of the
series is stopped before publishing and the published files keep their bytes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from expectations.rules import gate_frame
from expectations.runner import columns_read
from expectations.suites.marts import GRAINS, mart_expectations, rules, validate_mart
from orchestration.assets.quality import MARTS, variance_warnings


def _outcome(tmp_path: Path, mart: str, frame: pl.DataFrame, previous: int | None = None):
    """The gate as the step runs it: only the columns its expectations read."""
    return validate_mart(
        mart,
        frame.columns,
        frame.height,
        frame.select,
        previous_rows=previous,
        home=tmp_path / "gx",
        data_docs=tmp_path / "docs",
    )


def _gate(tmp_path: Path, mart: str, frame: pl.DataFrame, previous: int | None = None):
    outcome = _outcome(tmp_path, mart, frame, previous)
    return outcome.success, " | ".join(str(f) for f in outcome.failures)


def _events(amount: float = 52000.0, day: date = date(2020, 3, 1)) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_id": ["MLI:1:arrival_allowance", "MLI:1:kit"],
            "mission_iso3": ["MLI", "MLI"],
            "event_type": ["arrival_allowance", "kit"],
            "event_date": [day, date(2020, 5, 1)],
            "amount_xof": [amount, 650000.0],
        }
    )


def test_every_mart_has_a_gate():
    assert {"fct_returns", "mart_report_figures", "dim_country", "fct_kits"} <= set(MARTS)


def test_the_arrival_allowance_is_52000_fcfa(tmp_path: Path):
    assert _gate(tmp_path, "fct_assistance_events", _events())[0]
    ok, why = _gate(tmp_path, "fct_assistance_events", _events(amount=51000.0))
    assert not ok and "expect_column_values_to_be_in_set" in why and "amount_xof" in why


def test_dates_outside_the_programme_or_in_the_future_fail(tmp_path: Path):
    ok, why = _gate(tmp_path, "fct_assistance_events", _events(day=date(2031, 1, 1)))
    assert not ok and "event_date" in why
    ok, why = _gate(tmp_path, "fct_assistance_events", _events(day=date(2014, 12, 31)))
    assert not ok and "event_date" in why


def test_ejom_tranches_and_training_days(tmp_path: Path):
    kit, share = rules()["ejom_kit_xof"], rules()["ejom_first_tranche_share"]
    kits = pl.DataFrame(
        {
            "country_iso3": ["MLI", "MLI"],
            "activity_type": ["kit_tranche", "kit_tranche"],
            "tranche": [1, 2],
            "disbursed_date": [date(2019, 1, 5), date(2019, 6, 5)],
            "amount_xof": [float(round(kit * share)), float(round(kit * (1 - share)))],
        }
    )
    assert _gate(tmp_path, "fct_kits", kits)[0]
    wrong = kits.with_columns(pl.lit(150000.0).alias("amount_xof"))
    assert not _gate(tmp_path, "fct_kits", wrong)[0]
    trainings = pl.DataFrame(
        {
            "country_iso3": ["MLI", "MLI"],
            "partner_id": ["snv", "iom"],
            "activity_type": ["technical", "training"],
            "start_date": [date(2019, 1, 7), date(2019, 1, 7)],
            "duration_days": [5, 61],
        }
    )
    assert _gate(tmp_path, "fct_trainings", trainings)[0]
    short = trainings.with_columns(pl.Series("duration_days", [4, 61]))
    ok, why = _gate(tmp_path, "fct_trainings", short)
    assert not ok and "duration_days" in why


def test_no_mart_may_carry_an_identifier_column(tmp_path: Path):
    """The gate reads no value of `phone`; GX sees its name, which is enough to fail."""
    frame = _events().with_columns(pl.lit("+22376000000").alias("phone"))
    outcome = _outcome(tmp_path, "fct_assistance_events", frame)
    assert "phone" not in outcome.columns_read and not outcome.success
    assert "expect_table_columns_to_match_set" in str(outcome.failures)


def test_a_gate_reads_only_the_columns_its_expectations_read(tmp_path: Path):
    """Column arguments and the names in row conditions; the rest stays in the database."""
    frame = _events().with_columns(
        pl.lit("MLI:1").alias("case_key"), pl.lit("counselling").alias("detail")
    )
    expectations = mart_expectations("fct_assistance_events", frame.columns, None)
    read = ["mission_iso3", "event_type", "event_date", "amount_xof"]
    assert columns_read(expectations, frame.columns) == read
    outcome = _outcome(tmp_path, "fct_assistance_events", frame)
    assert outcome.success and list(outcome.columns_read) == read
    # A mart none of whose values are checked still has its rows counted.
    assert not _gate(tmp_path, "dim_partner", pl.DataFrame({"partner_id": ["snv"]}), 10)[0]


def test_dates_are_compared_as_nanoseconds_unless_one_does_not_fit(tmp_path: Path):
    """GX compares datetime64[ns] columns as arrays, others value by value: a year-9999
    typo keeps microseconds (no overflow, no null) and still fails the window."""
    frame = gate_frame(_events())
    assert frame.schema["event_date"] == pl.Datetime("ns")
    typo = _events(day=date(9999, 12, 31))
    assert gate_frame(typo).schema["event_date"] == pl.Datetime("us")
    ok, why = _gate(tmp_path, "fct_assistance_events", typo)
    assert not ok and "event_date" in why


def test_every_grain_the_gates_leave_to_dbt_is_a_dbt_unique_test():

    from orchestration.assets.dbt import dbt_graph

    manifest = dbt_graph.manifest
    unique = {
        (node["attached_node"].split(".")[-1], node["column_name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("test_metadata", {}).get("name") == "unique"
        and node.get("attached_node")
    }
    assert set(GRAINS.items()) <= unique


@pytest.mark.parametrize(("rows", "passes"), [(850, True), (790, False)])
def test_a_mart_that_loses_rows_since_the_last_publish_is_stopped(tmp_path, rows, passes):
    frame = pl.DataFrame({"country_iso3": ["MLI"] * rows})
    assert _gate(tmp_path, "dim_partner", frame, previous=1000)[0] is passes


def test_a_numerator_never_exceeds_its_denominator(tmp_path: Path):
    figures = pl.DataFrame(
        {
            "figure_key": ["a", "b"],
            "unit": ["share", "people"],
            "numerator": [3.0, 12.0],
            "denominator": [4.0, None],
            "value": [0.75, 12.0],
            "as_of": [date(2021, 2, 28)] * 2,
        }
    )
    assert _gate(tmp_path, "mart_report_figures", figures)[0]
    broken = figures.with_columns(pl.Series("numerator", [5.0, 12.0]))
    ok, why = _gate(tmp_path, "mart_report_figures", broken)
    assert not ok and "numerator" in why


def test_reconciliation_variance_names_the_actions():
    frame = pl.DataFrame(
        {
            "iati_id": ["T05-EUTF-SAH-ML-07-02", "T05-EUTF-SAH-NE-05-01"],
            "indicator_code": ["3.4", "3.5"],
            "computed_value": [3208.0, 900.0],
            "reported_value": [3208.0, 1000.0],
            "variance_pct": [0.0, -10.5],
        }
    )
    assert variance_warnings(frame, 10) == [
        "T05-EUTF-SAH-NE-05-01 3.5: computed 900, reported 1000 (-10.5%)"
    ]


def test_data_docs_keep_the_newest_results_of_each_suite(tmp_path: Path):
    """Rendering reads every stored result: old ones are pruned, newest kept, pages too."""
    from expectations.runner import prune_results, render_data_docs

    home, docs = tmp_path / "gx", tmp_path / "docs"
    for _ in range(3):
        _gate(tmp_path, "fct_assistance_events", _events())
    _gate(tmp_path, "fct_kits", pl.DataFrame({"kit_id": ["1"]}))
    render_data_docs(home=home, data_docs=docs)
    store = home / "gx" / "uncommitted" / "validations"

    def results(suite: str) -> list[str]:
        return sorted(p.parent.name for p in (store / suite).rglob("*.json"))

    newest = results("fct_assistance_events")[-2:]
    assert len(results("fct_assistance_events")) == 3
    removed = prune_results(home=home, data_docs=docs, keep=2)
    assert len(removed) == 1
    assert results("fct_assistance_events") == newest
    assert len(results("fct_kits")) == 1
    pages = sorted(p.parent.name for p in (docs / "validations").rglob("*.html"))
    assert removed[0].name not in pages and set(newest) <= set(pages)


def test_a_run_renders_its_own_pages_not_the_whole_site(tmp_path: Path):
    """Rendering every stored result grows with the history: a step renders its results."""
    from expectations.runner import render_data_docs

    home, docs = tmp_path / "gx", tmp_path / "docs"

    def outcome(mart: str, frame: pl.DataFrame):
        return _outcome(tmp_path, mart, frame)

    earlier = outcome("fct_assistance_events", _events())
    later = outcome("fct_kits", pl.DataFrame({"kit_id": ["1"]}))
    render_data_docs(home=home, data_docs=docs, outcomes=[later])

    def pages(suite: str) -> list[Path]:
        return list((docs / "validations" / suite).rglob("*.html"))

    assert pages("fct_kits") and not pages("fct_assistance_events")
    assert (docs / "index.html").exists() and earlier.result_id is not None
    render_data_docs(home=home, data_docs=docs)  # the whole site
    assert pages("fct_assistance_events")
