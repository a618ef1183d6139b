"""The regional report's returns by country of origin and year (mart_returns_by_origin_year):
a row per SLC country people returned to, the other origins together, a column per year.
Counts of people, under the one disclosure rule (a total beside a masked cell is not
printed)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reports.disclosure import masked_count, rule
from reports.marts import country_names, read
from reports.numbers import as_number, fmt_number
from reports.tables import Table

WORDS = {
    "fr": {
        "caption": "Retours par pays d'origine et par année (ensemble des pays)",
        "origin": "Pays d'origine",
        "total": "Total",
        "others": "Autres pays",
        "source": "mart_returns_by_origin_year, OIM, dossiers des missions : chaque retour "
        "compté une fois, à l'arrivée, ou au départ lorsque aucune mission ne livre les "
        "arrivées du pays d'origine ; N = {n} retours.",
    },
    "en": {
        "caption": "Returns by country of origin and year (all countries)",
        "origin": "Country of origin",
        "total": "Total",
        "others": "Other countries",
        "source": "mart_returns_by_origin_year, IOM, mission case files: each return counted "
        "once, on arrival, or on departure where no mission delivers the arrivals of the "
        "country of origin; N = {n} returns.",
    },
}


def returns_by_origin(marts: Path, lang: str = "fr") -> Table:
    words = WORDS[lang]
    names = country_names(marts, lang)
    countries = read(marts, "dim_country")
    slc = set(countries.filter(pl.col("is_slc"))["country_iso3"])
    frame = read(marts, "mart_returns_by_origin_year").with_columns(
        origin=pl.when(pl.col("origin_country_iso3").is_in(slc))
        .then(pl.col("origin_country_iso3"))
        .otherwise(pl.lit("_others"))
    )
    years = sorted(frame["return_year"].unique().to_list())
    cells = {
        (r["origin"], r["return_year"]): r["returns"]
        for r in frame.group_by("origin", "return_year")
        .agg(pl.col("returns").sum())
        .iter_rows(named=True)
    }
    totals = frame.group_by("origin").agg(pl.col("returns").sum())
    ordered = totals.with_columns(
        name=pl.col("origin").replace_strict(names, default=None),
        last=pl.col("origin") == "_others",
    ).sort("last", "returns", descending=[False, True])
    rows = []
    for origin in ordered["origin"]:
        values = [cells.get((origin, year), 0) for year in years]
        printed = [masked_count(v, lang) for v in values]
        total = "–" if rule().shown_as in printed else masked_count(sum(values), lang)
        label = words["others"] if origin == "_others" else names.get(origin, origin)
        rows.append([label, *printed, total])
    return Table(
        "table-returns-origin",
        words["caption"],
        [words["origin"], *(str(y) for y in years), words["total"]],
        rows,
        words["source"].format(
            n=fmt_number(as_number(frame["returns"].sum()) if frame.height else 0, "people", lang)
        ),
        count_columns=list(range(1, len(years) + 2)),
    )
