"""The table of EUTF common output indicators counted once (mart_indicator_totals): for the
region, the Sahel and Lake Chad window's totals; for a country, its single-country actions'
totals. Reported values as the results framework publishes them (the `public_sources`
exemption of the disclosure rule)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from reports.marts import read
from reports.numbers import fmt_number
from reports.tables import Table

WORDS = {
    "fr": {
        "caption": "Indicateurs communs du FFU rapportés, comptés une fois ({scope})",
        "region": "fenêtre Sahel et lac Tchad",
        "country": "actions nationales",
        "header": ["Indicateur", "Intitulé", "Valeur rapportée", "Actions"],
        "source": "mart_indicator_totals, cadre de résultats du FFU (Akvo RSR, export du "
        "{release}) ; chaque indicateur compté une fois, au niveau le plus fin qui le rapporte ; "
        "N = {n} indicateurs. Intitulés en anglais : indicateurs hors du registre du projet.",
    },
    "en": {
        "caption": "EUTF common output indicators reported, counted once ({scope})",
        "region": "Sahel and Lake Chad window",
        "country": "single-country actions",
        "header": ["Indicator", "Title", "Reported value", "Actions"],
        "source": "mart_indicator_totals, EUTF results framework (Akvo RSR, export of "
        "{release}); each indicator counted once, at the lowest level that reports it; N = "
        "{n} indicators.",
    },
}

#: The results export the warehouse ships (../shared/reference/eutf_rsr).
RELEASE = {"fr": "17 décembre 2021", "en": "17 December 2021"}


def _code_order(code: str) -> tuple[int, int, str]:
    major, minor, rest = re.match(r"(\d+)\.(\d+)(.*)", code).groups()  # type: ignore[union-attr]
    return int(major), int(minor), rest


def indicator_totals(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """One row per indicator the scope's actions report, in the indicators' order."""
    words = WORDS[lang]
    frame = read(marts, "mart_indicator_totals").filter(pl.col("scope_code") == (country or "SLC"))
    rows = []
    for r in sorted(frame.iter_rows(named=True), key=lambda r: _code_order(r["indicator_code"])):
        title = r[f"label_{lang}"] or r["indicator_title"].removeprefix(r["indicator_code"]).strip()
        rows.append(
            [
                r["indicator_code"],
                title,
                fmt_number(r["reported_value"], "count", lang),
                fmt_number(r["actions_reporting"], "count", lang),
            ]
        )
    return Table(
        "table-indicator-totals",
        words["caption"].format(scope=words["country" if country else "region"]),
        words["header"],
        rows,
        words["source"].format(release=RELEASE[lang], n=len(rows)),
        exempt_columns={2: "public_sources", 3: "not_people"},
    )
