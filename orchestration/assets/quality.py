"""Great Expectations gates on every mart, as blocking Dagster asset checks.

dagster-ge does not support GX 1.x, so the checks call expectations.runner on frames read
from the build database. One step validates every mart (one GX context, Data Docs rendered
once) and reports one check per mart: an ERROR stops the publish step downstream. The
reconciliation of the EUTF indicators is a WARN check: recorded and shown, not blocking.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import dagster as dg
import duckdb
import polars as pl

from ingest.settings import Settings
from orchestration import keys
from orchestration.assets.dbt import WRITER_POOL, slc_dbt_models
from orchestration.memory import release_memory
from publishing.build_db import wait_until_free
from publishing.publish import current_version, read_manifest

GATE_CHECK = keys.MART_GATE
RECONCILIATION = "mart_indicator_reconciliation"
VARIANCE_CHECK = "reconciliation_variance"


def published_marts() -> list[str]:
    """The dbt models of the marts layer, what the publish step copies to analysts: the
    dbt assets' keys under `marts/` (the manifest is read once, by the dbt assets)."""
    return sorted(key.path[1] for key in slc_dbt_models.keys if key.path[0] == keys.MARTS)


MARTS = published_marts()


@dataclass(frozen=True)
class MartShape:
    columns: list[str]
    rows: int


def mart_shape(settings: Settings, table: str, schema: str = "marts") -> MartShape:
    """A mart's columns and rows, without reading its values."""
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        relation = con.table(f'"{schema}"."{table}"')
        (rows,) = con.sql(f'select count(*) from "{schema}"."{table}"').fetchall()[0]
        return MartShape(columns=list(relation.columns), rows=rows)
    finally:
        con.close()


def read_build_table(
    settings: Settings, table: str, columns: list[str] | None = None, schema: str = "marts"
) -> pl.DataFrame:
    """A table of the build database, or only `columns` of it: a gate reads what its
    expectations read, since a whole wide fact held as Polars then pandas frames costs
    gigabytes (BENCHMARKS.md, "Measurements behind the design")."""
    if columns == []:
        return pl.DataFrame()
    names = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        return con.sql(f'select {names} from "{schema}"."{table}"').pl()
    finally:
        con.close()


def previous_row_counts(settings: Settings) -> dict[str, int]:
    """Rows of each mart at the current publish (none before the first one)."""
    version = current_version(settings)
    if version is None:
        return {}
    counts = read_manifest(version).row_counts
    return {
        name.removeprefix("marts."): n for name, n in counts.items() if name.startswith("marts.")
    }


def variance_warnings(frame: pl.DataFrame, threshold: float) -> list[str]:
    """Actions whose computed indicator differs from the reported one beyond the threshold."""
    off = frame.filter(pl.col("variance_pct").abs() > threshold).sort("iati_id", "indicator_code")
    return [
        f"{r['iati_id']} {r['indicator_code']}: computed {r['computed_value']:g}, "
        f"reported {r['reported_value']:g} ({r['variance_pct']:+.1f}%)"
        for r in off.iter_rows(named=True)
    ]


def write_gate_report(settings: Settings, run_id: str, report: dict[str, list]) -> None:
    """Record what the gates found, for `slc status` (the Dagster UI shows it too)."""
    settings.gate_report.parent.mkdir(parents=True, exist_ok=True)
    payload = {"run_id": run_id, "checked_at": datetime.now(UTC).isoformat(), **report}
    settings.gate_report.write_text(json.dumps(payload, indent=2), encoding="utf-8")


@dg.multi_asset_check(
    specs=[
        *(
            dg.AssetCheckSpec(
                GATE_CHECK,
                asset=keys.mart(mart),
                blocking=True,
                description=f"GX suite on {mart} in the build database; blocks publishing "
                "on failure (expectations/suites/marts.py).",
            )
            for mart in MARTS
        ),
        dg.AssetCheckSpec(
            VARIANCE_CHECK,
            asset=keys.mart(RECONCILIATION),
            blocking=False,
            description="Computed EUTF indicators against the reported ones: a warning names "
            "each action beyond the variance threshold (expectations/domain_rules.yml).",
        ),
    ],
    pool=WRITER_POOL,
    # A change-driven rebuild gates the marts it rebuilt only.
    can_subset=True,
)
def mart_gates(context: dg.AssetCheckExecutionContext):
    # GX loads on first use: it is half the import time of the code location, which every
    # run process, sensor tick and test pays.
    from expectations.runner import render_data_docs
    from expectations.suites.marts import rules, validate_mart

    settings = Settings.from_env()
    wait_until_free(settings.build_db, log=context.log.warning)
    previous = previous_row_counts(settings)
    docs = settings.data_docs / "index.html"
    report: dict[str, list] = {"passed": [], "failed": []}
    outcomes = []
    for mart in MARTS:
        if dg.AssetCheckKey(keys.mart(mart), GATE_CHECK) not in (context.selected_asset_check_keys):
            continue
        shape = mart_shape(settings, mart)
        outcome = validate_mart(
            mart,
            shape.columns,
            shape.rows,
            partial(read_build_table, settings, mart),
            previous_rows=previous.get(mart),
            home=settings.home,
            data_docs=settings.data_docs,
        )
        outcomes.append(outcome)
        if outcome.success:
            report["passed"].append(mart)
        else:
            report["failed"].append({"mart": mart, "failures": [str(f) for f in outcome.failures]})
        yield dg.AssetCheckResult(
            asset_key=keys.mart(mart),
            check_name=GATE_CHECK,
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata={
                "rows": shape.rows,
                "columns_read": dg.MetadataValue.json(list(outcome.columns_read)),
                "rows_at_previous_publish": previous.get(mart, 0),
                "expectations": outcome.evaluated,
                "failures": dg.MetadataValue.json([str(f) for f in outcome.failures]),
                "data_docs": dg.MetadataValue.path(str(docs)),
            },
        )
    render_data_docs(home=settings.home, data_docs=settings.data_docs, outcomes=outcomes)
    write_gate_report(settings, context.run.run_id, report)
    variance_key = dg.AssetCheckKey(keys.mart(RECONCILIATION), VARIANCE_CHECK)
    if variance_key in context.selected_asset_check_keys:
        threshold = rules()["reconciliation_warn_variance_pct"]
        warnings = variance_warnings(read_build_table(settings, RECONCILIATION), threshold)
        yield dg.AssetCheckResult(
            asset_key=keys.mart(RECONCILIATION),
            check_name=VARIANCE_CHECK,
            passed=not warnings,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(warnings)} action-indicator pairs beyond ±{threshold}%"
                if warnings
                else f"every computed indicator within ±{threshold}% of the reported value"
            ),
            metadata={"beyond_threshold": dg.MetadataValue.json(warnings)},
        )
    del outcomes
    release_memory()  # GX's pandas frames leave glibc's heap fragmented; publish follows
