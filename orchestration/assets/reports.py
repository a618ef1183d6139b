"""Reports, rendered from the published marts only."""

import dagster as dg

from ingest.settings import Settings
from orchestration.assets.publish import PUBLISHED_WAREHOUSE
from reports.mali import render_mali_report


@dg.asset(
    key=dg.AssetKey(["reports", "mali_report"]),
    group_name="reports",
    kinds={"html"},
    deps=[PUBLISHED_WAREHOUSE],
    description="The Mali report (French, self-contained HTML) from the published marts.",
)
def mali_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    report = render_mali_report(Settings.from_env())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(report.path)),
            "figures": dg.MetadataValue.json(report.figures),
        }
    )
