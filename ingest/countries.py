"""Country names to ISO3 through the one registry (the dbt seeds `countries` and `country_aliases`).

Partners write "Côte d'Ivoire", "Cote d'Ivoire", "CIV", "CI" and "Ivory Coast" for the same
country. The matching rule, shared with the dbt macro `normalise_name`, is: case, surrounding
spaces, accents and typographic apostrophes do not matter; ISO3 and ISO2 codes are names too.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import polars as pl

from ingest.settings import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("’", "'").strip().lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@cache
def countries() -> pl.DataFrame:
    return pl.read_csv(SEEDS / "countries.csv", infer_schema=False)


@cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for row in countries().iter_rows(named=True):
        for value in (row["iso3"], row["iso2"], row["name_en"], row["name_fr"]):
            if value:
                table[normalise_name(value)] = row["iso3"]
    aliases = pl.read_csv(SEEDS / "country_aliases.csv", infer_schema=False)
    for alias, iso3 in aliases.iter_rows():
        table[normalise_name(alias)] = iso3
    return table


def to_iso3(name: str | None) -> str | None:
    """ISO3 of a country name or code, or None when the registry does not know it."""
    if name is None or not name.strip():
        return None
    return _lookup().get(normalise_name(name))


@cache
def names(iso3: str) -> dict[str, str]:
    """English and French names of a country, as the registry spells them."""
    row = countries().filter(pl.col("iso3") == iso3).row(0, named=True)
    return {"en": row["name_en"], "fr": row["name_fr"], "iso2": row["iso2"], "iso3": iso3}
