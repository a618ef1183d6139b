"""The Mali report, in French, rendered from the published marts only, in the structure of
the 2021 Mali monitoring report (reports/outline.yml)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ingest.settings import Settings
from reports import tables
from reports.assemble import methodology_notes, write_report_html
from reports.document import Block, Chart
from reports.facts import Fact
from reports.figures import FIGURE_1_YEARS, irregular_crossings_chart, quarterly_series_chart
from reports.indicator_totals import indicator_totals
from reports.maps import tile_map
from reports.marts import read
from reports.numbers import as_number, fmt_date, fmt_number
from reports.output import write_pdf
from reports.series import quarterly_series
from reports.survey_charts import survey_figures

COUNTRY = "MLI"
FILE_NAME = "rapport_mali.fr.html"
TITLE = "Mali — retour, réintégration et sensibilisation (FFU, région Sahel et lac Tchad)"


@dataclass(frozen=True)
class RenderedReport:
    path: Path
    pdf_path: Path
    figures: dict[str, int]


def figure_1_data(settings: Settings) -> pl.DataFrame:
    """Malian detections per year and share of the SLC total, from the published mart."""
    yearly = read(settings.published_marts, "mart_irregular_crossings_yearly")
    first, last = FIGURE_1_YEARS
    return yearly.filter(
        (pl.col("nationality_iso3") == COUNTRY) & pl.col("year").is_between(first, last)
    ).sort("year")


def crossings_figure(mali: pl.DataFrame) -> Chart:
    return Chart(
        "1",
        "Traversées irrégulières des frontières européennes, nombre de Maliens et % régional",
        irregular_crossings_chart(mali, lang="fr"),
        f"FRONTEX, détections mensuelles de franchissements irréguliers (publication du "
        f"{fmt_date(mali['frontex_release'].max())}) ; N = "
        f"{fmt_number(as_number(mali['detections'].sum()), 'people')} détections de Maliens, "
        f"{mali['year'].min()}-{mali['year'].max()}.",
        mart="mart_irregular_crossings_yearly",
    )


def trend_figure(settings: Settings, month: str) -> Chart | None:
    """The quarterly series, or None before any return, completion or kit is published."""
    series, source = quarterly_series(settings.published_marts, COUNTRY, "fr")
    if series.is_empty():
        return None
    return Chart(
        "T1",
        "Retours, fins de réintégration et kits par trimestre (mois du rapport marqué)",
        quarterly_series_chart(series, month, lang="fr"),
        source,
    )


#: The tile maps of survey answers naming a region: survey -> (figure, title, population).
REGION_FIGURES = {
    "returnee": ("M1", "Région d'origine des migrants de retour enquêtés", "migrants de retour"),
    "sensitisation": (
        "M2",
        "Région des participants aux activités de sensibilisation enquêtés",
        "participants aux activités de sensibilisation",
    ),
}


def regions_figure(settings: Settings, survey: str) -> Chart | None:
    """A survey's respondents by the region they name, as a tile map (no public-domain
    admin-1 boundaries ship on the package registries); None before any such answer."""
    marts = settings.published_marts
    regions = read(marts, "mart_survey_regions").filter(
        (pl.col("country_iso3") == COUNTRY) & (pl.col("survey") == survey)
    )
    if regions.is_empty():
        return None
    counts = dict(regions.group_by("area_id").agg(pl.col("respondents").sum()).rows())
    areas = read(marts, "dim_admin_area").filter(pl.col("level") == "region")
    names = dict(zip(areas["area_id"], areas["name"], strict=True))
    cycles = " et ".join(str(c) for c in sorted(regions["cycle"].unique().to_list()))
    number, title, population = REGION_FIGURES[survey]
    return Chart(
        number,
        title,
        tile_map(COUNTRY, counts, names, "fr"),
        f"Enquête TPML auprès des {population}, cycle{'s' if ' et ' in cycles else ''} "
        f"{cycles} ; N = {fmt_number(sum(counts.values()), 'people')} répondants.",
        note="Carte en tuiles : une case par région, placée comme les régions se situent.",
        mart="mart_survey_regions",
    )


def blocks_for(
    settings: Settings, month: str
) -> Callable[[dict[str, Fact]], dict[str, Callable[[], Block | None]]]:
    """What the Mali report's sections show, each drawn when its section is reached."""
    marts = settings.published_marts

    def make(facts: dict[str, Fact]) -> dict[str, Callable[[], Block | None]]:
        del facts
        figures = {}
        for figure in survey_figures(marts, COUNTRY, lang="fr"):
            if figure.rank:
                suffix = "er" if figure.rank == 1 else "e"
                figure = dataclasses.replace(
                    figure, note=f"Mali : {figure.rank}{suffix} des pays enquêtés."
                )
            figures[str(figure.number)] = figure
        mali = figure_1_data(settings)
        out: dict[str, Callable[[], Block | None]] = {
            key: (lambda f=figure: Block("figure", f)) for key, figure in figures.items()
        }
        out["crossings"] = lambda: Block("figure", crossings_figure(mali))
        out["trend"] = lambda: (
            None if (trend := trend_figure(settings, month)) is None else Block("figure", trend)
        )
        for survey, figure_id in (("returnee", "map-regions"), ("sensitisation", "map-regions-s")):
            out[figure_id] = lambda s=survey: (
                None if (drawn := regions_figure(settings, s)) is None else Block("figure", drawn)
            )
        out["methodology-notes"] = lambda: methodology_notes("fr")
        out["table-indicator-totals"] = lambda: Block(
            "table", indicator_totals(marts, COUNTRY, "fr")
        )
        for table_id, build in tables.AT_SCOPE.items():
            out[table_id] = lambda b=build: Block("table", b(marts, COUNTRY, "fr"))
        return out

    return make


def render_mali_report(settings: Settings, month: str | None = None) -> RenderedReport:
    month = month or date.today().strftime("%Y-%m")
    path = write_report_html(
        settings,
        "mali",
        "fr",
        month,
        FILE_NAME,
        TITLE,
        blocks_for(settings, month),
        FIGURE_1_YEARS,
    )
    pdf_path = write_pdf(path)
    mali = figure_1_data(settings)
    figures = {f"mali_detections_{r['year']}": r["detections"] for r in mali.iter_rows(named=True)}
    return RenderedReport(path=path, pdf_path=pdf_path, figures=figures)
