"""The report's tables, from the published marts only (read as Parquet), formatted and with
the disclosure rule applied (reports/report_rules.yml). Each table says where it comes from:
the mart, the date its data stands at, and N."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from reports.reproduction import fmt_number

RULES_FILE = Path(__file__).parent / "report_rules.yml"


@cache
def disclosure() -> dict:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["disclosure"]


def count_cell(value: int | None, *, fine: bool) -> str:
    """A count of people; below the threshold in a fine cell, the threshold's mask."""
    if value is None:
        return "–"
    if fine and 0 < value < disclosure()["min_count"]:
        return disclosure()["shown_as"]
    return fmt_number(value, "people")


def months_cell(value: float | None, base: int | None) -> str:
    """A median in months, not printed over fewer people than the disclosure threshold."""
    if value is None or base is None or base < disclosure()["min_count"]:
        return "–"
    return f"{value:.1f}".replace(".", ",")


@dataclass(frozen=True)
class Table:
    """A table as the template prints it: header, rows of formatted cells, and its source."""

    table_id: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    source: str
    #: Cells finer than country x year (the disclosure rule applies to their counts).
    fine: bool = False
    #: Column positions that hold counts of people (what the disclosure test checks).
    count_columns: list[int] = field(default_factory=list)


def _read(marts: Path, mart: str) -> pl.DataFrame:
    return pl.read_parquet(marts / f"{mart}.parquet")


def _quarter(day: date) -> str:
    return f"{day.year}-T{(day.month - 1) // 3 + 1}"


def returns_by_host(marts: Path, country: str) -> Table:
    """Returns home by quarter (rows) and host country (columns, the largest first)."""
    frame = _read(marts, "mart_returns_by_host_quarter").filter(pl.col("country_iso3") == country)
    hosts = (
        frame.group_by("host_country_iso3")
        .agg(pl.col("returns").sum())
        .sort("returns", descending=True)["host_country_iso3"]
        .to_list()
    )
    wide = frame.pivot(on="host_country_iso3", index="return_quarter", values="returns").sort(
        "return_quarter"
    )
    rows = [
        [_quarter(r["return_quarter"])]
        + [count_cell(r.get(h), fine=True) for h in hosts]
        + [count_cell(sum(r.get(h) or 0 for h in hosts), fine=True)]
        for r in wide.iter_rows(named=True)
    ]
    return Table(
        "table-returns-host",
        "Retours par pays de provenance et par trimestre",
        ["Trimestre", *[h or "?" for h in hosts], "Total"],
        rows,
        f"mart_returns_by_host_quarter, données jusqu'au trimestre "
        f"{_quarter(frame['return_quarter'].max()) if frame.height else '–'} ; N = "
        f"{fmt_number(frame['returns'].sum(), 'people')} retours.",
        fine=True,
        count_columns=list(range(1, len(hosts) + 2)),
    )


def delays(marts: Path, country: str) -> Table:
    frame = (
        _read(marts, "mart_reintegration_delays")
        .filter(pl.col("country_iso3") == country)
        .sort("partner_id", "start_year")
    )
    partner = {"iom": "OIM", "snv": "EJOM (SNV)"}
    rows = [
        [
            partner.get(r["partner_id"], r["partner_id"]),
            str(r["start_year"]),
            count_cell(r["people_started"], fine=True),
            count_cell(r["people_trained"], fine=True),
            months_cell(r["median_months_to_training"], r["people_trained"]),
            count_cell(r["people_with_kit"], fine=True),
            months_cell(r["median_months_training_to_kit"], r["people_trained_then_kit"]),
        ]
        for r in frame.iter_rows(named=True)
    ]
    return Table(
        "table-delays",
        "Délais entre orientation (OIM) ou inscription (EJOM), formation et kit",
        [
            "Partenaire",
            "Année de début",
            "Personnes",
            "Formées",
            "Mois jusqu'à la formation (médiane)",
            "Avec kit",
            "Mois entre fin de formation et kit (médiane)",
        ],
        rows,
        f"mart_reintegration_delays, parcours commencés jusqu'en "
        f"{frame['start_year'].max() if frame.height else '–'} ; N = "
        f"{fmt_number(frame['people_started'].sum(), 'people')} personnes.",
        fine=True,
        count_columns=[2, 3, 5],
    )


def referral_funnel(marts: Path, country: str) -> Table:
    frame = _read(marts, "mart_referral_funnel").filter(pl.col("country_iso3") == country)
    stages = ["referred", "enrolled", "trained", "kit_received"]
    wide = frame.pivot(on="stage", index="referral_quarter", values="people").sort(
        "referral_quarter"
    )
    rows = [
        [_quarter(r["referral_quarter"])] + [count_cell(r.get(s), fine=True) for s in stages]
        for r in wide.iter_rows(named=True)
    ]
    referred = frame.filter(pl.col("stage") == "referred")["people"].sum()
    return Table(
        "table-referral-funnel",
        "Référencement OIM → EJOM : des référés aux kits, par trimestre de référencement",
        ["Trimestre", "Référés", "Inscrits à EJOM", "Formés", "Kit (1re tranche)"],
        rows,
        f"mart_referral_funnel, référencements jusqu'au trimestre "
        f"{_quarter(frame['referral_quarter'].max()) if frame.height else '–'} ; N = "
        f"{fmt_number(referred, 'people')} migrants de retour référés.",
        fine=True,
        count_columns=[1, 2, 3, 4],
    )


def indicator_reconciliation(marts: Path, country_iso2: str) -> Table:
    """EUTF common output indicators of the country's actions: computed next to reported."""
    frame = (
        _read(marts, "mart_indicator_reconciliation")
        .filter(pl.col("iati_id").str.contains(f"-{country_iso2}-"))
        .sort("iati_id", "indicator_code")
    )
    coverage = {
        "both": "calculé et rapporté",
        "computed_only": "calculé seulement",
        "reported_only": "rapporté seulement",
    }
    rows = [
        [
            r["indicator_code"],
            r["iati_id"],
            (r["action_title"] or "")[:60],
            fmt_number(r["computed_value"], "people"),
            fmt_number(r["reported_value"], "people"),
            "–" if r["variance_pct"] is None else f"{r['variance_pct']:.1f}".replace(".", ","),
            coverage.get(r["coverage"], r["coverage"]),
        ]
        for r in frame.iter_rows(named=True)
    ]
    return Table(
        "table-indicators",
        "Indicateurs communs du FFU par action : calculés à partir des données, et rapportés",
        ["Indicateur", "Action", "Intitulé", "Calculé", "Rapporté", "Écart %", "Couverture"],
        rows,
        "mart_indicator_reconciliation (valeurs rapportées : export des résultats du FFU, "
        f"Akvo RSR) ; N = {frame.height} couples action × indicateur.",
    )
