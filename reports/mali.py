"""The Mali report, in French, rendered from the published marts only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ingest.settings import Settings
from reports import tables
from reports.figures import FIGURE_1_YEARS, irregular_crossings_chart
from reports.numbers import as_number, fmt_date, fmt_number
from reports.output import published, templates, write_report
from reports.reproduction import reproduction_rows
from reports.survey_charts import survey_figures


@dataclass(frozen=True)
class RenderedReport:
    path: Path
    pdf_path: Path
    figures: dict[str, int]


def figure_1_data(settings: Settings) -> pl.DataFrame:
    """Malian detections per year and share of the SLC total, from the published mart."""
    yearly = pl.read_parquet(settings.published_marts / "mart_irregular_crossings_yearly.parquet")
    first, last = FIGURE_1_YEARS
    return yearly.filter(
        (pl.col("nationality_iso3") == "MLI") & pl.col("year").is_between(first, last)
    ).sort("year")


def render_mali_report(settings: Settings, month: str | None = None) -> RenderedReport:
    manifest, provenance = published(settings)
    mali = figure_1_data(settings)
    rows = [
        {
            "year": r["year"],
            "detections_fmt": fmt_number(r["detections"], "people"),
            "slc_fmt": fmt_number(r["slc_detections"], "people"),
            "share_fmt": fmt_number(r["share_of_slc"], "share").removesuffix("\u202f%"),
        }
        for r in mali.iter_rows(named=True)
    ]
    marts = settings.published_marts
    reproduction = reproduction_rows(marts, lang="fr")
    report_tables = [
        tables.returns_by_host(marts, "MLI"),
        tables.delays(marts, "MLI"),
        tables.referral_funnel(marts, "MLI"),
        tables.indicator_reconciliation(marts, "MLI"),
    ]
    html = (
        templates()
        .get_template("mali_report.fr.html.j2")
        .render(
            **provenance,
            as_of=manifest.published_at[:10],
            release=fmt_date(mali["frontex_release"].max()),
            first_year=mali["year"].min(),
            last_year=mali["year"].max(),
            share_min=round(as_number(mali["share_of_slc"].min()) * 100),
            share_max=round(as_number(mali["share_of_slc"].max()) * 100),
            n_total=fmt_number(as_number(mali["detections"].sum()), "people"),
            figure_1_svg=irregular_crossings_chart(mali, lang="fr"),
            rows=rows,
            tables=report_tables,
            survey_figures=survey_figures(marts, "MLI", lang="fr"),
            disclosure=tables.disclosure(),
            reproduction=reproduction,
            reproduced=sum(r["status"] == "reproduced" for r in reproduction),
        )
    )
    month = month or datetime.now(UTC).strftime("%Y-%m")
    path = settings.reports / month / "rapport_mali.fr.html"
    pdf_path = write_report(html, path)
    figures = {f"mali_detections_{r['year']}": r["detections"] for r in mali.iter_rows(named=True)}
    return RenderedReport(path=path, pdf_path=pdf_path, figures=figures)
