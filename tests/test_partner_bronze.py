"""Partner deliveries through the bronze assets: nothing lost, no personal data written.

A small sample (scale 0.1, first months only) is landed and the bronze assets are
materialised through Dagster, as `slc refresh` would.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest import ejom, iom, kobo
from ingest.pseudonymise import pii_columns
from ingest.registry import corrected_by, read_registry
from ingest.settings import REPO_ROOT

from .conftest import REFERENCE


def test_every_partner_delivery_is_accounted_for(partner_warehouse):
    settings, _, landed, result, _ = partner_warehouse
    assert result.success
    records = [r for r in read_registry(settings) if r.feed in ("iom", "ejom", "aecid", "kobo")]
    partner_files = {p.name for p in landed if p.parent.name in ("iom", "ejom", "aecid", "kobo")}
    assert {r.file_name for r in records} == partner_files
    # Loaded, or refused by the bronze gate and replaced by a later revision (the sample's
    # IOM exports sent first with allowances typed 5,200): nothing else is refused.
    refused = [r for r in records if r.status != "loaded"]
    assert all(r.status == "rejected" and corrected_by(settings, r) for r in refused), [
        r.error for r in refused
    ]
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


def test_no_personal_data_reaches_bronze_quarantine_or_the_registry(partner_warehouse):
    settings, sample, _, _, _ = partner_warehouse
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


def test_the_same_person_gets_the_same_key_in_iom_and_ejom(partner_warehouse):
    settings, sample, _, _, _ = partner_warehouse
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


def test_no_personal_data_in_the_duckdb_files_reports_or_logs(partner_warehouse):
    """Raw names, phone numbers and dates of birth are nowhere downstream of the door."""
    settings, sample, _, _, dagster_home = partner_warehouse
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


def test_iom_facts_and_indicators_follow_the_counting_rules(partner_warehouse):
    """fct_returns, fct_assistance_events and the indicator marts built from the sample."""
    settings = partner_warehouse[0]
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


def test_report_figures_are_the_counts_of_the_deliveries(partner_warehouse, tmp_path):
    """Every figure of mart_report_figures equals what the sample generator's calibration
    counts on the same delivered files (its own readers, no warehouse): the figures come
    through bronze, staging, de-duplication, linkage and the marts unchanged."""
    from slc_samples.calibration import canonical_tables, measure
    from slc_samples.config import targets

    settings, sample, landed, _, _ = partner_warehouse
    subset = tmp_path / "delivered"
    for path in landed:
        if path.parent.name in ("iom", "ejom", "aecid", "kobo"):
            (subset / path.parent.name).mkdir(parents=True, exist_ok=True)
            (subset / path.parent.name / path.name).symlink_to(
                sample / path.parent.name / path.name
            )
    expected = {
        r.target.id: r.value or 0.0
        for r in measure(canonical_tables(subset), targets(REFERENCE), 0.1)
    }
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        figures = con.execute(
            "select figure_key, value, numerator, denominator, unit from marts.mart_report_figures"
        ).fetchall()
    finally:
        con.close()
    assert len(figures) > 150
    differ = {
        key: (value, expected[key])
        for key, value, *_ in figures
        if abs((value or 0.0) - expected[key]) > 1e-9
    }
    assert not differ
    # Not vacuous: the delivered months give non-zero counts for most figures.
    assert sum(1 for _, value, *_ in figures if value) > 100
    shares = [f for f in figures if f[4] == "share"]
    assert shares and all(num <= den for _, _, num, den, _ in shares if den)


def test_linkage_of_ejom_beneficiaries_to_iom_cases_is_measured(partner_warehouse):
    """The IOM-EJOM linkage against the generator's truth (never landed): every link made is
    true and every true pair whose two records were delivered is found."""
    from slc_samples.linkage import measure_linkage

    settings, sample, *_ = partner_warehouse
    quality = measure_linkage(settings.published_db, sample / "truth" / "ejom_iom_links.csv")
    assert quality.reachable_truth > 5 and quality.links > 5
    assert set(quality.by_rule) == {"iom_case_number", "phone_and_birth_date"}
    assert quality.precision == 1.0
    assert quality.recall == 1.0
