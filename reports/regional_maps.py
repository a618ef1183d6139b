"""The regional report's maps of the Sahel and Lake Chad countries (reports/maps.py draws
them): returns by country of origin, and the returnee survey's shares of respondents
trained and satisfied, by country. Guinea-Bissau is on the map but was not surveyed: its
survey values are "–" and the note says so."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reports.document import Chart
from reports.maps import Area, choropleth, unlabelled
from reports.marts import read
from reports.numbers import fmt_number

WORDS = {
    "fr": {
        "returns": (
            "M1",
            "Retours par pays d'origine, depuis le début des données",
            "OIM, dossiers des missions : chaque retour compté une fois ; N = {n} retours.",
        ),
        "trained_share": (
            "M2",
            "Part des migrants de retour enquêtés formés, par pays",
            "Enquête TPML auprès des migrants de retour, cycles 1 et 3 ; N = {n} répondants.",
        ),
        "satisfied_share": (
            "M3",
            "Part des migrants de retour enquêtés satisfaits de l'assistance, par pays",
            "Enquête TPML auprès des migrants de retour, cycles 1 et 3 ; N = {n} répondants.",
        ),
        "not_surveyed": "{names} : pays de la fenêtre SLC non couvert par les enquêtes.",
        "small": "Hors carte : {values}.",
        "boundaries": "Frontières : Natural Earth (domaine public).",
    },
    "en": {
        "returns": (
            "M1",
            "Returns by country of origin, since the data begin",
            "IOM, mission case files: each return counted once; N = {n} returns.",
        ),
        "trained_share": (
            "M2",
            "Share of the surveyed returnees who were trained, by country",
            "TPML returnee survey, cycles 1 and 3; N = {n} respondents.",
        ),
        "satisfied_share": (
            "M3",
            "Share of the surveyed returnees satisfied with the assistance, by country",
            "TPML returnee survey, cycles 1 and 3; N = {n} respondents.",
        ),
        "not_surveyed": "{names}: SLC country the surveys did not cover.",
        "small": "Not labelled on the map: {values}.",
        "boundaries": "Boundaries: Natural Earth (public domain).",
    },
}


def _slc_countries(marts: Path, lang: str) -> pl.DataFrame:
    return (
        read(marts, "dim_country")
        .filter(pl.col("is_slc"))
        .select(
            "country_iso3",
            "country_iso_numeric",
            "is_surveyed",
            pl.col(f"name_{lang}").alias("name"),
        )
    )


def _chart(
    key: str, areas: list[Area], unit: str, n: float, note: str, mart: str, lang: str, maps: Path
) -> Chart:
    words = WORDS[lang]
    number, title, source = words[key]
    small = unlabelled(areas, unit, lang)
    notes = [note, words["small"].format(values=small) if small else "", words["boundaries"]]
    return Chart(
        number,
        title,
        choropleth(areas, unit, lang, maps),
        source.format(n=fmt_number(n, "people", lang)),
        note=" ".join(n for n in notes if n),
        mart=mart,
    )


def regional_maps(marts: Path, lang: str, boundaries: Path) -> dict[str, Chart]:
    """The maps by the id the outline shows them with (map-returns, map-trained,
    map-satisfied), drawn on the country `boundaries` (Settings.map_boundaries)."""
    countries = list(_slc_countries(marts, lang).iter_rows(named=True))
    returns = read(marts, "mart_returns_by_origin_year")
    by_origin = dict(returns.group_by("origin_country_iso3").agg(pl.col("returns").sum()).rows())
    areas = [
        Area(c["country_iso_numeric"], c["name"], by_origin.get(c["country_iso3"], 0), None)
        for c in countries
    ]
    total = sum(by_origin.values())
    out = {
        "map-returns": _chart(
            "returns", areas, "people", total, "", "mart_returns_by_origin_year", lang, boundaries
        )
    }
    comparison = read(marts, "mart_regional_comparison").filter(pl.col("scope") == "country")
    surveyed = {r["country_iso3"]: r for r in comparison.iter_rows(named=True)}
    unsurveyed = sorted(c["name"] for c in countries if c["country_iso3"] not in surveyed)
    note = WORDS[lang]["not_surveyed"].format(names=", ".join(unsurveyed)) if unsurveyed else ""
    respondents = sum(r["respondents"] for r in surveyed.values())
    for key, figure_id in (("trained_share", "map-trained"), ("satisfied_share", "map-satisfied")):
        areas = []
        for c in countries:
            row = surveyed.get(c["country_iso3"])
            value, people = (row[key], row["respondents"]) if row else (None, None)
            areas.append(Area(c["country_iso_numeric"], c["name"], value, people))
        out[figure_id] = _chart(
            key, areas, "share", respondents, note, "mart_regional_comparison", lang, boundaries
        )
    return out
