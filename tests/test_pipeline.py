"""The Frontex feed end to end through Dagster.

landing -> bronze -> dbt -> GX gate -> publish -> report.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.registry import read_registry
from ingest.settings import Settings
from tests.conftest import FRONTEX_CSV, FRONTEX_XLSX, drop, run_dbt, run_refresh

SLC = ["BFA", "CIV", "CMR", "GHA", "GIN", "GMB", "GNB", "MLI", "MRT", "NER", "NGA", "SEN", "TCD"]


def published_fingerprint(settings: Settings) -> dict[str, str]:
    """sha256 of every published file as an analyst would open it (through the symlinks)."""
    files = [settings.published_db, *sorted(settings.published_marts.glob("*.parquet"))]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture
def copied_home(published_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A private copy of the published data root, for tests that change it."""
    home = tmp_path / "warehouse"
    shutil.copytree(published_home, home, symlinks=True)
    monkeypatch.setenv("SLC_HOME", str(home))
    return Settings.from_env()


def test_published_mart_holds_the_frontex_figures(published_home: Path, monkeypatch):
    monkeypatch.setenv("SLC_HOME", str(published_home))
    settings = Settings.from_env()
    con = duckdb.connect(str(settings.published_db), read_only=True)
    rows = dict(
        con.execute(
            "select year, detections from marts.mart_irregular_crossings_yearly "
            "where nationality_iso3 = 'MLI' and year in (2014, 2018, 2020)"
        ).fetchall()
    )
    assert rows == {2014: 10567, 2018: 11728, 2020: 1034}
    # The Parquet copy agrees with the DuckDB file, and the SLC total is the sum of the 13.
    yearly = pl.read_parquet(settings.published_marts / "mart_irregular_crossings_yearly.parquet")
    y2018 = yearly.filter(pl.col("year") == 2018)
    slc = y2018.filter(pl.col("nationality_iso3").is_in(SLC))
    assert slc.height == 13 and slc["detections"].sum() == y2018["slc_detections"][0]
    mali = slc.filter(pl.col("nationality_iso3") == "MLI").row(0, named=True)
    assert mali["share_of_slc"] == pytest.approx(11728 / mali["slc_detections"])
    # Non-SLC nationalities are kept, without a share.
    assert yearly.filter(~pl.col("is_slc_nationality"))["share_of_slc"].is_null().all()


def test_delivery_is_accounted_and_lineage_kept(published_home: Path, monkeypatch):
    monkeypatch.setenv("SLC_HOME", str(published_home))
    settings = Settings.from_env()
    (entry,) = [r for r in read_registry(settings) if r.feed == "frontex"]
    assert entry.status == "loaded" and entry.delivery_key == "detections"
    assert entry.rows_read == entry.rows_bronze + entry.rows_quarantined == 833
    bronze = pl.read_parquet(entry.bronze_file)
    assert {"_source_file", "_sha256", "_source_row", "_ingested_at", "_delivery_key"} <= set(
        bronze.columns
    )
    assert bronze["_sha256"].unique().to_list() == [
        hashlib.sha256(FRONTEX_CSV.read_bytes()).hexdigest()
    ]
    assert not list(settings.landing("frontex").glob("*.csv")), (
        "the loaded file left the landing folder"
    )
    archived = list(settings.archive("frontex").iterdir())
    assert len(archived) == 1 and archived[0].stat().st_mode & 0o077 == 0


def test_report_shows_figure_1_with_its_source(published_home: Path):
    (report,) = (published_home / "reports").glob("*/rapport_mali.fr.html")
    html = report.read_text(encoding="utf-8")
    assert "Figure 1" in html and "<svg" in html and "mart_irregular_crossings_yearly" in html
    for figure in ("10\u202f567", "11\u202f728", "1\u202f034"):
        assert figure in html
    # The source line dates the release from the Frontex file's name.
    assert "publication du 2022-02-04" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert (published_home / "data_docs" / "index.html").exists()
    docs = (published_home / "dbt_docs" / "static_index.html").read_text(encoding="utf-8")
    assert "fct_reported_indicators" in docs and "mart_indicator_reconciliation" in docs
    # The docs carry the build's own manifest: the SQL each model ran, compiled.
    assert '\\"staging\\".\\"stg_' in docs  # a ref resolved, as only compiled SQL has it


def test_same_bytes_load_once(copied_home: Settings):
    drop(copied_home, FRONTEX_CSV, name=FRONTEX_CSV.name)
    assert run_refresh().success
    statuses = [r.status for r in read_registry(copied_home) if r.feed == "frontex"]
    assert statuses == ["loaded", "duplicate"]
    assert len(list(copied_home.bronze("frontex").glob("*.parquet"))) == 1


def test_xlsx_release_supersedes_and_gives_the_same_marts(copied_home: Settings):
    before = pl.read_parquet(
        copied_home.published_marts / "mart_irregular_crossings_yearly.parquet"
    )
    drop(copied_home, FRONTEX_XLSX)
    assert run_refresh().success
    after = pl.read_parquet(copied_home.published_marts / "mart_irregular_crossings_yearly.parquet")
    assert (
        len(list(copied_home.bronze("frontex").glob("*.parquet"))) == 2
    )  # the earlier kept for audit
    assert after.sort("year", "nationality_iso3").equals(before.sort("year", "nationality_iso3"))


