"""Reports, rendered from the published marts only, for a reporting month."""

from datetime import date

import dagster as dg

from ingest.settings import Settings
from orchestration.assets.publish import PUBLISHED_WAREHOUSE
from reports.mali import render_mali_report


def closed_month(today: date) -> str:
    """The month a run on `today` reports on: the last complete one (YYYY-MM)."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


class ReportConfig(dg.Config):
    """The reporting month (YYYY-MM); empty means the last closed month."""

    month: str | None = None


@dg.asset(
    key=dg.AssetKey(["reports", "mali_report"]),
    group_name="reports",
    kinds={"html", "pdf"},
    deps=[PUBLISHED_WAREHOUSE],
    description=(
        "The Mali report (French, self-contained HTML and PDF) from the published marts, "
        "under warehouse/reports/<YYYY-MM>/ for the reporting month."
    ),
)
def mali_report(context: dg.AssetExecutionContext, config: ReportConfig) -> dg.MaterializeResult:
    month = config.month or closed_month(date.today())
    report = render_mali_report(Settings.from_env(), month)
    context.log.info(f"Mali report for {month}: {report.path} and {report.pdf_path}")
    return dg.MaterializeResult(
        metadata={
            "month": month,
            "path": dg.MetadataValue.path(str(report.path)),
            "pdf": dg.MetadataValue.path(str(report.pdf_path)),
            "figures": dg.MetadataValue.json(report.figures),
        }
    )
