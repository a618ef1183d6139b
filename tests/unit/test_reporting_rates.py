"""Partner reporting rates (ingest/reporting_rates.py): the rules on registry lines made here."""

from __future__ import annotations

from datetime import date

import polars as pl

from ingest.registry import DeliveryRecord
from ingest.reporting_rates import period_reports, refusal_reason, summary


def _line(feed: str, name: str, landed: str, status: str = "loaded", error: str | None = None):
    return DeliveryRecord(
        feed=feed,
        file_name=name,
        sha256=name,
        delivery_key=None,
        received_at="2030-01-01T00:00:00+00:00",
        status=status,
        error=error,
        landed_at=f"{landed}T12:00:00+00:00",
    )


GATE = (
    "OIM_ML_cases_2020-02.csv: failed the bronze quality gate (2 expectations): "
    "expect_column_values_to_be_in_set on column 'arrival_allowance_xof' (3 rows)"
)

IOM = [
    # Mali: January on time, February refused then corrected late, March missing, April on
    # the due date itself.
    _line("iom", "OIM_ML_cases_2020-01.csv", "2020-02-10"),
    _line("iom", "OIM_ML_cases_2020-02.csv", "2020-03-15", "rejected", GATE),
    # The same refused bytes sent again: the same refusal, not a second one.
    _line("iom", "OIM_ML_cases_2020-02.csv", "2020-03-16", "rejected", GATE),
    _line("iom", "OIM_ML_cases_2020-02_v2.csv", "2020-03-30"),
    _line("iom", "OIM_ML_cases_2020-04.csv", "2020-05-15"),
    # Niger starts in March and is judged up to the feed's latest month (April): missing.
    _line("iom", "OIM_NE_cases_2020-03.csv", "2020-04-20"),
    # The same bytes again: no new file.
    _line("iom", "OIM_NE_cases_2020-03.csv", "2020-04-21", "duplicate"),
    # A name that says no period: counted, with its reason, on a row without a series.
    _line("iom", "cases (1).csv", "2020-05-01", "rejected", "cases (1).csv: unexpected name"),
]


def _by(periods: pl.DataFrame, series: str | None) -> dict[str | None, dict]:
    rows = periods.filter(
        pl.col("series").is_null() if series is None else pl.col("series") == series
    )
    return {row["period"]: row for row in rows.iter_rows(named=True)}


def test_each_expected_period_is_judged_by_its_first_file():
    periods = period_reports(IOM)
    mali = _by(periods, "ML")
    assert {p: r["timeliness"] for p, r in mali.items()} == {
        "2020-01": "on_time",
        "2020-02": "on_time",  # the refused file landed by the due date: the partner reported
        "2020-03": "missing",
        "2020-04": "on_time",  # landed on the due date (the period's end plus 15 days)
    }
    assert mali["2020-02"]["is_corrected"] and mali["2020-02"]["files_refused"] == 1
    assert mali["2020-02"]["refusal_reasons"] == "quality gate: arrival_allowance_xof"
    assert mali["2020-04"]["due_on"] == date(2020, 5, 15)
    assert mali["2020-01"]["country_code"] == "MLI"
    niger = _by(periods, "NE")
    assert {p: r["timeliness"] for p, r in niger.items()} == {
        "2020-03": "late",
        "2020-04": "missing",
    }
    assert niger["2020-03"]["files_received"] == 1, "a duplicate is no new file"
    (loose,) = _by(periods, None).values()
    assert loose["files_refused"] == 1 and loose["refusal_reasons"] == "unexpected name"


def test_the_summary_counts_rates_over_expected_periods():
    rates = {r["series"]: r for r in summary(period_reports(IOM)).iter_rows(named=True)}
    mali = rates["ML"]
    assert (mali["expected"], mali["received"], mali["on_time"], mali["late"]) == (4, 3, 3, 0)
    assert (mali["missing"], mali["corrected"], mali["refused"]) == (1, 1, 1)
    assert mali["reporting_rate"] == 75.0 and mali["on_time_rate"] == 75.0
    assert rates["NE"]["late"] == 1 and rates["NE"]["on_time_rate"] == 0.0
    assert rates[None]["expected"] == 0 and rates[None]["refused"] == 1
    assert rates[None]["reporting_rate"] is None
    # Up to March, April's periods are not yet due.
    assert summary(period_reports(IOM), until=date(2020, 3, 31))["expected"].sum() == 4


def test_a_survey_cycle_is_received_never_late_and_a_quarter_is_due_after_45_days():
    periods = period_reports(
        [
            _line("kobo", "TPML_returnee_MLI_C1_2020-01-10.xlsx", "2020-01-10"),
            _line("kobo", "TPML_returnee_NER_C3_2021-05-02.xlsx", "2021-05-02"),
            _line("aecid", "AECID_ajdm-1903_2019-T2.xlsx", "2019-08-14"),
            _line("aecid", "AECID_ajdm-1903_2019-T3.xlsx", "2019-11-15"),
        ]
    )
    kobo = periods.filter(feed="kobo")
    assert sorted(kobo["timeliness"]) == ["missing", "received", "received"]
    assert kobo.filter(timeliness="missing")["series"].to_list() == ["returnee/MLI"]
    assert kobo["due_on"].null_count() == kobo.height
    aecid = dict(periods.filter(feed="aecid").select("period", "timeliness").iter_rows())
    assert aecid == {"2019-T2": "on_time", "2019-T3": "late"}
    rates = summary(periods).filter(feed="kobo")
    assert rates["on_time_rate"].null_count() == rates.height, "no due date: not judged"


def test_refusal_reasons_are_short_and_countable():
    assert refusal_reason("x.csv: empty file", "x.csv") == "empty file"
    assert (
        refusal_reason("x.csv: unreadable XLSX (bad zip): truncated", "x.csv") == "unreadable XLSX"
    )
    assert refusal_reason(None, "x.csv") == "refused"
    assert refusal_reason(GATE, "OIM_ML_cases_2020-02.csv") == "quality gate: arrival_allowance_xof"
