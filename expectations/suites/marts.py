"""The gates of the marts: what every published mart must satisfy, and the domain rules of
each (expectations/domain_rules.yml says the numbers, in one place).

Every mart gets the common expectations: at least the rows of the previous publish minus
the allowed drop, and no column that looks like a direct identifier. The marts that carry
programme data add the domain's: SLC country codes, dates inside the programme window and
not in the future, the 52,000 FCFA arrival allowance, EJOM's 70% first tranche and
five-day technical training, survey cycles, plausible ages, numerators never above their
denominators. Date columns are validated as timestamps (see `gate_frame`). A gate reads
only the columns its expectations read (`expectations.runner.columns_read`); a mart's grain
is dbt's to test (`GRAINS`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import great_expectations as gx
import polars as pl

from expectations.registry import country_codes, slc_country_codes, surveyed_country_codes
from expectations.rules import between as _between
from expectations.rules import dates as _dates
from expectations.rules import gate_frame, programme_start, rules
from expectations.rules import in_set as _in
from expectations.rules import when as _when
from expectations.runner import ValidationOutcome, columns_read, validate

__all__ = ["GRAINS", "mart_expectations", "programme_start", "rules", "validate_mart"]


def identifier_columns(columns: list[str]) -> list[str]:
    pattern = re.compile(rules()["identifier_column_pattern"], re.IGNORECASE)
    return [c for c in columns if pattern.search(c)]


def common_expectations(columns: list[str], previous_rows: int | None) -> list:
    """Every mart: no identifier-looking column; no collapse since the previous publish."""
    e = gx.expectations
    minimum = 0
    if previous_rows:
        minimum = math.ceil(previous_rows * (1 - rules()["max_row_drop"]))
    safe = [c for c in columns if c not in identifier_columns(columns)]
    return [
        e.ExpectTableRowCountToBeBetween(min_value=minimum),
        # Exactly the columns that do not look like an identifier: fails if one does.
        e.ExpectTableColumnsToMatchSet(column_set=safe, exact_match=True),
    ]


#: Each mart's grain. Its uniqueness is a dbt `unique` test in the build, which fails the
#: run before the gates, so the gates do not repeat it: DuckDB checks a grain in the database,
#: GX would load every key into pandas (tests/test_mart_gates.py holds the dbt tests to it).
GRAINS: dict[str, str] = {
    "fct_assistance_events": "event_id",
    "fct_returns": "return_id",
    "dim_beneficiary": "beneficiary_key",
    "mart_report_figures": "figure_key",
}


def _fct_assistance_events() -> list:
    return [
        _in("mission_iso3", slc_country_codes()),
        *_dates("event_date"),
        _in(
            "amount_xof",
            [rules()["arrival_allowance_xof"]],
            **_when('event_type=="arrival_allowance"'),
        ),
    ]


def _fct_returns() -> list:
    return [
        _in("mission_iso3", slc_country_codes()),
        _in("from_country_iso3", country_codes()),
        _in("to_country_iso3", country_codes()),
        *_dates("return_date"),
    ]


def _fct_kits() -> list:
    kit, share = rules()["ejom_kit_xof"], rules()["ejom_first_tranche_share"]
    tranche = 'activity_type=="kit_tranche" and tranche=={}'
    return [
        _in("country_iso3", slc_country_codes()),
        *_dates("disbursed_date"),
        _in("amount_xof", [round(kit * share)], **_when(tranche.format(1))),
        _in("amount_xof", [round(kit * (1 - share))], **_when(tranche.format(2))),
        gx.expectations.ExpectColumnValuesToBeBetween(column="amount_xof", min_value=0),
    ]


def _fct_trainings() -> list:
    days = rules()["ejom_training_days"]
    return [
        _in("country_iso3", slc_country_codes()),
        *_dates("start_date"),
        *[
            _in("duration_days", [n], **_when(f'partner_id=="snv" and activity_type=="{module}"'))
            for module, n in days.items()
        ],
    ]


def _dim_beneficiary() -> list:
    return [
        _in("country_iso3", slc_country_codes()),
        _in("nationality_iso3", country_codes()),
        _between("age", rules()["beneficiary_age"]),
    ]


def _survey(country_column: str = "country_iso3") -> Callable[[], list]:
    def expectations() -> list:
        return [
            _in(country_column, surveyed_country_codes()),
            _in("cycle", rules()["survey_cycles"]),
            *_dates("submitted_on"),
        ]

    return expectations


def _respondents() -> list:
    return [*_survey()(), _between("age", rules()["respondent_age"])]


def _fct_sensitisation_activities() -> list:
    return [
        _in("country_iso3", slc_country_codes()),
        *_dates("activity_date"),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="people_reached", column_B="potential_migrants", or_equal=True
        ),
    ]


def _mart_report_figures() -> list:
    e = gx.expectations
    return [
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="denominator",
            column_B="numerator",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        e.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, max_value=1, **_when('unit=="share"')
        ),
        e.ExpectColumnValuesToNotBeNull(column="as_of"),
    ]


def _mart_reintegration_delays() -> list:
    e = gx.expectations
    parts = ("people_trained", "people_with_kit", "people_trained_then_kit")
    return [
        _in("country_iso3", slc_country_codes()),
        *[
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="people_started", column_B=part, or_equal=True
            )
            for part in parts
        ],
        e.ExpectColumnValuesToBeBetween(column="median_months_to_training", min_value=0),
    ]


def _mart_returns_by_host_quarter() -> list:
    return [
        _in("country_iso3", slc_country_codes()),
        *_dates("return_quarter"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="returns", min_value=1),
    ]


def _mart_reporting_rates() -> list:
    pair = gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB
    return [
        pair(column_A="expected", column_B="received", or_equal=True),
        pair(column_A="expected", column_B="judged", or_equal=True),
        pair(column_A="judged", column_B="on_time", or_equal=True),
        pair(column_A="received", column_B="late", or_equal=True),
        *_dates("reporting_month"),
    ]


def _mart_survey_answer_shares() -> list:
    return [
        _in("country_iso3", surveyed_country_codes()),
        _in("cycle", rules()["survey_cycles"]),
        _between("share", [0, 1]),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="respondents", column_B="respondents_answering", or_equal=True
        ),
    ]


def _mart_irregular_crossings_yearly() -> list:
    from expectations.suites.frontex import mart_expectations

    return mart_expectations()


#: Mart -> its domain expectations (the common ones apply to every mart).
DOMAIN: dict[str, Callable[[], list]] = {
    "fct_assistance_events": _fct_assistance_events,
    "fct_returns": _fct_returns,
    "fct_kits": _fct_kits,
    "fct_trainings": _fct_trainings,
    "dim_beneficiary": _dim_beneficiary,
    "fct_survey_responses": _survey(),
    "mart_returnee_survey": _respondents,
    "mart_sensitisation_survey": _respondents,
    "fct_sensitisation_activities": _fct_sensitisation_activities,
    "mart_report_figures": _mart_report_figures,
    "mart_reintegration_delays": _mart_reintegration_delays,
    "mart_survey_answer_shares": _mart_survey_answer_shares,
    "mart_returns_by_host_quarter": _mart_returns_by_host_quarter,
    "mart_reporting_rates": _mart_reporting_rates,
    "mart_irregular_crossings_yearly": _mart_irregular_crossings_yearly,
}


def mart_expectations(mart: str, columns: list[str], previous_rows: int | None) -> list:
    domain = DOMAIN.get(mart)
    return [*common_expectations(columns, previous_rows), *(domain() if domain else [])]


def validate_mart(
    mart: str,
    columns: list[str],
    rows: int,
    read: Callable[[list[str]], pl.DataFrame],
    *,
    previous_rows: int | None,
    home: Path,
    data_docs: Path,
) -> ValidationOutcome:
    """A mart's gate: its expectations on the columns they read, `read(columns)` from
    wherever the mart is (the build database; a frame in the tests), the other columns
    by name. Data Docs are left to the caller (`render_data_docs` once per step)."""
    expectations = mart_expectations(mart, columns, previous_rows)
    frame = read(columns_read(expectations, columns))
    return validate(
        gate_frame(frame),
        mart,
        expectations,
        home=home,
        data_docs=data_docs,
        render_docs=False,
        columns=columns,
        rows=rows,
    )
