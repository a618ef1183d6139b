"""The survey figures country by country, on every surveyed country of the scale-0.1 sample:
each country's shares in the regional report's country x answer figure, and in the Mali
report's comparison of countries, are counts over the published fct_survey_responses."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import refreshed_home


@pytest.fixture(scope="module")
def surveyed_home(tmp_path_factory: pytest.TempPathFactory, small_sample: Path) -> Path:
    """Every KoBo export of the sample (twelve countries, both surveys) and the Frontex
    release (dbt's Frontex staging needs one) through the refresh."""
    home = tmp_path_factory.mktemp("surveyed") / "warehouse"
    kobo = [("kobo", p) for p in sorted((small_sample / "kobo").glob("TPML_*"))]
    return refreshed_home(home, kobo, "the surveys")


def _shares(home: Path, question: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(country, answer) -> (respondents giving it, respondents answering the question)."""
    con = duckdb.connect(str(home / "published" / "slc.duckdb"), read_only=True)
    try:
        rows = con.execute(
            """
            with answered as (
                select country_iso3, count(distinct response_id) as base
                from marts.fct_survey_responses
                where survey = 'returnee' and question = ?
                group by country_iso3
            )
            select r.country_iso3, r.answer, count(distinct r.response_id), a.base
            from marts.fct_survey_responses as r
            inner join answered as a on r.country_iso3 = a.country_iso3
            where r.survey = 'returnee' and r.question = ?
            group by r.country_iso3, r.answer, a.base
            """,
            [question, question],
        ).fetchall()
    finally:
        con.close()
    return {(c, a): (n, base) for c, a, n, base in rows}


def test_each_countrys_shares_are_counts_over_the_published_answers(surveyed_home: Path):
    from reports.marts import country_names
    from reports.survey_charts import survey_figures

    marts = surveyed_home / "published" / "marts"
    names = country_names(marts, "en")
    counted = _shares(surveyed_home, "seule_option")
    countries = {c for c, _ in counted}
    assert len(countries) == 12, "every surveyed country answered"

    # Regional report, Figure 2: a cell per country and answer, the pooled row first.
    regional = {f.number: f for f in survey_figures(marts, None, "en")}[2]
    cells = {label: (share, n) for label, share, n in regional.values}
    labels = {"oui": "Yes", "non": "No", "nsp": "Don't know"}  # the yes_no_dk choices
    for (country, answer), (n, base) in counted.items():
        share, shown_n = cells[f"{names[country]} — {labels.get(answer, answer)}"]
        assert (shown_n, share) == (n, pytest.approx(n / base)), (country, answer)
    assert regional.values[0][0].startswith("All countries")
    assert regional.respondents == sum({c: b for (c, _), (_, b) in counted.items()}.values())

    # Mali report, Figure 4: the share trained, every country beside Mali.
    trained = _shares(surveyed_home, "formation")
    mali = {f.number: f for f in survey_figures(marts, "MLI", "fr")}[4]
    shares = {label: share for label, share, _ in mali.values}
    french = country_names(marts, "fr")
    for country in countries:
        n, base = trained.get((country, "oui"), (0, 1))
        assert shares[french[country]] == pytest.approx(n / base), country
