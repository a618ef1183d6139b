"""A survey question's answers country by country: the regional report's form of an
"answers" figure (reports/charts.yml). One row per surveyed country with its N, sorted by
the share giving the first answer, the pooled region first, one column per answer in the
questionnaire's order; each cell is the share of the country's respondents who gave the
answer. A cell fewer respondents than the disclosure threshold make up is grey and masked.
A grid, not stacked bars, because a multiple-choice question's shares add up to more than
one."""

from __future__ import annotations

import altair as alt
import polars as pl

from reports.disclosure import rule
from reports.numbers import fmt_number
from reports.vega import to_svg, wrapped

WORDS = {
    "fr": {"region": "Ensemble des pays", "share": "Part des répondants"},
    "en": {"region": "All countries", "share": "Share of respondents"},
}


def country_answer_grid(
    rows: pl.DataFrame, names: dict[str, str], lang: str
) -> tuple[str, list[tuple[str, float, int]], int]:
    """(SVG, the cells as (row — answer, share, respondents), N) for one question's rows of
    mart_survey_answer_shares over every surveyed country and cycle."""
    bases = dict(
        rows.unique(["country_iso3", "cycle"])
        .group_by("country_iso3")
        .agg(pl.col("respondents").sum())
        .rows()
    )
    label = f"answer_label_{lang}"
    hits = rows.group_by("country_iso3", "answer", label, "answer_position").agg(
        pl.col("respondents_answering").sum()
    )
    answers = (
        hits.select("answer", label, "answer_position")
        .unique("answer")
        .sort("answer_position", "answer", nulls_last=True)
    )
    order = [(a, lbl or a) for a, lbl in zip(answers["answer"], answers[label], strict=True)]
    count = {
        (c, a): n
        for c, a, n in hits.select("country_iso3", "answer", "respondents_answering").rows()
    }
    total = sum(bases.values())
    if not order or not total:
        return "", [], 0
    first = order[0][0]
    countries = sorted(bases, key=lambda c: (-count.get((c, first), 0) / bases[c], names.get(c, c)))
    lines = [(WORDS[lang]["region"], None, total)] + [
        (names.get(c, c), c, bases[c]) for c in countries
    ]
    cells, values = [], []
    for row_label, country, base in lines:
        shown = f"{row_label} (N = {fmt_number(base, 'people', lang)})"
        for answer, answer_label in order:
            n = (
                sum(count.get((c, answer), 0) for c in bases)
                if country is None
                else count.get((country, answer), 0)
            )
            share = n / base if base else 0.0
            values.append((f"{row_label} — {answer_label}", share, n))
            hidden = rule().hides(n)
            cells.append(
                {
                    "row": shown,
                    "answer": wrapped(answer_label, 16),
                    "share": None if hidden else share,
                    "text": rule().shown_as if hidden else fmt_number(share, "share", lang),
                }
            )
    chart = alt.Chart(alt.Data(values=cells))
    y = alt.Y("row:N", sort=None, title=None)
    x = alt.X(
        "answer:N",
        sort=None,
        title=None,
        axis=alt.Axis(
            orient="bottom",
            labelAngle=0,
            labelExpr="split(datum.label, '\\n')",
        ),
    )
    grey = chart.mark_rect(fill="#e6e6e6", stroke="#ffffff").encode(x=x, y=y)
    coloured = (
        chart.transform_filter("isValid(datum.share)")
        .mark_rect(stroke="#ffffff")
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "share:Q",
                scale=alt.Scale(domain=[0, 1], range=["#f4f8fd", "#4f8fc6"]),
                legend=None,  # every cell prints its share
            ),
        )
    )
    text = chart.mark_text(fontSize=10).encode(x=x, y=y, text="text:N")
    grid = alt.layer(grey, coloured, text).properties(
        width=max(240, 70 * len(order)), height=22 * len(lines)
    )
    return to_svg(grid, lang), values, total
