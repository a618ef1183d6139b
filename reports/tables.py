"""The reports' tables, from the published marts only (read as Parquet), formatted and with
the disclosure rule applied (reports/report_rules.yml). Each table says where it comes from:
the mart, the date its data stands at, and N.

Every table takes a `country` (ISO3) or None for the region (every SLC country together,
or country by country where the table has a country column), and a language (fr, en)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from reports.numbers import as_date, as_number, fmt_number, one_decimal

RULES_FILE = Path(__file__).parent / "report_rules.yml"

WORDS = {
    "fr": {
        "quarter": "{year}-T{quarter}",
        "total": "Total",
        "country": "Pays",
        "region_scope": "ensemble des pays",
        "multi_country": "Plusieurs pays (action régionale)",
        "partners": {"iom": "OIM", "snv": "EJOM (SNV)"},
        "returns": (
            "Retours par pays de provenance et par trimestre",
            ["Trimestre"],
            "mart_returns_by_host_quarter, données jusqu'au trimestre {last} ; N = {n} retours.",
        ),
        "delays": (
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
            "mart_reintegration_delays, parcours commencés jusqu'en {last} ; N = {n} personnes.",
        ),
        "funnel": (
            "Référencement OIM → EJOM : des référés aux kits, par trimestre de référencement",
            ["Trimestre", "Référés", "Inscrits à EJOM", "Formés", "Kit (1re tranche)"],
            "mart_referral_funnel, référencements jusqu'au trimestre {last} ; N = {n} migrants "
            "de retour référés.",
        ),
        "actions": (
            "Indicateurs communs du FFU par action : calculés à partir des données, et rapportés",
            ["Indicateur", "Action", "Intitulé", "Calculé", "Rapporté", "Écart %", "Couverture"],
            "mart_indicator_reconciliation (valeurs rapportées : export des résultats du FFU, "
            "Akvo RSR) ; N = {n} couples action × indicateur.",
        ),
        "by_country": (
            "Indicateurs communs du FFU par pays : calculés à partir des données, et rapportés",
            ["Pays", "Indicateur", "Actions", "Calculé", "Rapporté"],
            "mart_indicator_reconciliation (fenêtre Sahel et lac Tchad ; valeurs rapportées "
            "comptées une fois, au niveau le plus fin qui les rapporte) ; N = {n} couples "
            "action × indicateur.",
        ),
        "coverage": {
            "both": "calculé et rapporté",
            "computed_only": "calculé seulement",
            "reported_only": "rapporté seulement",
        },
    },
    "en": {
        "quarter": "{year}-Q{quarter}",
        "total": "Total",
        "country": "Country",
        "region_scope": "all countries",
        "multi_country": "Several countries (regional action)",
        "partners": {"iom": "IOM", "snv": "EJOM (SNV)"},
        "returns": (
            "Returns by host country and quarter",
            ["Quarter"],
            "mart_returns_by_host_quarter, data up to quarter {last}; N = {n} returns.",
        ),
        "delays": (
            "Delays from orientation (IOM) or enrolment (EJOM) to training and to the kit",
            [
                "Partner",
                "Start year",
                "People",
                "Trained",
                "Months to training (median)",
                "With a kit",
                "Months from training to kit (median)",
            ],
            "mart_reintegration_delays, pathways started up to {last}; N = {n} people.",
        ),
        "funnel": (
            "IOM → EJOM referrals: from referral to kit, by quarter of referral",
            ["Quarter", "Referred", "Enrolled in EJOM", "Trained", "Kit (1st tranche)"],
            "mart_referral_funnel, referrals up to quarter {last}; N = {n} returning migrants "
            "referred.",
        ),
        "actions": (
            "EUTF common output indicators by action: computed from the data, and reported",
            ["Indicator", "Action", "Title", "Computed", "Reported", "Difference %", "Coverage"],
            "mart_indicator_reconciliation (reported values: EUTF results export, Akvo RSR); "
            "N = {n} action × indicator pairs.",
        ),
        "by_country": (
            "EUTF common output indicators by country: computed from the data, and reported",
            ["Country", "Indicator", "Actions", "Computed", "Reported"],
            "mart_indicator_reconciliation (Sahel and Lake Chad window; reported values "
            "counted once, at the lowest level that reports them); N = {n} action × indicator "
            "pairs.",
        ),
        "coverage": {
            "both": "computed and reported",
            "computed_only": "computed only",
            "reported_only": "reported only",
        },
    },
}


@cache
def disclosure() -> dict:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["disclosure"]


def count_cell(value: int | None, *, fine: bool, lang: str = "fr") -> str:
    """A count of people; below the threshold in a fine cell, the threshold's mask."""
    if value is None:
        return "–"
    if fine and 0 < value < disclosure()["min_count"]:
        return disclosure()["shown_as"]
    return fmt_number(value, "people", lang)


