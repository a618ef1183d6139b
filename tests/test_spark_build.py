"""The dbt project builds on Spark (dbt-spark, session method) from the same bronze as on
DuckDB, and every mart comes out the same (orchestration/spark_build.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FRONTEX_CSV, REFERENCE, run_refresh, temporary_home


def test_the_scale_01_warehouse_builds_the_same_marts_on_spark(tmp_path: Path, small_sample: Path):
    from slc_samples.generate import replay

    from orchestration.spark_build import build_on_spark, mart_differences

    with temporary_home(tmp_path / "warehouse") as settings:
        replay(small_sample, settings.home / "landing", log=lambda *a: None)
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        for path in sorted((REFERENCE / "eutf_rsr").glob("*.csv")):
            shutil.copyfile(path, settings.landing("eutf_rsr") / path.name)
        assert run_refresh().success, "the DuckDB refresh of the scale-0.1 sample failed"

        spark = build_on_spark(settings)
        differences = mart_differences(settings.build_db, spark)

    assert differences == {}
    # Every mart was compared, and the comparison saw rows (not two empty warehouses).
    marts = sorted(p.name for p in (spark.warehouse / "marts.db").iterdir())
    assert len(marts) >= 30
    assert sum(len(spark.table_files("marts", m)) for m in marts) > len(marts) // 2
