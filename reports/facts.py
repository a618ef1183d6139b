"""The figures a report's text may cite, computed from the published marts only.

A report's generated sentences and its editors' commentary name figures by key
(`{{ fig("returns.arrivals") }}`); this module gives every key its value for the report's
scope (a country, or the region). Two kinds of keys:

- the figures of `mart_report_figures` (the 2021 report's statements: `iom.ml.returnees...`),
  with their numerator and denominator;
- live figures declared here (`LIVE`): volumes, trends, shares, ranks, delays, targets.

A key always exists once declared; its value is None when the data does not support it
(the sentence that cites it is then left out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import median

import polars as pl

from reports.disclosure import masked_count, rule
from reports.marts import country_names, read, read_fact
from reports.numbers import as_date, fmt_number, one_decimal

#: Units a figure may have, and how a sentence prints it.
UNITS = (
    "people",
    "returns",
    "count",
    "share",
    "months",
    "change",
    "rank",
    "year",
    "month",
    "name",
    "xof",
)
MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


@dataclass(frozen=True)
class Fact:
    key: str
    value: float | str | date | None
    unit: str
    #: For a share or a part of a whole ("281 des 333"): the whole.
    denominator: float | None = None

    def text(self, lang: str) -> str:
        """The value as a sentence prints it, in `lang`; counts of people obey the
        disclosure rule."""
        value = self.value
        if value is None:
            return "–"
        if isinstance(value, date):
            return f"{MONTHS[lang][value.month - 1]} {value.year}"
        if isinstance(value, str):
            return value
        if self.unit in ("people", "returns"):
            return masked_count(value, lang)
        if self.unit == "share":
            if self.denominator is not None and rule().hides(value * self.denominator):
                return rule().shown_as + (" répondants" if lang == "fr" else " respondents")
            return fmt_number(value, "share", lang)
        if self.unit == "change":
            sign = "+" if value > 0 else ("−" if value < 0 else "")
            return sign + fmt_number(abs(value), "share", lang)
        if self.unit == "months":
            return one_decimal(value, lang)
        if self.unit in ("rank", "year"):
            return str(int(value))
        return fmt_number(value, "people", lang)


def _scalar(frame: pl.DataFrame, expr: pl.Expr) -> float | None:
    value = frame.select(expr).item() if frame.height else None
    return None if value is None else float(value)


def _share(part: float | None, whole: float | None) -> float | None:
    return None if not whole or part is None else part / whole


def statement_facts(marts: Path) -> dict[str, Fact]:
    """The figures of mart_report_figures, by figure key."""
    figures = read(marts, "mart_report_figures")
    return {
        r["figure_key"]: Fact(
            r["figure_key"],
            r["value"],
            "people" if r["unit"] in ("people", "returns") else r["unit"],
            r["denominator"],
        )
        for r in figures.iter_rows(named=True)
    }


def _returns(marts: Path, scope: str | None, lang: str) -> dict[str, Fact]:
    returns = read_fact(marts, "fct_returns")
    arrivals = returns.filter(pl.col("perspective") == "arrival")
    departures = returns.filter(pl.col("perspective") == "departure")
    if scope:
        arrivals = arrivals.filter(pl.col("mission_iso3") == scope)
        departures = departures.filter(pl.col("mission_iso3") == scope)
    last = arrivals["return_date"].max()
    years = arrivals.group_by(pl.col("return_date").dt.year().alias("y")).agg(pl.len())
    by_year = dict(zip(years["y"], years["len"], strict=True))
    last_year = last.year if isinstance(last, date) else None  # type: ignore[union-attr]
    this = by_year.get(last_year) if last_year else None
    before = by_year.get(last_year - 1) if last_year else None
    hosts = (
        arrivals.group_by("from_country_iso3")
        .agg(pl.len())
        .sort("len", "from_country_iso3", descending=[True, False])
    )
    top = hosts.row(0, named=True) if hosts.height else None
    names = country_names(marts, lang)
    peak = (
        arrivals.group_by(pl.col("return_date").dt.year().alias("y"))
        .agg(pl.len())
        .sort("len", "y", descending=[True, False])
    )
    return {
        "returns.arrivals": Fact("returns.arrivals", arrivals.height, "returns"),
        "returns.first_month": Fact(
            "returns.first_month", as_date(arrivals["return_date"].min()), "month"
        ),
        "returns.last_month": Fact("returns.last_month", as_date(last), "month"),
        "returns.last_year": Fact("returns.last_year", last_year, "year"),
        "returns.arrivals.last_year": Fact("returns.arrivals.last_year", this, "returns"),
        "returns.arrivals.previous_year": Fact("returns.arrivals.previous_year", before, "returns"),
        "returns.arrivals.change": Fact(
            "returns.arrivals.change",
            None if not before or this is None else this / before - 1,
            "change",
        ),
        "returns.peak_year": Fact(
            "returns.peak_year", peak["y"][0] if peak.height else None, "year"
        ),
        "returns.top_host": Fact(
            "returns.top_host",
            names.get(top["from_country_iso3"], top["from_country_iso3"]) if top else None,
            "name",
        ),
        "returns.top_host.share": Fact(
            "returns.top_host.share",
            _share(top["len"], arrivals.height) if top else None,
            "share",
            arrivals.height,
        ),
        "returns.departures": Fact("returns.departures", departures.height, "returns"),
        "returns.departures.nationalities": Fact(
            "returns.departures.nationalities", departures["nationality_iso3"].n_unique(), "count"
        ),
    }


def _assistance(marts: Path, scope: str | None) -> dict[str, Fact]:
    events = read_fact(marts, "fct_assistance_events")
    if scope:
        events = events.filter(pl.col("mission_iso3") == scope)

    def people(event_type: str) -> int:
        return events.filter(pl.col("event_type") == event_type)["case_key"].n_unique()

    started, completed = people("reintegration_start"), people("reintegration_completed")
    funnel = read(marts, "mart_referral_funnel")
    if scope:
        funnel = funnel.filter(pl.col("country_iso3") == scope)
    stages = funnel.group_by("stage").agg(pl.col("people").sum())
    stage = dict(zip(stages["stage"], stages["people"], strict=True))
    delays = read(marts, "mart_reintegration_delays").filter(pl.col("partner_id") == "iom")
    if scope:
        delays = delays.filter(pl.col("country_iso3") == scope)
    medians = [
        m
        for m, n in zip(delays["median_months_to_training"], delays["people_trained"], strict=True)
        if m is not None and n and n >= rule().min_count
    ]
    return {
        "protection.assisted": Fact("protection.assisted", people("protection"), "people"),
        "reintegration.started": Fact("reintegration.started", started, "people"),
        "reintegration.completed": Fact("reintegration.completed", completed, "people"),
        "reintegration.completed.share": Fact(
            "reintegration.completed.share", _share(completed, started), "share", started
        ),
        "psychosocial.people": Fact("psychosocial.people", people("psychosocial"), "people"),
        "training.people": Fact("training.people", people("training"), "people"),
        "kits.people": Fact("kits.people", people("kit"), "people"),
        "delays.training.median": Fact(
            "delays.training.median", median(medians) if medians else None, "months"
        ),
        "ejom.referred": Fact("ejom.referred", stage.get("referred"), "people"),
        "ejom.enrolled": Fact("ejom.enrolled", stage.get("enrolled"), "people"),
        "ejom.enrolled.share": Fact(
            "ejom.enrolled.share",
            _share(stage.get("enrolled"), stage.get("referred")),
            "share",
            stage.get("referred"),
        ),
        "ejom.kit": Fact("ejom.kit", stage.get("kit_received"), "people"),
    }


def _surveys(marts: Path, scope: str | None) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    for survey, mart in (
        ("returnee", "mart_returnee_survey"),
        ("sensitisation", "mart_sensitisation_survey"),
    ):
        rows = read(marts, mart)
        if scope:
            rows = rows.filter(pl.col("country_iso3") == scope)
        facts[f"survey.{survey}.respondents"] = Fact(
            f"survey.{survey}.respondents", rows.height, "people"
        )
        for cycle in (1, 3):
            facts[f"survey.{survey}.cycle{cycle}"] = Fact(
                f"survey.{survey}.cycle{cycle}",
                rows.filter(pl.col("cycle") == cycle).height,
                "people",
            )
        facts[f"survey.{survey}.first_month"] = Fact(
            f"survey.{survey}.first_month", as_date(rows["submitted_on"].min()), "month"
        )
        facts[f"survey.{survey}.last_month"] = Fact(
            f"survey.{survey}.last_month", as_date(rows["submitted_on"].max()), "month"
        )
        facts[f"survey.{survey}.countries"] = Fact(
            f"survey.{survey}.countries", rows["country_iso3"].n_unique(), "count"
        )
    # Every key exists whatever the data: a figure the data lacks is None.
    for key, unit in (
        ("survey.trained", "share"),
        ("survey.satisfied", "share"),
        ("survey.employed_before", "share"),
        ("survey.employed_now", "share"),
        ("survey.covid_negative", "share"),
        ("survey.satisfied.rank", "rank"),
        ("region.trained", "share"),
        ("region.satisfied", "share"),
    ):
        facts[key] = Fact(key, None, unit)
    comparison = read(marts, "mart_regional_comparison")
    row = comparison.filter(
        (pl.col("country_iso3") == scope) if scope else (pl.col("scope") == "region")
    )
    if row.height:
        r = row.row(0, named=True)
        base = r["respondents"]
        for column in (
            "trained_share",
            "satisfied_share",
            "employed_before_share",
            "employed_now_share",
            "covid_negative_share",
        ):
            key = "survey." + column.removesuffix("_share")
            facts[key] = Fact(key, r[column], "share", base)
        facts["survey.satisfied.rank"] = Fact(
            "survey.satisfied.rank", r["satisfaction_rank"], "rank"
        )
    region = comparison.filter(pl.col("scope") == "region")
    if region.height:
        r = region.row(0, named=True)
        facts["region.trained"] = Fact(
            "region.trained", r["trained_share"], "share", r["respondents"]
        )
        facts["region.satisfied"] = Fact(
            "region.satisfied", r["satisfied_share"], "share", r["respondents"]
        )
    facts["survey.surveyed_countries"] = Fact(
        "survey.surveyed_countries", comparison.filter(pl.col("scope") == "country").height, "count"
    )
    return facts


def _indicators(marts: Path, scope: str | None) -> dict[str, Fact]:
    progress = read(marts, "mart_indicator_progress")
    if scope:
        progress = progress.filter(pl.col("action_country_iso3") == scope)
    with_target = progress.filter(pl.col("is_slc_window") & (pl.col("target_value") > 0))
    achieved = with_target["achieved_share"].drop_nulls().to_list()
    reported = read(marts, "mart_indicator_reconciliation").filter(pl.col("is_slc_window"))
    if scope:
        reported = reported.filter(pl.col("action_country_iso3") == scope)
    reconciliation = reported.filter(pl.col("coverage") == "both")
    gaps = reconciliation.filter(pl.col("variance_pct").is_not_null()).sort(
        pl.col("variance_pct").abs(), descending=True
    )
    gap = gaps.row(0, named=True) if gaps.height else None
    return {
        "indicators.actions": Fact(
            "indicators.actions",
            reported.filter(pl.col("reported_value").is_not_null())["iati_id"].n_unique(),
            "count",
        ),
        "indicators.with_target": Fact("indicators.with_target", with_target.height, "count"),
        "indicators.met_target": Fact(
            "indicators.met_target",
            with_target.filter(pl.col("achieved_share") >= 1).height,
            "count",
        ),
        "indicators.median_achieved": Fact(
            "indicators.median_achieved", median(achieved) if achieved else None, "share"
        ),
        "indicators.compared": Fact("indicators.compared", reconciliation.height, "count"),
        "indicators.reported_only": Fact(
            "indicators.reported_only",
            reported.filter(pl.col("coverage") == "reported_only").height,
            "count",
        ),
        "indicators.computed_only": Fact(
            "indicators.computed_only",
            reported.filter(pl.col("coverage") == "computed_only").height,
            "count",
        ),
        "indicators.largest_gap.code": Fact(
            "indicators.largest_gap.code", gap["indicator_code"] if gap else None, "name"
        ),
        "indicators.largest_gap.action": Fact(
            "indicators.largest_gap.action", gap["iati_id"] if gap else None, "name"
        ),
        "indicators.largest_gap.pct": Fact(
            "indicators.largest_gap.pct",
            gap["variance_pct"] / 100 if gap else None,
            "change",
        ),
    }


def _indicator_totals(marts: Path, scope: str | None) -> dict[str, Fact]:
    """Reported totals counted once (mart_indicator_totals) at the scope: the window's, or
    the country's single-country actions'."""
    totals = read(marts, "mart_indicator_totals").filter(pl.col("scope_code") == (scope or "SLC"))
    value = dict(zip(totals["indicator_code"], totals["reported_value"], strict=True))
    return {
        "indicators.total.count": Fact("indicators.total.count", totals.height, "count"),
        **{
            f"indicators.total.{code}": Fact(f"indicators.total.{code}", value.get(code), "count")
            for code in ("3.2", "3.3", "3.4", "3.5", "3.5 bis")
        },
    }


def _sensitisation(marts: Path, scope: str | None) -> dict[str, Fact]:
    activities = read(marts, "fct_sensitisation_activities")
    if scope:
        activities = activities.filter(pl.col("country_iso3") == scope)
    reached = _scalar(activities, pl.col("people_reached").sum())
    potential = _scalar(activities, pl.col("potential_migrants").sum())
    in_person = activities.filter(pl.col("channel") == "in_person")
    return {
        "sensitisation.activities": Fact("sensitisation.activities", activities.height, "count"),
        "sensitisation.in_person": Fact("sensitisation.in_person", in_person.height, "count"),
        "sensitisation.reached": Fact("sensitisation.reached", reached, "count"),
        "sensitisation.potential_migrants.share": Fact(
            "sensitisation.potential_migrants.share", _share(potential, reached), "share"
        ),
        "sensitisation.with_list.share": Fact(
            "sensitisation.with_list.share",
            _share(activities.filter(pl.col("has_participant_list")).height, activities.height),
            "share",
        ),
        "sensitisation.organisations": Fact(
            "sensitisation.organisations", activities["organisation"].n_unique(), "count"
        ),
    }


def _crossings(marts: Path, scope: str | None, years: tuple[int, int]) -> dict[str, Fact]:
    yearly = read(marts, "mart_irregular_crossings_yearly").filter(
        pl.col("year").is_between(*years)
    )
    slc = yearly.filter(pl.col("is_slc_nationality"))
    own = yearly.filter(pl.col("nationality_iso3") == scope) if scope else slc
    facts = {
        "crossings.detections": Fact(
            "crossings.detections", _scalar(own, pl.col("detections").sum()), "count"
        ),
        "crossings.first_year": Fact("crossings.first_year", years[0], "year"),
        "crossings.last_year": Fact("crossings.last_year", years[1], "year"),
    }
    # The share of the SLC total is a country's: None for the region itself.
    facts["crossings.share_min"] = Fact(
        "crossings.share_min",
        _scalar(own, pl.col("share_of_slc").min()) if scope else None,
        "share",
    )
    facts["crossings.share_max"] = Fact(
        "crossings.share_max",
        _scalar(own, pl.col("share_of_slc").max()) if scope else None,
        "share",
    )
    return facts


def live_facts(
    marts: Path, scope: str | None, lang: str, crossing_years: tuple[int, int]
) -> dict[str, Fact]:
    """Every live figure for `scope` (ISO3, or None for the region)."""
    return {
        **_returns(marts, scope, lang),
        **_assistance(marts, scope),
        **_surveys(marts, scope),
        **_indicators(marts, scope),
        **_indicator_totals(marts, scope),
        **_sensitisation(marts, scope),
        **_crossings(marts, scope, crossing_years),
    }


def report_facts(
    marts: Path, scope: str | None, lang: str, crossing_years: tuple[int, int]
) -> dict[str, Fact]:
    """What a report's text may cite: the statements' figures and the live ones."""
    return {**statement_facts(marts), **live_facts(marts, scope, lang, crossing_years)}
