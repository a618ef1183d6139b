"""Bronze suites of the KoBoToolbox survey exports (one survey, country and cycle each).

The country (the form's country question) is one of the twelve surveyed; the cycle (its
calculation) one of the survey's; respondents' ages plausible; an interview ends after it
starts. The repeat group of sensitisation activities carries the same country and cycle.
"""

from __future__ import annotations

import polars as pl

from expectations.bronze import BronzeCheck, Delivery
from expectations.registry import surveyed_country_codes
from expectations.rules import at_most, between, in_set, rules


def submission_rows(delivery: Delivery) -> pl.DataFrame:
    return delivery.bronze.select("country", "cycle", "age", "start", "end")


def activity_rows(delivery: Delivery) -> pl.DataFrame | None:
    activities = delivery.related.get("activities")
    return None if activities is None else activities.select("country", "cycle")


def _where_and_when() -> list:
    return [in_set("country", surveyed_country_codes()), in_set("cycle", rules()["survey_cycles"])]


def submission_expectations() -> list:
    return [*_where_and_when(), between("age", rules()["respondent_age"]), at_most("start", "end")]


BRONZE_CHECKS = [
    BronzeCheck("bronze_kobo_submissions", submission_rows, submission_expectations),
    BronzeCheck("bronze_kobo_activities", activity_rows, _where_and_when),
]
