"""Jobs: one ingest job per feed, the rebuild downstream of bronze, and the whole refresh.

A delivery is one unit of work: the feed's sensor starts one `ingest_<feed>` run per file.
When a burst of deliveries has been loaded, one `rebuild` run (dbt, gates, publish,
reports) follows, not one per file. The `refresh` job does both in one run, for the
monthly schedule and `slc refresh`.
"""

from __future__ import annotations

import dagster as dg

from orchestration import keys
from orchestration.assets.bronze import BRONZE_BY_FEED
from orchestration.assets.dbt import slc_dbt_models

BRONZE = dg.AssetSelection.groups("bronze")
#: dbt docs describe the models, which change with the code, not with a delivery: the
#: refresh (monthly, `slc refresh`, `make demo`) generates them, the rebuild does not.
DBT_DOCS = dg.AssetSelection.assets(keys.DBT_DOCS)
#: dbt's tests on the bronze sources: checks of the bronze assets, run by the dbt step.
SOURCE_TESTS = dg.AssetSelection.checks(
    *(key for key in slc_dbt_models.check_keys if key.asset_key.path[0] == "bronze")
)
#: Tag of every ingest run: the rebuild sensor waits while such runs are in flight.
INGEST_TAG = "slc/ingest"

#: The whole graph: every landing folder to bronze, dbt, gates, publish, reports. Its dbt
#: build is a full refresh: incremental facts are rebuilt whole, so a correction older than
#: their lookback window is in the warehouse after the next monthly refresh at the latest.
refresh_job = dg.define_asset_job(
    keys.REFRESH_JOB,
    selection=dg.AssetSelection.all(),
    description="Load waiting deliveries, rebuild the whole warehouse (dbt --full-refresh), "
    "gate, publish, report.",
    executor_def=dg.in_process_executor,
    config={"ops": {"slc_dbt_models": {"config": {"full_refresh": True}}}},
)

#: Everything downstream of bronze but the dbt docs, run once per burst of deliveries;
#: incremental facts merge their recent months only.
rebuild_job = dg.define_asset_job(
    "rebuild",
    selection=(dg.AssetSelection.all() - BRONZE - DBT_DOCS) | SOURCE_TESTS,
    description="Build and test the warehouse from the current bronze, gate, publish, report "
    "(the dbt docs are left to the refresh).",
    executor_def=dg.in_process_executor,
)

#: feed -> the job that loads one of its deliveries into bronze.
ingest_jobs: dict[str, dg.UnresolvedAssetJobDefinition] = {
    feed: dg.define_asset_job(
        f"ingest_{feed}",
        # The asset and the checks its own step runs (not dbt's source tests on it).
        selection=dg.AssetSelection.assets(asset).without_checks()
        | dg.AssetSelection.checks(*asset.check_keys),
        description=f"Load one {feed} delivery (or every waiting one) into bronze.",
        tags={INGEST_TAG: feed},
        executor_def=dg.in_process_executor,
    )
    for feed, asset in BRONZE_BY_FEED.items()
}


@dg.schedule(
    name="monthly_refresh",
    job=refresh_job,
    cron_schedule="0 6 5 * *",
    execution_timezone="Africa/Bamako",
    description="5th of each month, 06:00 Bamako time: refresh, and report on the closed "
    "month (the reports' partition of that month).",
)
def monthly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    from reports.calendar import closed_month

    month = closed_month(context.scheduled_execution_time.date())
    return dg.RunRequest(run_key=f"monthly-{month}", partition_key=month, tags={"month": month})
