"""The one Definitions object of the code location, assembled from small modules."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.bronze import (
    BRONZE_BY_FEED,
    bronze_assets,
    delivery_registry,
    reporting_periods,
)
from orchestration.assets.dbt import dbt_docs, slc_dbt_models
from orchestration.assets.publish import published_warehouse
from orchestration.assets.quality import mart_gates
from orchestration.assets.reports import mali_report, regional_report
from orchestration.jobs import ingest_jobs, monthly_refresh, rebuild_job, refresh_job
from orchestration.progress import slc_progress
from orchestration.sensors import landing_sensor, rebuild_sensor

# Importing this module reads the code and the dbt manifest only. Personal data is
# pseudonymised at the door with a key that must exist: each ingest step of a feed with
# personal data loads it first (`load_key`) and, without SLC_PSEUDONYM_KEY or
# SLC_PSEUDONYM_KEY_FILE, fails saying so (`make demo` and `slc keygen` create a local key
# file outside the repository); nothing is read before.
defs = dg.Definitions(
    assets=[
        *bronze_assets,
        delivery_registry,
        reporting_periods,
        slc_dbt_models,
        published_warehouse,
        dbt_docs,
        mali_report,
        regional_report,
    ],
    asset_checks=[mart_gates],
    jobs=[refresh_job, rebuild_job, *ingest_jobs.values()],
    schedules=[monthly_refresh],
    sensors=[
        *(landing_sensor(feed, asset, ingest_jobs[feed]) for feed, asset in BRONZE_BY_FEED.items()),
        rebuild_sensor,
    ],
    loggers={"slc_progress": slc_progress},
    executor=dg.in_process_executor,
)
