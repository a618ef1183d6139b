"""Every asset key, check name and step name the code location uses, declared once.

A key is `<layer>/<name>` (docs/architecture.md, "Dagster conventions"); a step's name is
its asset key as a Python identifier (`reports/mali_report` -> `reports__mali_report`).
Jobs, the progress log, the bench and the tests take names from here instead of typing them.
"""

from __future__ import annotations

import dagster as dg

BRONZE = "bronze"
MARTS = "marts"


def bronze(feed: str, table: str) -> dg.AssetKey:
    return dg.AssetKey([BRONZE, f"{feed}_{table}"])


def mart(name: str) -> dg.AssetKey:
    return dg.AssetKey([MARTS, name])


REGISTRY = dg.AssetKey(["registry", "deliveries"])
REPORTING_PERIODS = dg.AssetKey(["registry", "reporting_periods"])
PUBLISHED_WAREHOUSE = dg.AssetKey(["published", "warehouse"])
DBT_DOCS = dg.AssetKey(["published", "dbt_docs"])
MALI_REPORT = dg.AssetKey(["reports", "mali_report"])
REGIONAL_REPORT = dg.AssetKey(["reports", "regional_report"])
REPORTS = (MALI_REPORT, REGIONAL_REPORT)

#: The job that rebuilds the whole warehouse (dbt --full-refresh), however it is launched.
REFRESH_JOB = "refresh"

#: Checks: a bronze delivery's blocking gate and its calendar, a mart's blocking GX gate.
BRONZE_GATE = "bronze_gate"
CALENDAR = "delivered_on_calendar"
MART_GATE = "gx_gate"


def step(key: dg.AssetKey) -> str:
    """The name of the step (op) that materialises a single-asset definition."""
    return key.to_python_identifier()