def months_cell(value: float | None, base: int | None, lang: str = "fr") -> str:
    """A median in months, not printed over fewer people than the disclosure threshold."""
    if base is None or base < disclosure()["min_count"]:
        return "–"
    return one_decimal(value, lang)


@dataclass(frozen=True)
class Table:
    """A table as the template prints it: header, rows of formatted cells, and its source."""

    table_id: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    #: "mart_name, the rest": the template sets the mart's name in code.
    source: str
    #: Cells finer than country x year (the disclosure rule applies to their counts).
    fine: bool = False
    #: Column positions that hold counts of people (what the disclosure test checks).
    count_columns: list[int] = field(default_factory=list)

    @property
    def mart(self) -> str:
        """The mart the table reads: the source line starts with its name."""
        return self.source.split(",")[0].split()[0]


def _read(marts: Path, mart: str) -> pl.DataFrame:
    return pl.read_parquet(marts / f"{mart}.parquet")


def _scope(frame: pl.DataFrame, country: str | None, column: str = "country_iso3") -> pl.DataFrame:
    return frame if country is None else frame.filter(pl.col(column) == country)


def _names(marts: Path, lang: str) -> dict[str, str]:
    countries = _read(marts, "dim_country")
    return dict(zip(countries["country_iso3"], countries[f"name_{lang}"], strict=True))


