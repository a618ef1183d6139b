"""The sample generator: calibration against the Mali report, parsers on every feed, dirt.

One scale-1 sample (the config's seed) is generated once per session (about a minute).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from slc_samples.calibration import calibrate, current_files, markdown
from slc_samples.config import config, notes
from slc_samples.generate import DIRT_MANIFEST, generate, read_manifest, replay

from ingest import aecid, ejom, iom, kobo, survey_seeds
from ingest.feed_docs import stale
from ingest.settings import REPO_ROOT
from ingest.survey_seeds import SEEDS

from .conftest import REFERENCE


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(out, 1.0, int(config()["seed"]), REFERENCE, log=lambda *a: None)
    return out


@pytest.fixture(scope="session")
def dirt(sample_dir: Path) -> dict:
    return json.loads((sample_dir / DIRT_MANIFEST).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def results(sample_dir: Path):
    return calibrate(sample_dir, REFERENCE, 1.0)


def test_calibration_has_no_unexplained_miss(results):
    misses = [
        f"{r.target.id}: {r.target.target:g} vs {r.value}" for r in results if r.status == "MISS"
    ]
    assert not misses, misses
    by_id = {r.target.id: r for r in results}
    # A few headline figures, stated here so that a change of config cannot hide them.
    assert by_id["iom.ml.returnees_2017_05_2021_02"].value == 16451
    assert by_id["eutf.ml_07_02.3_4"].value == 3208
    assert by_id["eutf.ml_07_02.3_5"].value == 13096
    assert by_id["eutf.ml_07_02.3_5bis"].value == 11608
    assert by_id["eutf.ml_07_01.3_3"].value == 130270
    assert by_id["eutf.ml_09_01.1_4"].value == 8681
    assert by_id["rs.ml.respondents"].value == 333
    assert by_id["rs.ml.satisfied"].value == 207
    assert by_id["ss.ml.satisfied"].value == 170
    # Every EU-IOM Joint Initiative contract of the RSR export is a target, and met.
    eutf = [r for r in results if r.target.id.startswith("eutf.") and r.target.section == "RSR"]
    assert len(eutf) >= 13 * 3 - 1 and all(r.status == "met" for r in eutf)
    # Conflicts are explained in the statements' registry, never silently accepted.
    conflicts = notes()
    assert all(r.target.id in conflicts for r in results if r.status == "conflict")


def test_calibration_doc_is_the_measurement(results, sample_dir):
    """docs/calibration.md is produced by code from the generated files, not typed."""
    expected = markdown(results, read_manifest(sample_dir))
    committed = (REPO_ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    assert committed == expected, (
        "run `slc-samples generate && slc-samples calibration --write-docs`"
    )


def test_feed_docs_match_the_contracts():
    assert stale() == [], "run `slc docs`"


def test_survey_seeds_match_the_questionnaires():
    """The warehouse's question list is generated from the KoBo questionnaires, not kept apart."""
    assert survey_seeds.stale() == [], "run `slc docs`"
    questions = (SEEDS / "survey_questions.csv").read_text(encoding="utf-8")
    assert "returnee,formation_satisfaction," in questions
    assert "nom_repondant" not in questions


def test_report_statements_match_the_calibration_targets():
    """What the reports say the seed report stated is the calibration's list, not a copy."""
    from ingest import report_statements

    assert report_statements.stale() == [], "run `slc docs`"
    seed = (SEEDS / "report_statements.csv").read_text(encoding="utf-8")
    assert "iom.ml.arrival_allowance_all,3.2.2," in seed and ",52000,,equal," in seed


