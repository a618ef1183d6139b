"""The refresh job and its monthly schedule."""

from __future__ import annotations

import dagster as dg

#: The whole graph: every landing folder to bronze, dbt, gates, publish, reports.
refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Load waiting deliveries, build and test the warehouse, gate, publish, report.",
    executor_def=dg.in_process_executor,
)

monthly_refresh = dg.ScheduleDefinition(
    name="monthly_refresh",
    job=refresh_job,
    cron_schedule="0 6 5 * *",
    execution_timezone="Africa/Bamako",
    description="5th of each month, 06:00 Bamako time: refresh for the closed month.",
)
