"""The regional report: the twelve surveyed countries side by side, in English and in
French, rendered from the published marts only (same figures, tables and appendix as the
Mali report, at the scope of the region)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import polars as pl

from ingest.settings import Settings
from reports import tables
from reports.assemble import methodology_notes, write_report_html
from reports.country_profiles import country_profiles
from reports.document import Block, Chart
from reports.figures import FIGURE_1_YEARS, quarterly_series_chart, slc_crossings_chart
from reports.indicator_totals import indicator_totals
from reports.marts import country_names, read
from reports.numbers import as_number, fmt_date, fmt_number
from reports.output import ReportInChild, write_pdf
from reports.regional_maps import regional_maps
from reports.returns_by_origin import returns_by_origin
from reports.series import quarterly_series
from reports.survey_charts import survey_figures

FILE_NAMES = {"en": "regional_report.en.html", "fr": "rapport_regional.fr.html"}
TEXT = {
    "en": {
        "title": "Sahel and Lake Chad: return, reintegration and awareness raising (EUTF)",
        "comparison": "Country comparison",
        "comparison_columns": [
            "Country",
            "Respondents",
            "Trained",
            "Satisfied",
            "Satisfaction rank",
            "Employed before",
            "Employed now",
            "Activity hit by COVID-19",
        ],
        "region": "All countries",
        "comparison_source": "mart_regional_comparison, TPML surveys of returnees "
        "(KoBoToolbox), cycles 1 and 3; shares of each country's respondents.",
        "trend_caption": "Returns, reintegration completions and kits per quarter (reporting "
        "month marked)",
        "crossings_caption": "Irregular crossings of the EU's external borders by nationals of "
        "the 13 SLC countries",
        "crossings_text": "Frontex detected {n} irregular border crossings by nationals of the "
        "13 SLC countries from {first} to {last}; the five largest nationalities are shown, "
        "the others together.",
        "crossings_source": "Frontex, monthly detections of irregular border crossings (release "
        "of {release}); N = {n} detections, {first}-{last}.",
        "others": "Other SLC nationalities",
    },
    "fr": {
        "title": "Sahel et lac Tchad : retour, réintégration et sensibilisation (FFU)",
        "comparison": "Comparaison entre pays",
        "comparison_columns": [
            "Pays",
            "Répondants",
            "Formés",
            "Satisfaits",
            "Rang de satisfaction",
            "En emploi avant",
            "En emploi aujourd'hui",
            "Activité touchée par la COVID-19",
        ],
        "region": "Ensemble des pays",
        "comparison_source": "mart_regional_comparison, enquêtes TPML auprès des migrants de "
        "retour (KoBoToolbox), cycles 1 et 3 ; parts des répondants de chaque pays.",
        "trend_caption": "Retours, fins de réintégration et kits par trimestre (mois du "
        "rapport marqué)",
        "crossings_caption": "Franchissements irréguliers des frontières extérieures de l'UE "
        "par des ressortissants des 13 pays SLC",
        "crossings_text": "FRONTEX a détecté {n} franchissements irréguliers par des "
        "ressortissants des 13 pays SLC entre {first} et {last} ; les cinq premières "
        "nationalités sont montrées, les autres ensemble.",
        "crossings_source": "FRONTEX, détections mensuelles de franchissements irréguliers "
        "(publication du {release}) ; N = {n} détections, {first}-{last}.",
        "others": "Autres nationalités SLC",
    },
}
SHARES = [
    "trained_share",
    "satisfied_share",
    None,
    "employed_before_share",
    "employed_now_share",
    "covid_negative_share",
]


def comparison_rows(marts: Path, lang: str) -> list[list[str]]:
    """mart_regional_comparison: one row per country, the region last."""
    frame = read(marts, "mart_regional_comparison")
    names = country_names(marts, lang)
    rows = []
    for r in frame.sort("scope", "country_iso3", descending=[False, False]).iter_rows(named=True):
        name = TEXT[lang]["region"] if r["scope"] == "region" else names.get(r["country_iso3"])
        cells = [name, fmt_number(r["respondents"], "people", lang)]
        for column in SHARES:
            if column is None:
                rank = r["satisfaction_rank"]
                cells.append("–" if rank is None else str(rank))
            else:
                cells.append(fmt_number(r[column], "share", lang))
        rows.append(cells)
    return rows


def crossings(marts: Path, lang: str, top: int = 5) -> dict:
    """Regional Figure 1: SLC nationals' detections per year, the `top` nationalities over
    the period and the others together; with the words around the chart."""
    first, last = FIGURE_1_YEARS
    yearly = read(marts, "mart_irregular_crossings_yearly").filter(
        pl.col("is_slc_nationality") & pl.col("year").is_between(first, last)
    )
    largest = (
        yearly.group_by("nationality_iso3")
        .agg(pl.col("detections").sum())
        .sort("detections", "nationality_iso3", descending=[True, False])
        .head(top)["nationality_iso3"]
        .to_list()
    )
    name = pl.col(f"nationality_{lang}")
    stacked = (
        yearly.with_columns(
            pl.when(pl.col("nationality_iso3").is_in(largest))
            .then(name)
            .otherwise(pl.lit(TEXT[lang]["others"]))
            .alias("nationality"),
            pl.col("nationality_iso3")
            .replace_strict(largest, list(range(top)), default=top)
            .alias("rank"),
        )
        .group_by("year", "nationality", "rank")
        .agg(pl.col("detections").sum())
        .sort("rank", "year")
    )
    words = {
        "n": fmt_number(as_number(yearly["detections"].sum()), "people", lang),
        "first": yearly["year"].min(),
        "last": yearly["year"].max(),
        "release": fmt_date(yearly["frontex_release"].max()),
    }
    return {
        "svg": slc_crossings_chart(stacked, lang=lang),
        "text": TEXT[lang]["crossings_text"].format(**words),
        "source": TEXT[lang]["crossings_source"].format(**words),
        "detections": int(yearly["detections"].sum()),
    }


def comparison_table(marts: Path, lang: str) -> tables.Table:
    """mart_regional_comparison as a table: one row per country, all countries last."""
    words = TEXT[lang]
    return tables.Table(
        "table-comparison",
        words["comparison"],
        words["comparison_columns"],
        comparison_rows(marts, lang),
        words["comparison_source"],
        count_columns=[1],
    )


def blocks_for(settings: Settings, month: str, lang: str):
    """What the regional report's sections show, each drawn when its section is reached."""
    marts = settings.published_marts

    def make(facts: dict) -> dict[str, Callable[[], Block | None]]:
        del facts
        out: dict[str, Callable[[], Block | None]] = {
            str(f.number): (lambda f=f: Block("figure", f))
            for f in survey_figures(marts, None, lang=lang)
        }
        drawn = crossings(marts, lang)
        out["crossings"] = lambda: Block(
            "figure",
            Chart(
                "1",
                TEXT[lang]["crossings_caption"],
                drawn["svg"],
                drawn["source"],
                mart="mart_irregular_crossings_yearly",
            ),
        )
        series, source = quarterly_series(marts, None, lang)
        # No series before any return, completion or kit is published.
        out["trend"] = lambda: (
            None
            if series.is_empty()
            else Block(
                "figure",
                Chart(
                    "T1",
                    TEXT[lang]["trend_caption"],
                    quarterly_series_chart(series, month, lang=lang),
                    source,
                ),
            )
        )
        out["methodology-notes"] = lambda: methodology_notes(lang)
        out["table-comparison"] = lambda: Block("table", comparison_table(marts, lang))
        out["table-indicators-country"] = lambda: Block(
            "table", tables.indicators_by_country(marts, lang)
        )
        out["table-indicator-totals"] = lambda: Block("table", indicator_totals(marts, None, lang))
        maps = cache(lambda: regional_maps(marts, lang, settings.map_boundaries))
        for figure_id in ("map-returns", "map-trained", "map-satisfied"):
            out[figure_id] = lambda f=figure_id: Block("figure", maps()[f])
        out["country-profiles"] = lambda: Block(
            "profiles", country_profiles(marts, lang, FIGURE_1_YEARS)
        )
        out["table-returns-origin"] = lambda: Block("table", returns_by_origin(marts, lang))
        for table_id, build in tables.AT_SCOPE.items():
            out[table_id] = lambda b=build: Block("table", b(marts, None, lang))
        return out

    return make


def write_regional_html(settings: Settings, month: str, lang: str) -> Path:
    """The regional report in `lang`, as HTML under the month's reports folder."""
    return write_report_html(
        settings,
        "regional",
        lang,
        month,
        FILE_NAMES[lang],
        TEXT[lang]["title"],
        blocks_for(settings, month, lang),
        FIGURE_1_YEARS,
    )


def render_regional_reports(settings: Settings, month: str) -> dict[str, tuple[Path, Path]]:
    """The regional report in English and French, HTML and PDF: the English one whole in a
    child process (`python -m reports.regional MONTH en`) while the French one renders
    here, so the two languages use the two cores."""
    english_html = settings.reports / month / FILE_NAMES["en"]
    english = ReportInChild("reports.regional", [month, "en"], english_html, settings.child_env())
    try:
        french = write_regional_html(settings, month, "fr")
        french_pdf = write_pdf(french)
    except BaseException:
        english.stop()
        raise
    return {"en": english.wait(), "fr": (french, french_pdf)}


if __name__ == "__main__":  # python -m reports.regional MONTH LANG: one language, HTML and PDF
    write_pdf(write_regional_html(Settings.from_env(), sys.argv[1], sys.argv[2]))