def _corrupt(settings: Settings, tmp_path: Path, old: str, new: str, release: str) -> Path:
    text = FRONTEX_CSV.read_text(encoding="utf-8-sig").replace(old, new, 1)
    source = tmp_path / f"Frontex-Monthly_detections_of_IBC_{release}.csv"
    source.write_text(text, encoding="utf-8")
    return drop(settings, source)


def test_bronze_gate_failure_rejects_the_delivery_and_keeps_published_files(
    copied_home: Settings, tmp_path: Path
):
    before = published_fingerprint(copied_home)
    landed = _corrupt(
        copied_home,
        tmp_path,
        "\nWestern Balkan Route;Land;",
        "\nWestern Balkan Route;Air;",
        "20220301",
    )
    result = run_refresh()
    assert not result.success
    assert published_fingerprint(copied_home) == before
    error = (copied_home.rejected("frontex") / f"{landed.name}.error.txt").read_text()
    assert (
        landed.name in error
        and "expect_column_values_to_be_in_set" in error
        and "border_type" in error
    )
    assert read_registry(copied_home)[-1].status == "rejected"
    assert not list(copied_home.bronze("frontex").glob("*.parquet"))[1:]


def test_unmapped_nationality_fails_a_dbt_test_and_publishes_nothing(
    copied_home: Settings, tmp_path: Path
):
    before = published_fingerprint(copied_home)
    _corrupt(copied_home, tmp_path, ";Syria;", ";Atlantis;", "20220302")
    result = run_refresh()
    assert not result.success
    failed_checks = {
        e.asset_check_evaluation_data.check_name
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
    }
    assert "not_null_stg_frontex__detections_nationality_iso3" in failed_checks
    assert published_fingerprint(copied_home) == before


def test_reported_indicators_count_each_level_once(published_home: Path):
    """The real export: SLC 3.4 counted at the lowest level that reports it is 62,843;
    summing decisions and contracts doubles it."""
    con = duckdb.connect(str(published_home / "published" / "slc.duckdb"), read_only=True)
    try:
        counted, naive = con.execute(
            "select sum(actual_value) filter (where is_counted), sum(actual_value) "
            "from marts.fct_reported_indicators "
            "where is_slc_window and indicator_code = '3.4' and is_common_output_indicator"
        ).fetchone()
        mali = con.execute(
            "select iati_id, actual_value from marts.fct_reported_indicators "
            "where is_counted and indicator_code = '3.4' and iati_id like '%-ML-%'"
        ).fetchall()
        actions = con.execute(
            "select count(*), count(*) filter (where action_level = 'DEC') from marts.dim_action"
        ).fetchone()
    finally:
        con.close()
    assert counted == 62_843 and naive == 2 * 62_843
    assert mali == [("T05-EUTF-SAH-ML-07-02", 3208.0)]
    # 641 identifiers in the export, 640 once upper-cased: a contract spelled
    # "T05-EUTF-HoA-SO-03" (no parent, no result) collides with the decision it mis-names.
    assert actions[0] == 640 and 0 < actions[1] < actions[0]


def test_a_release_that_loses_most_of_the_series_is_stopped_at_the_mart_gate(
    copied_home: Settings, tmp_path: Path, capsys: pytest.CaptureFixture
):
    """A new Frontex release with a third of the rows passes its bronze gate (every row is
    valid) and supersedes the previous one, but the marts' row-count gate stops the publish."""
    before = published_fingerprint(copied_home)
    lines = FRONTEX_CSV.read_text(encoding="utf-8-sig").splitlines()
    source = tmp_path / "Frontex-Monthly_detections_of_IBC_20220303.csv"
    source.write_text("\n".join(lines[: len(lines) // 3]) + "\n", encoding="utf-8")
    drop(copied_home, source)
    result = run_refresh()
    assert not result.success
    failed = {
        (e.asset_check_evaluation_data.asset_key.path[-1], e.asset_check_evaluation_data.check_name)
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
    }
    assert ("fct_irregular_crossings", "gx_gate") in failed
    assert published_fingerprint(copied_home) == before
    # slc status says which gate failed and why.
    from orchestration.cli import main

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "FAILED fct_irregular_crossings" in out
    assert "expect_table_row_count_to_be_between" in out


def test_dbt_unit_tests_pass(copied_home: Settings):
    """The models' unit tests, which the production build leaves out, run here: every one
    the project declares, each passing."""
    from orchestration.assets.dbt import dbt_graph

    declared = set(dbt_graph.manifest["unit_tests"])
    target = run_dbt(["test", "--select", "test_type:unit"], raise_on_error=False)
    results = json.loads((target / "run_results.json").read_text())
    outcome = {r["unique_id"]: r["status"] for r in results["results"]}
    assert len(declared) >= 7
    assert outcome == dict.fromkeys(declared, "pass")
