"""The regional report's country profiles (reports/profiles.yml): for each surveyed country,
its figures beside the same figures for all countries, computed by reports/facts.py (the
rules the sentences use) at the country's scope and at the region's."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from reports.facts import Fact, live_facts
from reports.marts import country_names, read
from reports.tables import Table

PROFILES_FILE = Path(__file__).parent / "profiles.yml"
WORDS = {
    "fr": {
        "title": "{country}",
        "people": "{country} : retours, réintégration et enquête (personnes)",
        "measures": "{country} : parts, délais et indicateurs",
        "header": ["", "{country}", "Ensemble des pays"],
        "source": "mart_returns_by_origin_year, OIM (dossiers des missions), EJOM, enquêtes "
        "TPML et cadre de résultats du FFU (Akvo RSR), calculés comme les phrases du rapport.",
    },
    "en": {
        "title": "{country}",
        "people": "{country}: returns, reintegration and survey (people)",
        "measures": "{country}: shares, delays and indicators",
        "header": ["", "{country}", "All countries"],
        "source": "mart_returns_by_origin_year, IOM (mission case files), EJOM, TPML surveys "
        "and the EUTF results framework (Akvo RSR), computed as the report's sentences are.",
    },
}


@cache
def declared() -> dict[str, list[dict]]:
    return yaml.safe_load(PROFILES_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Profile:
    country_iso3: str
    title: str
    tables: tuple[Table, ...]


def _table(
    kind: str, country: str, name: str, own: dict[str, Fact], region: dict[str, Fact], lang: str
) -> Table:
    words = WORDS[lang]

    def shown(facts: dict[str, Fact], key: str) -> str:
        return facts[key].text(lang) if key in facts else "–"

    rows = [
        [line[lang], shown(own, line["fact"]), shown(region, line["fact"])]
        for line in declared()[kind]
    ]
    return Table(
        f"table-profile-{kind}-{country}",
        words[kind].format(country=name),
        [h.format(country=name) for h in words["header"]],
        rows,
        words["source"],
        count_columns=[1, 2] if kind == "people" else [],
    )


def country_profiles(marts: Path, lang: str, crossing_years: tuple[int, int]) -> list[Profile]:
    """A profile per surveyed country with published survey answers, in name order."""
    names = country_names(marts, lang)
    surveyed = read(marts, "mart_regional_comparison").filter(pl.col("scope") == "country")
    codes: list[str] = surveyed["country_iso3"].to_list()
    countries = sorted(codes, key=lambda c: names.get(c) or c)
    region = live_facts(marts, None, lang, crossing_years)
    out = []
    for country in countries:
        own = live_facts(marts, country, lang, crossing_years)
        name = names.get(country) or country
        out.append(
            Profile(
                country,
                WORDS[lang]["title"].format(country=name),
                tuple(
                    _table(kind, country, name, own, region, lang)
                    for kind in ("people", "measures")
                ),
            )
        )
    return out
