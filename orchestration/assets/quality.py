"""Great Expectations gates on the marts, as blocking Dagster asset checks.

dagster-ge does not support GX 1.x, so these checks call expectations.runner on a frame
read from the build database. A failed gate stops the publish step downstream.
"""

import importlib

import dagster as dg
import duckdb
import polars as pl

from expectations.runner import validate
from ingest.settings import Settings
from orchestration.assets.dbt import WRITER_POOL

#: mart (dbt model name) -> module holding its suite as MART_SUITE and mart_expectations().
MART_SUITES = {
    "mart_irregular_crossings_yearly": "expectations.suites.frontex",
}


def read_build_table(settings: Settings, table: str, schema: str = "marts") -> pl.DataFrame:
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        return con.sql(f'select * from "{schema}"."{table}"').pl()
    finally:
        con.close()


def mart_gate(mart: str, suite_module: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["marts", mart]),
        name="gx_gate",
        blocking=True,
        pool=WRITER_POOL,
        description=f"GX suite on {mart} in the build database; blocks publishing on failure.",
    )
    def _gate() -> dg.AssetCheckResult:
        settings = Settings.from_env()
        suite = importlib.import_module(suite_module)
        frame = read_build_table(settings, mart)
        outcome = validate(
            frame,
            suite.MART_SUITE,
            suite.mart_expectations(),
            home=settings.home,
            data_docs=settings.data_docs,
        )
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata={
                "rows": frame.height,
                "expectations": outcome.evaluated,
                "failures": dg.MetadataValue.json([str(f) for f in outcome.failures]),
                "data_docs": dg.MetadataValue.path(str(settings.data_docs / "index.html")),
            },
        )

    return _gate


mart_gates = [mart_gate(mart, module) for mart, module in MART_SUITES.items()]
