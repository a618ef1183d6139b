"""Partner deliveries through the bronze assets: nothing lost, no personal data written.

A small sample (scale 0.1, first months only) is landed and the bronze assets are
materialised through Dagster, as `slc refresh` would.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from ingest import ejom, iom, kobo
from ingest.deliveries import read_registry
from ingest.pseudonymise import pii_columns
from ingest.samples.generate import replay
from ingest.settings import REPO_ROOT

from .conftest import FRONTEX_CSV, run_landing_sensors, temporary_home


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, small_sample: Path):
    """Two years of partner deliveries loaded into bronze, then one rebuild (dbt, gates,
    publish, report) with the Frontex release, on an instance that keeps its logs on disk."""
    root = tmp_path_factory.mktemp("partners")
    sample = small_sample
    with temporary_home(root / "warehouse") as settings:
        landed = replay(sample, settings.home / "landing", until="2019-08", log=lambda *a: None)
        kobo_files = sorted((sample / "kobo").glob("TPML_*_MLI_*"))
        for path in kobo_files:
            (settings.landing("kobo") / path.name).write_bytes(path.read_bytes())
        from orchestration.assets.bronze import BRONZE_BY_FEED
        from orchestration.definitions import defs

        (root / "dagster_home").mkdir()
        instance = dg.DagsterInstance.local_temp(str(root / "dagster_home"))
        result = dg.materialize(
            [BRONZE_BY_FEED[f] for f in ("iom", "ejom", "aecid", "kobo")],
            instance=instance,
            raise_on_error=False,
        )
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        run_landing_sensors(instance)
        rebuild = defs.resolve_job_def("rebuild").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert rebuild.success
        yield settings, sample, landed + kobo_files, result, root / "dagster_home"


def test_every_partner_delivery_is_accounted_for(loaded):
    settings, _, landed, result, _ = loaded
    assert result.success
    records = [r for r in read_registry(settings) if r.feed in ("iom", "ejom", "aecid", "kobo")]
    partner_files = {p.name for p in landed if p.parent.name in ("iom", "ejom", "aecid", "kobo")}
    assert {r.file_name for r in records} == partner_files
    assert all(r.status == "loaded" for r in records), [r.error for r in records if r.error]
    for r in records:
        assert r.rows_read == r.rows_bronze + r.rows_quarantined, r.file_name


def _raw_personal_values(sample: Path) -> set[str]:
    values: set[str] = set()
    path = sorted((sample / "iom").glob("OIM_ML_cases_2019-0*.csv"))[-1]
    frame = iom.parse(path.read_bytes(), path.name).bronze
    values |= set(frame["last_name"].drop_nulls().head(200)) | set(
        frame["phone"].drop_nulls().head(200)
    )
    values |= {str(d) for d in frame["date_of_birth"].drop_nulls().head(200)}
    path = sorted((sample / "ejom").glob("EJOM_registration_*.xlsx"))[0]
    frame = ejom.parse(path.read_bytes(), path.name).bronze
    values |= set(frame["first_name"].drop_nulls().head(100)) | set(
        frame["phone"].drop_nulls().head(100)
    )
    path = sorted((sample / "kobo").glob("TPML_returnee_MLI_*"))[0]
    frame = kobo.parse(path.read_bytes(), path.name).bronze
    values |= set(frame["nom_repondant"].drop_nulls()) | set(frame["telephone"].drop_nulls())
    return {v for v in values if len(v) >= 6}


def test_no_personal_data_reaches_bronze_quarantine_or_the_registry(loaded):
    settings, sample, _, _, _ = loaded
    raw = _raw_personal_values(sample)
    assert len(raw) > 300
    found: set[str] = set()
    files = [
        *settings.bronze("iom").rglob("*.parquet"),
        *settings.bronze("ejom").rglob("*.parquet"),
        *settings.bronze("kobo").rglob("*.parquet"),
        *settings.bronze("aecid").rglob("*.parquet"),
        *settings.home.joinpath("quarantine").rglob("*.parquet"),
    ]
    assert files
    for path in files:
        frame = pl.read_parquet(path)
        for column, dtype in frame.schema.items():
            if dtype == pl.String:
                found |= raw & set(frame[column].drop_nulls().unique().to_list())
            elif dtype == pl.Date:
                found |= raw & {str(d) for d in frame[column].drop_nulls().unique().to_list()}
    registry = (settings.home / "registry" / "deliveries.jsonl").read_text(encoding="utf-8")
    found |= {v for v in raw if v in registry}
    assert not found, sorted(found)[:5]


def test_the_same_person_gets_the_same_key_in_iom_and_ejom(loaded):
    settings, sample, _, _, _ = loaded
    truth = pl.read_csv(sample / "truth" / "ejom_iom_links.csv")
    iom_keys = pl.concat(
        [
            pl.read_parquet(p, columns=["case_id", "person_key"])
            for p in settings.bronze("iom").glob("*.parquet")
        ]
    ).unique()
    ejom_keys = pl.concat(
        [
            pl.read_parquet(p).select("identifier", "person_key")
            for p in settings.bronze("ejom").glob("*.parquet")
            if "identifier" in pl.read_parquet_schema(p)
            and "person_key" in pl.read_parquet_schema(p)
        ]
    )
    pairs = truth.join(ejom_keys, left_on="ejom_identifier", right_on="identifier").join(
        iom_keys, left_on="iom_case_id", right_on="case_id", suffix="_iom"
    )
    assert pairs.height > 0
    assert (pairs["person_key"] == pairs["person_key_iom"]).all()


def _relations_and_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    return con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name not in "
        "('information_schema', 'pg_catalog')"
    ).fetchall()


def test_no_personal_data_in_the_duckdb_files_reports_or_logs(loaded):
    """Raw names, phone numbers and dates of birth are nowhere downstream of the door."""
    settings, sample, _, _, dagster_home = loaded
    raw = _raw_personal_values(sample)
    personal_columns = {
        name for feed in ("iom", "ejom", "aecid", "kobo") for name in pii_columns(feed)
    }
    databases = [settings.build_db, settings.published_db]
    assert all(db.exists() for db in databases)
    checked = 0
    for db in databases:
        con = duckdb.connect(str(db), read_only=True)
        try:
            columns = _relations_and_columns(con)
            assert any(t == "int_iom__cases_latest" for _, t, _, _ in columns) or db != (
                settings.build_db
            ), "the partner data reached the build database"
            assert not {c for _, _, c, _ in columns} & personal_columns
            for schema, table, column, dtype in columns:
                if dtype not in ("VARCHAR", "DATE"):
                    continue
                (hits,) = con.execute(
                    f'select count(*) from "{schema}"."{table}" '
                    f'where cast("{column}" as varchar) in (select unnest(?))',
                    [sorted(raw)],
                ).fetchone()
                assert hits == 0, f"{db.name}: {schema}.{table}.{column}"
                checked += 1
        finally:
            con.close()
    assert checked > 50
    # Text files and logs: Dagster's event log and compute logs, reports, data docs, the
    # registry, dbt's logs. Raw files (landing, archive) are the only place raw data lives.
    texts = [
        p
        for root in (dagster_home, settings.home, REPO_ROOT / "dbt_project" / "logs")
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix not in (".parquet", ".duckdb", ".wal")
        and not {"landing", "archive"} & set(p.relative_to(root).parts)
    ]
    assert any(p.suffix == ".html" for p in texts) and any("dagster" in str(p) for p in texts)
    for path in texts:
        content = path.read_bytes().decode("utf-8", errors="replace")
        leaked = [v for v in raw if v in content]
        assert not leaked, f"{path}: {leaked[:3]}"


def test_iom_facts_and_indicators_follow_the_counting_rules(loaded):
    """fct_returns, fct_assistance_events and the indicator marts built from the sample."""
    settings = loaded[0]
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        allowances = con.execute(
            "select distinct amount_xof, amount_eur from marts.fct_assistance_events "
            "where event_type = 'arrival_allowance'"
        ).fetchall()
        # A case counts once per action for 3.5 bis however many reintegration events it has.
        per_case = con.execute(
            "select count(distinct case_key), count(*) from marts.fct_assistance_events "
            "where stage = 'reintegration' and is_eutf_funded"
        ).fetchone()
        bis = con.execute(
            "select sum(value_in_quarter) from marts.mart_eutf_indicators "
            "where indicator_code = '3.5 bis'"
        ).fetchone()[0]
        departures = dict(
            con.execute(
                "select funding_action, count(*) from marts.fct_returns "
                "where perspective = 'departure' and is_eutf_funded group by 1"
            ).fetchall()
        )
        computed = dict(
            con.execute(
                "select iati_id, computed_value from marts.mart_indicator_reconciliation "
                "where indicator_code = '3.4' and computed_value is not null"
            ).fetchall()
        )
        last_cumulative = con.execute(
            "select indicator_code, iati_id, max(value_cumulative), sum(value_in_quarter) "
            "from (select indicator_code, iati_id, quarter_start, sum(value_in_quarter) "
            "as value_in_quarter, sum(value_cumulative) as value_cumulative "
            "from marts.mart_eutf_indicators group by all) group by all"
        ).fetchall()
    finally:
        con.close()
    assert allowances == [(52000.0, round(52000 / 655.957, 2))]
    assert per_case[1] > per_case[0] > 0 and bis == per_case[0]
    assert departures and computed == {k: float(v) for k, v in departures.items()}
    assert all(cumulative == total for _, _, cumulative, total in last_cumulative)
