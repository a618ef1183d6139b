"""Measure every calibration target on the generated files, read back as the pipeline reads them.

The files go through the feed readers (ingest.iom, ingest.ejom, ingest.aecid, ingest.kobo),
corrections supersede the deliveries they correct, cumulative IOM exports give each case its
latest state, duplicate submissions count once; then each target's SQL runs in DuckDB.
`docs/calibration.md` is this module's output, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ingest import aecid, ejom, kobo
from ingest.contracts import load_contract
from ingest.countries import to_iso3
from ingest.registry import current_versions
from ingest.tabular import read_table
from ingest.typed import type_frame
from slc_samples.config import Target, notes, targets

TABLES = (
    "iom_returnees",
    "iom_transit",
    "ejom_beneficiaries",
    "ejom_trainings",
    "ejom_kits",
    "ejom_smes",
    "aecid_activities",
    "returnee_survey",
    "sensitisation_survey",
    "sensitisation_activities",
)


def current_files(folder: Path, contract_name: str, pattern: str = "*") -> list[Path]:
    contract = load_contract(contract_name)
    names = [p.name for p in folder.glob(pattern) if p.is_file()]
    return [folder / n for n in current_versions(names, contract)]


def iom_cases(sample_dir: Path) -> pl.DataFrame:
    """Every case once, in its latest state (the most recent monthly export that has it).

    Exports are read newest first and only the cases not seen yet are typed, which keeps
    this fast on the cumulative exports (the rule itself is the warehouse's, issue 5).
    """
    contract = load_contract("iom")
    files = current_files(sample_dir / "iom", "iom")
    by_mission: dict[str, list[Path]] = {}
    for path in files:
        by_mission.setdefault(path.name.split("_")[1], []).append(path)
    frames = []
    for paths in by_mission.values():
        seen = pl.DataFrame(schema={"case_id": pl.String})
        fresh_rows = []
        for path in sorted(paths, key=lambda p: p.name.split("_")[3], reverse=True):
            table = read_table(path.read_bytes(), path.name, contract.xlsx_sheet)
            raw = table.frame.rename(contract.check_header(path.name, table.headers))
            fresh = raw.join(seen, on="case_id", how="anti").filter(pl.col("case_id").is_not_null())
            match = contract.file_pattern.match(path.name)
            mission = to_iso3(match.group("country")) if match else None
            fresh_rows.append(fresh.with_columns(pl.lit(mission).alias("_mission")))
            seen = pl.concat([seen, fresh.select("case_id")])
        raw = pl.concat(fresh_rows, how="diagonal_relaxed")
        good, _ = type_frame(raw, contract, keep=["_mission"])
        frames.append(good.rename({"_mission": "mission"}))
    return pl.concat(frames, how="diagonal_relaxed")


def _read_all(paths: list[Path], parse) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    parsed = [parse(p.read_bytes(), p.name) for p in paths]
    main = pl.concat([p.bronze for p in parsed], how="diagonal_relaxed")
    related: dict[str, list[pl.DataFrame]] = {}
    for p in parsed:
        for name, frame in p.related.items():
            related.setdefault(name, []).append(frame)
    return main, {k: pl.concat(v, how="diagonal_relaxed") for k, v in related.items()}


def canonical_tables(sample_dir: Path) -> dict[str, pl.DataFrame]:
    cases = iom_cases(sample_dir)
    economic = pl.min_horizontal("cash_date", "kit_date", "training_start_date", "project_date")
    cases = cases.with_columns(economic.alias("economic_start_date"))
    tables = {
        "iom_returnees": cases.filter(pl.col("case_type") == "returnee"),
        "iom_transit": cases.filter(pl.col("case_type") == "transit").rename(
            {"departure_date": "avr_departure_date"}
        ),
    }
    forms = {}
    for form in ejom.FORMS:
        frame, related = _read_all(
            current_files(sample_dir / "ejom", f"ejom_{form}", f"EJOM_{form}_*"), ejom.parse
        )
        forms[form] = frame.unique("instance", keep="first", maintain_order=True)
    tables["ejom_beneficiaries"] = forms["registration"].with_columns(
        pl.col("cohort").cast(pl.Int64),
        (pl.col("is_returnee") == "true").alias("is_returnee"),
        pl.col("identifier").alias("beneficiary_id"),
    )
    tables["ejom_trainings"] = forms["training"].with_columns(
        pl.when(pl.col("completed") == "true").then(pl.col("end_date")).alias("completed_date")
    )
    completed = (
        tables["ejom_trainings"]
        .group_by("beneficiary_id")
        .agg(
            pl.col("completed_date")
            .filter(pl.col("module") == "life_skills")
            .max()
            .alias("life_skills_completed"),
            pl.col("completed_date")
            .filter(pl.col("module") == "technical")
            .max()
            .alias("technical_completed"),
        )
    )
    tables["ejom_beneficiaries"] = tables["ejom_beneficiaries"].join(
        completed, on="beneficiary_id", how="left"
    )
    tables["ejom_kits"] = forms["kits"].with_columns(pl.col("tranche").cast(pl.Int64))
    tables["ejom_smes"] = forms["smes"]
    tables["aecid_activities"], _ = _read_all(
        current_files(sample_dir / "aecid", "aecid"), aecid.parse
    )
    kobo_files = current_files(sample_dir / "kobo", "kobo")
    for survey in ("returnee", "sensitisation"):
        paths = [p for p in kobo_files if p.name.startswith(f"TPML_{survey}_")]
        frame, related = _read_all(paths, kobo.parse)
        tables[f"{survey}_survey"] = frame.unique("uuid", keep="first", maintain_order=True)
        if "activities" in related:
            tables["sensitisation_activities"] = related["activities"]
    return tables


@dataclass(frozen=True)
class Result:
    target: Target
    value: float | None
    status: str  # met | conflict | MISS
    note: str


def measure(
    tables: dict[str, pl.DataFrame], all_targets: list[Target], scale: float = 1.0
) -> list[Result]:
    conflicts = notes()
    con = duckdb.connect()
    for name, frame in tables.items():
        con.register(name, frame.to_arrow())
    results = []
    for t in all_targets:
        query = t.query or f"select {t.measure} from {t.source} where {t.sql}"
        [(value,)] = con.execute(query).fetchall()
        value = None if value is None else float(value)
        if value is None and t.measure.startswith(("count", "sum")):
            value = 0.0
        base = None
        if t.tolerance and t.query is None:
            [(base,)] = con.execute(f"select count(*) from {t.source} where {t.sql}").fetchall()
        if t.met(value, scale, base):
            status, note = "met", ""
        elif t.id in conflicts:
            status, note = "conflict", conflicts[t.id]
        else:
            status, note = "MISS", ""
        results.append(Result(t, value, status, note))
    return results


def _fmt(value: float | None, target: Target) -> str:
    if value is None:
        return "—"
    if target.tolerance or (0 < abs(value) < 1 and value != int(value)):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:,.0f}".replace(",", "\u202f")


def markdown(results: list[Result], manifest: dict) -> str:
    """docs/calibration.md: every target, its generated value and status; conflicts explained."""
    counts = {s: sum(r.status == s for r in results) for s in ("met", "conflict", "MISS")}
    lines = [
        "# Calibration of the sample data",
        "",
        "<!-- Generated by `slc-samples calibration --write-docs` from the generated files. -->",
        "",
        f"Sample: seed {manifest['seed']}, scale {manifest['scale']:g}, "
        f"{len(manifest['deliveries'])} deliveries. Targets: {len(results)} — "
        f"{counts['met']} met, {counts['conflict']} conflicts explained below, "
        f"{counts['MISS']} unexplained misses.",
        "",
        "Each value is measured on the generated files read back by the feed readers: corrections",
        "supersede the delivery they correct, each IOM case counts once in its latest state, a",
        "duplicate submission counts once. Targets and their SQL are in",
        "`samples/slc_samples/sample_config.yml`; the EUTF rows of the other countries come from",
        "`../shared/reference/eutf_rsr/` (contract actuals, rounded to whole people).",
        "",
        "| id | section | statement | target | generated | status |",
        "|---|---|---|---:|---:|---|",
    ]
    for r in results:
        t = r.target
        goal = {"at_least": "≥ ", "at_most": "≤ "}.get(t.compare, "") + _fmt(
            t.expected(manifest["scale"]), t
        )
        if t.tolerance:
            goal += f" ± {t.tolerance:g}"
        statement = t.statement.replace("|", "\\|")
        lines.append(
            f"| `{t.id}` | {t.section} | {statement} | {goal} | {_fmt(r.value, t)} | {r.status} |"
        )
    conflicts = [r for r in results if r.status == "conflict"]
    explained = [r for r in results if r.status == "met" and r.target.id in notes()]
    if conflicts or explained:
        lines += ["", "## Conflicts between statements, and the choice made", ""]
        for r in conflicts + explained:
            note = notes()[r.target.id]
            lines.append(
                f"- **`{r.target.id}`** ({r.status}, generated {_fmt(r.value, r.target)}): {note}"
            )
    lines += [
        "",
        "## Dirt injected (dirt_manifest.json)",
        "",
        "| kind | rows or files |",
        "|---|---:|",
    ]
    for kind, n in manifest["dirt"].items():
        lines.append(f"| {kind} | {n:,} |".replace(",", "\u202f"))
    return "\n".join(lines) + "\n"


def calibrate(sample_dir: Path, reference_dir: Path, scale: float) -> list[Result]:
    return measure(canonical_tables(sample_dir), targets(reference_dir), scale)