def _one(sample_dir: Path, pattern: str) -> Path:
    files = sorted(sample_dir.glob(pattern))
    assert files, pattern
    return files[len(files) // 2]


@pytest.mark.parametrize(
    "parser, pattern, columns",
    [
        (
            iom.parse,
            "iom/OIM_ML_cases_2020-*.csv",
            {"case_id", "arrival_date", "nationality", "mission"},
        ),
        (iom.parse, "iom/IOM_GM_cases_2019-*.xlsx", {"case_id", "arrival_date", "nationality"}),
        (iom.parse, "iom/IOM_NG_cases_*.csv", {"case_id", "post_arrival_action"}),
        (
            ejom.parse,
            "ejom/EJOM_registration_*.xlsx",
            {"identifier", "cohort", "is_returnee", "phone"},
        ),
        (ejom.parse, "ejom/EJOM_training_*.xlsx", {"beneficiary_id", "module", "funding_action"}),
        (ejom.parse, "ejom/EJOM_kits_*.xlsx", {"tranche", "amount_xof", "payment_modes"}),
        (ejom.parse, "ejom/EJOM_smes_*.xlsx", {"sme_name", "selected_date"}),
        (
            aecid.parse,
            "aecid/AECID_*.xlsx",
            {"activity_date", "potential_migrants", "organisation"},
        ),
        (
            kobo.parse,
            "kobo/TPML_returnee_MLI_C3_*.xlsx",
            {"uuid", "retour_oim", "effets_positifs_confiance"},
        ),
        (kobo.parse, "kobo/TPML_returnee_*_C3_*.csv", {"uuid", "covid_impact", "country", "cycle"}),
        (kobo.parse, "kobo/TPML_sensitisation_MLI_*.xlsx", {"uuid", "satisfaction"}),
    ],
)
def test_each_feed_parses_a_sample(sample_dir, parser, pattern, columns):
    path = _one(sample_dir, pattern)
    parsed = parser(path.read_bytes(), path.name)
    assert parsed.bronze.height > 0
    assert columns <= set(parsed.bronze.columns)
    # Nothing is lost: every row read is in bronze or in quarantine.
    assert parsed.rows_read == parsed.bronze.height + parsed.quarantine.height
    reasons = set(parsed.quarantine["_reason"].to_list()) if parsed.quarantine.height else set()
    assert reasons <= {"blank_row", "totals_row", "duplicate_submission"}, reasons


def test_french_templates_and_english_map_to_one_schema(sample_dir):
    v1 = _one(sample_dir, "iom/OIM_ML_cases_2019-0*.csv")
    v2 = _one(sample_dir, "iom/OIM_ML_cases_2021-0*.csv")
    en = _one(sample_dir, "iom/IOM_NG_cases_2021-*.csv")
    frames = [iom.parse(p.read_bytes(), p.name).bronze for p in (v1, v2, en)]
    assert frames[0].schema == frames[1].schema == frames[2].schema
    assert "Date arrivée au pays" in v2.read_bytes().decode(
        "utf-8", "replace"
    ) or "Date arriv" in v2.read_bytes().decode("cp1252")
    # Every spelling of a country maps to ISO3; amounts with decimal commas are numbers.
    for frame in frames:
        assert frame["nationality"].null_count() == 0
        assert frame["arrival_allowance_xof"].drop_nulls().min() > 0


def test_blank_rows_caught_equal_blank_rows_injected(sample_dir, dirt):
    injected = [
        e
        for e in dirt["entries"]
        if e["kind"] == "blank_row" and e["file"].startswith(("OIM_", "IOM_"))
    ]
    assert injected
    for entry in injected[:25]:
        path = next((sample_dir / "iom").glob(entry["file"]))
        parsed = iom.parse(path.read_bytes(), path.name)
        caught = parsed.quarantine.filter(pl.col("_reason") == "blank_row")
        assert sorted(caught["_source_row"].to_list()) == entry["rows"], entry["file"]


def test_duplicates_and_totals_caught_equal_injected(sample_dir, dirt):
    # Duplicate submissions (KoBo _uuid, Akvo Instance): the repeat goes to quarantine, on the
    # row it was injected, and rows read = bronze + quarantine still holds.
    duplicates = [e for e in dirt["entries"] if e["kind"] == "duplicate_submission"]
    assert {e["file"][:4] for e in duplicates} == {"TPML", "EJOM"}
    for entry in duplicates:
        reader, folder = (kobo, "kobo") if entry["file"].startswith("TPML_") else (ejom, "ejom")
        path = sample_dir / folder / entry["file"]
        parsed = reader.parse(path.read_bytes(), path.name)
        caught = parsed.quarantine.filter(pl.col("_reason") == "duplicate_submission")
        assert sorted(caught["_source_row"].to_list()) == entry["rows"], entry["file"]
        assert parsed.rows_read == parsed.bronze.height + parsed.quarantine.height
    # AECID: every TOTAL row and blank row is caught, on the sheet and row it was injected.
    names = sorted({e["file"] for e in dirt["entries"] if e["file"].startswith("AECID_")})
    for name in names[::5]:
        path = sample_dir / "aecid" / name
        quarantine = aecid.parse(path.read_bytes(), path.name).quarantine
        for kind in ("totals_row", "blank_row"):
            caught = (
                quarantine.filter(pl.col("_reason") == kind)
                .select("_sheet_name", "_source_row")
                .rows()
            )
            injected = [
                (e["sheet"], r)
                for e in dirt["entries"]
                if e["kind"] == kind and e["file"] == name
                for r in e["rows"]
            ]
            assert sorted(caught) == sorted(injected), (name, kind)


def test_corrections_supersede(sample_dir, dirt):
    corrected = [
        e
        for e in dirt["entries"]
        if e["kind"] == "corrected_redelivery" and e["file"].startswith(("OIM_", "IOM_"))
    ]
    assert corrected
    entry = corrected[0]
    first = iom.parse((sample_dir / "iom" / entry["file"]).read_bytes(), entry["file"]).bronze
    fixed = iom.parse(
        (sample_dir / "iom" / entry["corrected_by"]).read_bytes(), entry["corrected_by"]
    ).bronze
    assert first.height == fixed.height
    wrong = first.join(fixed, on="case_id", suffix="_fixed").filter(
        pl.col("arrival_allowance_xof") != pl.col("arrival_allowance_xof_fixed")
    )
    assert sorted(wrong["case_id"].to_list()) == entry["cases"]
    # Read the way the warehouse reads them, only the correction counts.
    assert entry["file"] not in [p.name for p in _current(sample_dir)]
    assert entry["corrected_by"] in [p.name for p in _current(sample_dir)]


def _current(sample_dir: Path) -> list[Path]:
    return current_files(sample_dir / "iom", "iom")


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        generate(out, 0.1, 7, REFERENCE, log=lambda *x: None)
    names = sorted(
        p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "manifest.json"
    )
    assert names == sorted(
        p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "manifest.json"
    )
    for name in names:
        assert (
            hashlib.sha256((a / name).read_bytes()).digest()
            == hashlib.sha256((b / name).read_bytes()).digest()
        ), name


def test_replay_lands_deliveries_in_partner_order(sample_dir, tmp_path):
    landing = tmp_path / "landing"
    first = replay(sample_dir, landing, until="2017-07", log=lambda *a: None)
    assert first and all(p.parent.parent == landing for p in first)
    manifest = read_manifest(sample_dir)
    expected = [d for d in manifest["deliveries"] if d["delivered_on"][:7] <= "2017-07"]
    assert len(first) == len(expected)
    # A late month arrives after the following one: replay keeps the partners' order.
    late = [
        d
        for d in manifest["deliveries"]
        if d["feed"] == "iom" and d["delivered_on"][:7] > _next_month(d["delivery_key"][-7:])
    ]
    assert late
    rest = replay(sample_dir, landing, log=lambda *a: None)
    assert len(first) + len(rest) == len({d["path"] for d in manifest["deliveries"]})


def _next_month(month: str) -> str:
    year, mon = map(int, month.split("-"))
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def test_country_spellings_caught_equal_injected(sample_dir, dirt):
    """Every spelling maps to ISO3, and the variants counted equal the variants injected."""
    from ingest.contracts import load_contract
    from ingest.countries import names, to_iso3
    from ingest.tabular import read_table

    contract = load_contract("iom")
    entries = [e for e in dirt["entries"] if e["kind"] == "country_spelling"]
    assert entries
    for entry in entries[::40]:
        path = sample_dir / "iom" / entry["file"]
        table = read_table(path.read_bytes(), path.name, contract.xlsx_sheet)
        raw = table.frame.rename(contract.check_header(path.name, table.headers))
        language = "fr" if path.name.startswith("OIM_") else "en"
        values = raw["nationality"].drop_nulls().to_list()
        codes = [to_iso3(v) for v in values]
        assert None not in codes, path.name
        variants = sum(v != names(c)[language] for v, c in zip(values, codes, strict=True))
        assert variants == entry["n"], path.name


def test_linkage_truth_is_written_for_the_warehouse(sample_dir):
    """The generator records which EJOM beneficiary is which IOM returnee (issue 5's yardstick)."""
    truth = pl.read_csv(sample_dir / "truth" / "ejom_iom_links.csv")
    referred = truth.filter(pl.col("referred_by_iom"))
    assert referred.height == 290 and truth.height > referred.height
    registrations = pl.concat(
        [
            ejom.parse(p.read_bytes(), p.name).bronze
            for p in sorted((sample_dir / "ejom").glob("EJOM_registration_*"))
        ],
        how="diagonal_relaxed",
    ).unique("instance")
    carried = registrations.filter(pl.col("iom_case_id").is_not_null())
    assert set(carried["iom_case_id"]) == set(referred["iom_case_id"])
    assert set(truth["ejom_identifier"]) <= set(registrations["identifier"])