def _quarter(day: date | None, lang: str) -> str:
    if day is None:
        return "–"
    return WORDS[lang]["quarter"].format(year=day.year, quarter=(day.month - 1) // 3 + 1)


def _caption(caption: str, country: str | None, lang: str) -> str:
    return caption if country else f"{caption} ({WORDS[lang]['region_scope']})"


def returns_by_host(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """Returns home by quarter (rows) and host country (columns, the largest first)."""
    words = WORDS[lang]
    frame = (
        _scope(_read(marts, "mart_returns_by_host_quarter"), country)
        .group_by("return_quarter", "host_country_iso3")
        .agg(pl.col("returns").sum())
    )
    hosts = (
        frame.group_by("host_country_iso3")
        .agg(pl.col("returns").sum())
        .sort("returns", "host_country_iso3", descending=[True, False])["host_country_iso3"]
        .to_list()
    )
    wide = frame.pivot(on="host_country_iso3", index="return_quarter", values="returns").sort(
        "return_quarter"
    )
    rows = []
    for r in wide.iter_rows(named=True):
        cells = [count_cell(r.get(h), fine=True, lang=lang) for h in hosts]
        # A total beside a masked cell would give it away by difference: not printed.
        masked = disclosure()["shown_as"] in cells
        total = (
            "–" if masked else count_cell(sum(r.get(h) or 0 for h in hosts), fine=True, lang=lang)
        )
        rows.append([_quarter(as_date(r["return_quarter"]), lang), *cells, total])
    caption, header, source = words["returns"]
    return Table(
        "table-returns-host",
        _caption(caption, country, lang),
        [*header, *[h or "?" for h in hosts], words["total"]],
        rows,
        source.format(
            last=_quarter(as_date(frame["return_quarter"].max()), lang),
            n=fmt_number(as_number(frame["returns"].sum()), "people", lang),
        ),
        fine=True,
        count_columns=list(range(1, len(hosts) + 2)),
    )


def delays(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """Months from orientation or enrolment to training, and from training to the kit; for
    the region, one row per country, partner and start year."""
    words = WORDS[lang]
    frame = _scope(_read(marts, "mart_reintegration_delays"), country)
    names = _names(marts, lang)
    lead = [] if country else [words["country"]]
    rows = [
        ([] if country else [r["_n"]])
        + [
            words["partners"].get(r["partner_id"], r["partner_id"]),
            str(r["start_year"]),
            count_cell(r["people_started"], fine=True, lang=lang),
            count_cell(r["people_trained"], fine=True, lang=lang),
            months_cell(r["median_months_to_training"], r["people_trained"], lang),
            count_cell(r["people_with_kit"], fine=True, lang=lang),
            months_cell(r["median_months_training_to_kit"], r["people_trained_then_kit"], lang),
        ]
        for r in frame.with_columns(
            pl.col("country_iso3").replace_strict(names, default=pl.col("country_iso3")).alias("_n")
        )
        .sort("_n", "partner_id", "start_year")
        .iter_rows(named=True)
    ]
    caption, header, source = words["delays"]
    return Table(
        "table-delays",
        _caption(caption, country, lang),
        [*lead, *header],
        rows,
        source.format(
            last=frame["start_year"].max() if frame.height else "–",
            n=fmt_number(frame["people_started"].sum(), "people", lang),
        ),
        fine=True,
        count_columns=[c + len(lead) for c in (2, 3, 5)],
    )


def referral_funnel(marts: Path, country: str | None, lang: str = "fr") -> Table:
    words = WORDS[lang]
    frame = (
        _scope(_read(marts, "mart_referral_funnel"), country)
        .group_by("referral_quarter", "stage")
        .agg(pl.col("people").sum())
    )
    stages = ["referred", "enrolled", "trained", "kit_received"]
    wide = frame.pivot(on="stage", index="referral_quarter", values="people").sort(
        "referral_quarter"
    )
    rows = [
        [_quarter(r["referral_quarter"], lang)]
        + [count_cell(r.get(s), fine=True, lang=lang) for s in stages]
        for r in wide.iter_rows(named=True)
    ]
    referred = frame.filter(pl.col("stage") == "referred")["people"].sum()
    caption, header, source = words["funnel"]
    return Table(
        "table-referral-funnel",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(
            last=_quarter(as_date(frame["referral_quarter"].max()), lang),
            n=fmt_number(referred, "people", lang),
        ),
        fine=True,
        count_columns=[1, 2, 3, 4],
    )


def _reconciliation(marts: Path) -> pl.DataFrame:
    return _read(marts, "mart_indicator_reconciliation").filter(pl.col("is_slc_window"))


def indicator_reconciliation(marts: Path, country: str | None, lang: str = "fr") -> Table:
    """EUTF common output indicators by action, computed next to reported: the country's
    actions, or for the region every action something is computed for."""
    words = WORDS[lang]
    frame = _reconciliation(marts)
    if country is None:
        frame = frame.filter(pl.col("coverage") != "reported_only")
    else:
        frame = frame.filter(pl.col("action_country_iso3") == country)
    rows = [
        [
            r["indicator_code"],
            r["iati_id"],
            (r["action_title"] or "")[:60],
            fmt_number(r["computed_value"], "people", lang),
            fmt_number(r["reported_value"], "people", lang),
            one_decimal(r["variance_pct"], lang),
            words["coverage"].get(r["coverage"], r["coverage"]),
        ]
        for r in frame.sort("iati_id", "indicator_code").iter_rows(named=True)
    ]
    caption, header, source = words["actions"]
    return Table(
        "table-indicators",
        _caption(caption, country, lang),
        header,
        rows,
        source.format(n=frame.height),
    )


def indicators_by_country(marts: Path, lang: str = "fr") -> Table:
    """EUTF common output indicators summed by the country of the action (dim_action), the
    computed and the reported values side by side; regional actions on a row of their own."""
    words = WORDS[lang]
    frame = _reconciliation(marts)
    names = _names(marts, lang)
    summed = (
        frame.group_by("action_country_iso3", "indicator_code")
        .agg(
            pl.len().alias("actions"),
            pl.col("computed_value").sum().alias("computed"),
            pl.col("computed_value").is_not_null().any().alias("has_computed"),
            pl.col("reported_value").sum().alias("reported"),
            pl.col("reported_value").is_not_null().any().alias("has_reported"),
        )
        .with_columns(
            pl.col("action_country_iso3")
            .replace_strict(names, default=None)
            .fill_null(words["multi_country"])
            .alias("country"),
            pl.col("action_country_iso3").is_null().alias("regional"),
        )
        .sort("regional", "country", "indicator_code")
    )
    rows = [
        [
            r["country"],
            r["indicator_code"],
            str(r["actions"]),
            fmt_number(r["computed"] if r["has_computed"] else None, "people", lang),
            fmt_number(r["reported"] if r["has_reported"] else None, "people", lang),
        ]
        for r in summed.iter_rows(named=True)
    ]
    caption, header, source = words["by_country"]
    return Table("table-indicators-country", caption, header, rows, source.format(n=frame.height))
