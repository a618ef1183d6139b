"""Survey answers country by country: the regional report's form of the "answers" and
"compare" figures (reports/charts.yml). One row per surveyed country with its N, sorted by
the share giving the first answer, the pooled region first; one column per answer in the
questionnaire's order, and for a figure comparing questions (before / after) one panel per
question side by side. Each cell is the share of the country's respondents to that question
who gave the answer; a cell fewer respondents than the disclosure threshold make up is grey
and masked. A grid, not stacked bars, because a multiple-choice question's shares add up to
more than one."""

from __future__ import annotations

import altair as alt
import polars as pl

from reports.disclosure import rule
from reports.numbers import fmt_number
from reports.vega import to_svg, wrapped

WORDS = {
    "fr": {"region": "Ensemble des pays"},
    "en": {"region": "All countries"},
}


def _answers(rows: pl.DataFrame, lang: str) -> list[tuple[str, str]]:
    """(code, label) of the answers given, in the questionnaire's order."""
    label = f"answer_label_{lang}"
    answers = (
        rows.select("answer", label, "answer_position")
        .unique("answer")
        .sort("answer_position", "answer", nulls_last=True)
    )
    return [(a, lbl or a) for a, lbl in zip(answers["answer"], answers[label], strict=True)]


def country_answer_grid(
    rows: pl.DataFrame,
    names: dict[str, str],
    lang: str,
    questions: list[tuple[str, str]] | None = None,
) -> tuple[str, list[tuple[str, float, int]], int]:
    """(SVG, the cells as (row — [question —] answer, share, respondents), N) from rows of
    mart_survey_answer_shares over every surveyed country and cycle. `questions`, as
    (question, title), puts several questions side by side; by default the rows' one
    question. N is the respondents of the question most answered."""
    asked = questions or ([(str(rows["question"][0]), "")] if rows.height else [])
    bases: dict[tuple[str, str], int] = {
        (q, c): n
        for q, c, n in rows.unique(["question", "country_iso3", "cycle"])
        .group_by("question", "country_iso3")
        .agg(pl.col("respondents").sum())
        .rows()
    }
    count: dict[tuple[str, str, str], int] = {
        (q, c, a): n
        for q, c, a, n in rows.group_by("question", "country_iso3", "answer")
        .agg(pl.col("respondents_answering").sum())
        .rows()
    }
    countries = sorted({c for _, c in bases})
    totals = {q: sum(bases.get((q, c), 0) for c in countries) for q, _ in asked}
    total = max(totals.values(), default=0)
    answers = {q: _answers(rows.filter(pl.col("question") == q), lang) for q, _ in asked}
    if not total or not any(answers.values()):
        return "", [], 0
    first_q = asked[0][0]
    first_a = answers[first_q][0][0] if answers[first_q] else ""

    def first_share(c: str) -> float:
        base = bases.get((first_q, c), 0)
        return count.get((first_q, c, first_a), 0) / base if base else 0.0

    ordered = sorted(countries, key=lambda c: (-first_share(c), names.get(c, c)))
    lines = [(WORDS[lang]["region"], None)] + [(names.get(c, c), c) for c in ordered]
    cells, values = [], []
    for row_label, country in lines:
        people = max(totals[q] if country is None else bases.get((q, country), 0) for q, _ in asked)
        shown = f"{row_label} (N = {fmt_number(people, 'people', lang)})"
        for question, title in asked:
            base = totals[question] if country is None else bases.get((question, country), 0)
            for answer, answer_label in answers[question]:
                n = (
                    sum(count.get((question, c, answer), 0) for c in countries)
                    if country is None
                    else count.get((question, country, answer), 0)
                )
                share = n / base if base else 0.0
                where = f"{title} — {answer_label}" if questions else answer_label
                values.append((f"{row_label} — {where}", share, n))
                hidden = rule().hides(n)
                cells.append(
                    {
                        "row": shown,
                        "question": wrapped(title, 24),
                        "answer": wrapped(answer_label, 9 if questions else 14),
                        "share": None if hidden or not base else share,
                        "text": rule().shown_as
                        if hidden
                        else (fmt_number(share, "share", lang) if base else "–"),
                    }
                )
    titles = [t for _, t in asked] if questions else None
    return _draw(cells, titles, answers, len(lines), lang), values, total


def _draw(cells: list[dict], titles: list[str] | None, answers: dict, rows: int, lang: str) -> str:
    y = alt.Y("row:N", sort=None, title=None)
    x = alt.X(
        "answer:N",
        sort=None,
        title=None,
        axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, '\\n')"),
    )
    base = alt.Chart()
    grey = base.mark_rect(fill="#e6e6e6", stroke="#ffffff").encode(x=x, y=y)
    coloured = (
        base.transform_filter("isValid(datum.share)")
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
    text = base.mark_text(fontSize=10).encode(x=x, y=y, text="text:N")
    widest = max(len(a) for a in answers.values())
    layered = alt.layer(grey, coloured, text, data=alt.Data(values=cells)).properties(
        width=max(120 if titles else 240, (66 if titles else 70) * widest), height=22 * rows
    )
    if titles is None:
        return to_svg(layered, lang)
    chart = layered.facet(
        column=alt.Column(
            "question:N",
            sort=[wrapped(t, 24) for t in titles],
            title=None,
            header=alt.Header(labelExpr="split(datum.label, '\\n')", labelFontWeight="bold"),
        ),
        spacing=8,
    ).resolve_scale(x="independent")
    return to_svg(chart, lang)
