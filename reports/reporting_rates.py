"""The annex table of partner reporting rates (DHIS2's reporting-rate summary), from the
published mart_reporting_rates: per feed and series, the deliveries the calendars of
ingest/feeds.yml expected up to the report's month, how many came, on time or late, how many
are missing, corrected or refused, and why. Counts are of files and periods, not people."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from reports.marts import country_names, read
from reports.numbers import fmt_number, one_decimal
from reports.tables import Table

WORDS = {
    "fr": {
        "caption": "Taux de rapportage des partenaires, par flux et par série, jusqu'en {month}",
        "header": [
            "Partenaire et série",
            "Attendues",
            "Reçues",
            "À temps",
            "En retard",
            "Manquantes",
            "Corrigées",
            "Refusées",
            "Taux %",
            "Motifs de refus",
        ],
        "source": "mart_reporting_rates, registre des livraisons de l'entrepôt et calendriers "
        "de livraison déclarés (ingest/feeds.yml), jusqu'en {month} ; N = {n} livraisons "
        "attendues.",
        "unnamed": "(fichiers mal nommés)",
        # The refusal reasons' words (ingest.reporting_rates.refusal_reason) in French.
        "reasons": {"quality gate": "contrôle qualité", "refused": "refusé"},
        "feeds": {"iom": "OIM", "ejom": "EJOM (SNV)", "aecid": "AECID", "kobo": "TPML (KoBo)"},
        "surveys": {"returnee": "migrants de retour", "sensitisation": "sensibilisation"},
        "forms": {
            "registration": "inscriptions",
            "training": "formations",
            "kits": "kits",
            "smes": "entreprises",
        },
    },
    "en": {
        "caption": "Partner reporting rates by feed and series, up to {month}",
        "header": [
            "Partner and series",
            "Expected",
            "Received",
            "On time",
            "Late",
            "Missing",
            "Corrected",
            "Refused",
            "Rate %",
            "Refusal reasons",
        ],
        "source": "mart_reporting_rates, the warehouse's delivery registry and the declared "
        "delivery calendars (ingest/feeds.yml), up to {month}; N = {n} expected deliveries.",
        "unnamed": "(files named outside the calendar)",
        "reasons": {},
        "feeds": {"iom": "IOM", "ejom": "EJOM (SNV)", "aecid": "AECID", "kobo": "TPML (KoBo)"},
        "surveys": {"returnee": "returnees", "sensitisation": "sensitisation"},
        "forms": {
            "registration": "registrations",
            "training": "trainings",
            "kits": "kits",
            "smes": "businesses",
        },
    },
}

COUNTS = ["expected", "received", "on_time", "late", "missing", "corrected", "refused"]


def series_label(feed: str, series: str | None, country: str | None, lang: str, names) -> str:
    """A series as a reader names it: the mission's country, the form, the survey and its
    country, the organisation."""
    words = WORDS[lang]
    if series is None:
        return words["unnamed"]
    parts = series.split("/")
    if feed == "iom" and country:
        return names.get(country, country)
    if feed == "ejom":
        return words["forms"].get(series, series)
    if feed == "kobo" and len(parts) == 2:
        survey = words["surveys"].get(parts[0], parts[0])
        return f"{names.get(parts[1], parts[1])}, {survey}"
    return series


def _reason(reason: str, lang: str) -> str:
    head, _, rest = reason.partition(":")
    said = WORDS[lang]["reasons"].get(head, head)
    colon = "\u202f:" if lang == "fr" else ":"  # French sets a narrow space before a colon
    return f"{said}{colon}{rest}" if rest else said


def reporting_rates(marts: Path, country: str | None, month: str, lang: str = "fr") -> Table:
    """The summary over every month up to `month` (YYYY-MM): a row per feed and series under
    a row naming the feed's partner."""
    words = WORDS[lang]
    names = country_names(marts, lang)
    until = date(int(month[:4]), int(month[5:7]), 1)
    frame = read(marts, "mart_reporting_rates").filter(pl.col("reporting_month") <= until)
    if country is not None:
        frame = frame.filter(pl.col("country_iso3") == country)
    per_series = frame.group_by("feed", "partner", "series", "country_iso3").agg(
        *(pl.col(c).sum() for c in COUNTS),
        pl.col("refusal_reasons").drop_nulls().str.split("; ").explode().unique().sort(),
    )
    labelled = sorted(
        (
            (
                r["feed"],
                r["series"] is None,
                series_label(r["feed"], r["series"], r["country_iso3"], lang, names),
                r,
            )
            for r in per_series.iter_rows(named=True)
        ),
        key=lambda item: item[:3],
    )
    rows, previous = [], None
    blank = [""] * (len(words["header"]) - 1)
    for _, _, label, r in labelled:
        rate = 100 * r["received"] / r["expected"] if r["expected"] else None
        if r["feed"] != previous:  # a row naming the partner heads its series
            rows.append([words["feeds"].get(r["feed"], r["partner"]), *blank])
            previous = r["feed"]
        rows.append(
            [
                label,
                *(fmt_number(r[c], "count", lang) for c in COUNTS),
                one_decimal(rate, lang) if rate is not None else "–",
                "; ".join(_reason(reason, lang) for reason in r["refusal_reasons"]) or "–",
            ]
        )
    return Table(
        "table-reporting-rates",
        words["caption"].format(month=month),
        words["header"],
        rows,
        words["source"].format(
            month=month, n=fmt_number(int(per_series["expected"].sum()), "count", lang)
        ),
        exempt_columns={i: "not_people" for i in range(1, 1 + len(COUNTS))},
    )
