"""The sample generator's configuration (sample_config.yml, answer_weights.yml) and the RSR actuals.

Calibration targets of the other countries' IOM volumes are not typed in the YAML: they are
read here from the real EUTF results export, for each country's Joint Initiative contract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from ingest.report_statements import REGISTRY, by_id, statements
from ingest.settings import REPO_ROOT

HERE = Path(__file__).parent
CONFIG_FILE = HERE / "sample_config.yml"
DOMAIN_RULES_FILE = REPO_ROOT / "expectations" / "domain_rules.yml"
WEIGHTS_FILE = HERE / "answer_weights.yml"

#: The EUTF common output indicators the IOM volumes follow, by their code in the RSR titles.
IOM_INDICATORS = ("3.4", "3.5", "3.5 bis")


@dataclass(frozen=True)
class Target:
    id: str
    section: str
    statement: str
    target: float
    source: str
    sql: str | None
    measure: str = "count(*)"
    compare: str = "equal"  # equal | at_least | at_most
    tolerance: float = 0.0
    query: str | None = None
    scaled: bool = True  # a programme volume (multiplied by --scale) or a fixed figure

    def expected(self, scale: float) -> float:
        return self.target * scale if (self.scaled and scale != 1) else self.target

    def met(self, value: float | None, scale: float = 1.0, base: int | None = None) -> bool:
        """Whether a measured value meets the target.

        A share over a small base cannot come closer than half a person: with `base`
        respondents the tolerance is at least 0.5 / base (11 of 15 is the nearest to 70%).
        """
        if value is None:
            return False
        goal = self.expected(scale)
        if self.compare == "at_least":
            return value >= goal
        if self.compare == "at_most":
            return value <= goal
        tolerance = self.tolerance
        if tolerance and base:
            tolerance = max(tolerance, 0.5 / base)
        return abs(value - goal) <= tolerance + 1e-9


@cache
def config() -> dict:
    """The sample's settings, with the amounts partners pay taken from the domain rules the
    gates enforce (expectations/domain_rules.yml): one place for each number."""
    cfg = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))
    rules = yaml.safe_load(DOMAIN_RULES_FILE.read_text(encoding="utf-8"))
    cfg["iom"].update(
        {
            k: rules[k]
            for k in ("arrival_allowance_xof", "cash_formula_xof", "transport_xof_per_day")
        }
    )
    cfg["ejom"].update(
        kit_value_xof=rules["ejom_kit_xof"], first_tranche_share=rules["ejom_first_tranche_share"]
    )
    return cfg


@cache
def answer_weights() -> dict[str, dict[str, dict[str, float]]]:
    return yaml.safe_load(WEIGHTS_FILE.read_text(encoding="utf-8"))


def month(text: str) -> dt.date:
    year, mon = str(text).split("-")[:2]
    return dt.date(int(year), int(mon), 1)


def rsr_actuals(reference_dir: Path) -> pl.DataFrame:
    """Actual values of the IOM indicators for every Joint Initiative contract in the config.

    Columns: iati_id, iso3, indicator (3.4 / 3.5 / 3.5 bis), actual (rounded to a count: the
    export has fractional 3.5 bis values such as 2003.29).
    """
    contracts = {c["contract"]: iso3 for iso3, c in config()["countries"].items()}
    results = pl.read_csv(reference_dir / "eutf_rsr" / "EUTF_akvo_results.csv", infer_schema=False)
    pattern = r"^(3\.4|3\.5 bis|3\.5) "
    return (
        results.filter(pl.col("iati_id").is_in(list(contracts)))
        .with_columns(indicator=pl.col("title").str.extract(pattern))
        .filter(pl.col("indicator").is_in(IOM_INDICATORS) & (pl.col("actual").fill_null("") != ""))
        .select(
            "iati_id",
            pl.col("iati_id").replace_strict(contracts).alias("iso3"),
            "indicator",
            pl.col("actual").cast(pl.Float64).round(0).cast(pl.Int64).alias("actual"),
        )
        .unique(["iati_id", "indicator"], keep="first")
        .sort("iso3", "indicator")
    )


def iom_volumes(reference_dir: Path) -> dict[str, dict[str, int]]:
    """{iso3: {"3.4": n, "3.5": n, "3.5 bis": n}} with 0 where a contract reports nothing."""
    volumes: dict[str, dict[str, int]] = {
        iso3: dict.fromkeys(IOM_INDICATORS, 0) for iso3 in config()["countries"]
    }
    for row in rsr_actuals(reference_dir).iter_rows(named=True):
        volumes[row["iso3"]][row["indicator"]] = row["actual"]
    return volumes


def _target(raw: dict, source: str | None = None) -> Target:
    """A statement of the registry (ingest/report_statements.yml) and how the generated
    deliveries are measured against it (sample_config.yml: table, condition, measure)."""
    stated = by_id().get(raw["id"])
    if stated is None:
        raise ValueError(
            f"{CONFIG_FILE.name}: target {raw['id']} is no statement of {REGISTRY.name}"
        )
    return Target(
        id=stated.id,
        section=stated.section,
        statement=stated.statement,
        target=stated.value,
        source=raw.get("source", source),
        sql=raw.get("sql"),
        measure=raw.get("measure", "count(*)"),
        compare=stated.comparison,
        tolerance=stated.tolerance,
        query=raw.get("query"),
        # Shares, amounts and counts of organisations or flights do not grow with --scale.
        scaled=stated.programme_volume,
    )


def targets(reference_dir: Path) -> list[Target]:
    """Every calibration target: programme, EUTF (typed and read from the RSR), surveys."""
    cfg = config()
    out = [_target(t) for t in cfg["targets"]]
    typed = {t.id for t in out}
    sources = {"3.4": "iom_transit", "3.5": "iom_returnees", "3.5 bis": "iom_returnees"}
    conditions = {
        "3.4": "avr_departure_date is not null and return_action = '{c}'",
        "3.5": "arrival_allowance_date is not null and post_arrival_action = '{c}'",
        "3.5 bis": "reintegration_start_date is not null and reintegration_action = '{c}'",
    }
    for row in rsr_actuals(reference_dir).iter_rows(named=True):
        code = row["iati_id"].removeprefix("T05-EUTF-SAH-").lower().replace("-", "_")
        ident = f"eutf.{code}.{row['indicator'].replace('.', '_').replace(' ', '')}"
        if ident in typed or row["actual"] == 0:
            continue
        out.append(
            Target(
                id=ident,
                section="RSR",
                statement=f"{row['iati_id']} — {row['indicator']} (EUTF results export)",
                target=float(row["actual"]),
                source=sources[row["indicator"]],
                sql=f"mission = '{row['iso3']}' and "
                + conditions[row["indicator"]].format(c=row["iati_id"]),
            )
        )
    for survey, table in (
        ("returnee", "returnee_survey"),
        ("sensitisation", "sensitisation_survey"),
    ):
        for raw in cfg["surveys"][survey].get("targets", []):
            out.append(_target(raw, table))
        for raw in cfg["surveys"][survey].get("repeat_targets", []):
            out.append(_target(raw, "sensitisation_activities"))
    measured = {t.id for t in out}
    unmeasured = [s.id for s in statements() if s.id not in measured]
    if unmeasured:
        raise ValueError(f"{CONFIG_FILE.name}: no measure of the statements {unmeasured}")
    return out


def notes() -> dict[str, str]:
    """Statement id -> the registry's English note, where its statements cannot all hold."""
    return {s.id: s.note_en for s in statements() if s.note_en}
