"""Reports, rendered from the published marts only, for a reporting month."""

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import dagster as dg

from ingest.feed_registry import team
from ingest.settings import Settings
from orchestration import keys
from orchestration.assets.publish import PUBLISHED_WAREHOUSE
from reports.calendar import default_month, first_month
from reports.inputs import fingerprint, previous_render, record_render

#: One partition per reporting month (YYYY-MM): the UI shows which months are reported, and
#: a backfill of the report assets re-renders a range of months from the published data.
REPORT_MONTHS = dg.MonthlyPartitionsDefinition(start_date=first_month(), fmt="%Y-%m")


class ReportConfig(dg.Config):
    """For a run without a partition (a rebuild after deliveries, `slc refresh`): the month
    to report on (YYYY-MM); empty means the last month the published data reaches, never
    one that has not closed. A partitioned run reports on its partition's month."""

    month: str | None = None


def reporting_month(
    context: dg.AssetExecutionContext, config: ReportConfig, settings: Settings
) -> str:
    """The partition's month, else the month asked for, else the last month with data."""
    if context.has_partition_key:
        return context.partition_key
    return config.month or default_month(settings.published_marts, date.today())


def outputs(suffix: str, html: Path, pdf: Path) -> dict[str, dg.MetadataValue]:
    """The report's files as links the run's page shows (file:// URLs open on the machine
    that runs the webserver) and as paths to copy."""
    return {
        f"html{suffix}": dg.MetadataValue.url(html.as_uri()),
        f"pdf{suffix}": dg.MetadataValue.url(pdf.as_uri()),
        f"path{suffix}": dg.MetadataValue.path(str(html)),
    }


def render_if_changed(
    context: dg.AssetExecutionContext,
    settings: Settings,
    report: str,
    month: str,
    render: Callable[[], tuple[dict[str, tuple[Path, Path]], dict]],
) -> dg.MaterializeResult:
    """Render `report` for `month` unless its inputs (reports/inputs.py) are those of its
    last render and its files are there; either way the materialisation's data version is
    the inputs' hash and `rendered` says whether anything was drawn."""
    inputs = fingerprint(settings, report, month)
    recorded = previous_render(settings, report, month, inputs)
    if recorded is None:
        files, extra = render()
        recorded = {
            "files": {lang: [str(html), str(pdf)] for lang, (html, pdf) in files.items()},
            **extra,
        }
        written = [Path(f) for pair in recorded["files"].values() for f in pair]
        record_render(settings, report, month, inputs, written, recorded)
        rendered = True
    else:
        context.log.info(f"{report} report for {month}: inputs unchanged, not rendered again")
        rendered = False
    metadata: dict = {"month": month, "rendered": rendered}
    for lang, (html, pdf) in recorded["files"].items():
        context.log.info(f"{report} report for {month}: {html} and {pdf}")
        metadata.update(outputs(f"_{lang}" if lang else "", Path(html), Path(pdf)))
    if "figures" in recorded:
        metadata["figures"] = dg.MetadataValue.json(recorded["figures"])
    return dg.MaterializeResult(
        metadata=metadata, data_version=dg.DataVersion(inputs) if inputs else None
    )


#: What every report asset shares: it reads the published warehouse only.
report_asset = partial(
    dg.asset,
    group_name="reports",
    kinds={"html", "pdf"},
    deps=[PUBLISHED_WAREHOUSE],
    owners=[team("reports")],
    partitions_def=REPORT_MONTHS,
)


@report_asset(
    key=keys.MALI_REPORT,
    description=(
        "The Mali report (French, self-contained HTML and PDF) from the published marts, "
        "under warehouse/reports/<YYYY-MM>/ for the reporting month."
    ),
)
def mali_report(context: dg.AssetExecutionContext, config: ReportConfig) -> dg.MaterializeResult:
    settings = Settings.from_env()
    month = reporting_month(context, config, settings)

    def render() -> tuple[dict[str, tuple[Path, Path]], dict]:
        from reports.mali import render_mali_report  # Altair and WeasyPrint: when drawing

        report = render_mali_report(settings, month)
        return {"": (report.path, report.pdf_path)}, {"figures": report.figures}

    return render_if_changed(context, settings, "mali", month, render)


@report_asset(
    key=keys.REGIONAL_REPORT,
    description=(
        "The regional report (the twelve surveyed countries; English, and its French version; "
        "self-contained HTML and PDF) from the published marts, under "
        "warehouse/reports/<YYYY-MM>/ for the reporting month."
    ),
)
def regional_report(
    context: dg.AssetExecutionContext, config: ReportConfig
) -> dg.MaterializeResult:
    settings = Settings.from_env()
    month = reporting_month(context, config, settings)

    def render() -> tuple[dict[str, tuple[Path, Path]], dict]:
        from reports.regional import render_regional_reports  # Altair and WeasyPrint: when drawing

        return render_regional_reports(settings, month), {}

    return render_if_changed(context, settings, "regional", month, render)
