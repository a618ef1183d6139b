"""The survey figures of the reports (reports/charts.yml), drawn from the published
`mart_survey_answer_shares`: respondents are added over cycles, then divided, so a figure
over cycles 1 and 3 weighs each respondent once. Charts are Altair, rendered to SVG offline.

Every bar carries its value; a bar that fewer respondents than the disclosure threshold
gave is not drawn and is labelled with the threshold's mask (reports/report_rules.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import altair as alt
import polars as pl
import yaml

from reports.country_grid import country_answer_grid
from reports.disclosure import rule
from reports.marts import country_names, read
from reports.numbers import as_number, fmt_date, fmt_number
from reports.vega import to_svg, wrapped

CHARTS_FILE = Path(__file__).parent / "charts.yml"
HIGHLIGHT, OTHER, RULE = "#1f5fa8", "#9bb7d4", "#d9822b"
WORDS = {
    "fr": {
        "share": "Part des répondants",
        "region": "Région",
        "respondents": "répondants",
        "grid_note": "Part des répondants de chaque pays ayant donné chaque réponse ; la "
        "première ligne regroupe tous les pays, les pays suivent par part décroissante de la "
        "première réponse.",
        "source": "enquêtes TPML (KoBoToolbox), entretiens jusqu'au {last} ; "
        "N = {n} {respondents}.",
    },
    "en": {
        "share": "Share of respondents",
        "region": "Region",
        "respondents": "respondents",
        "grid_note": "Share of each country's respondents who gave each answer; the first row "
        "pools every country, the countries follow by decreasing share of the first answer.",
        "source": "TPML surveys (KoBoToolbox), interviews up to {last}; N = {n} {respondents}.",
    },
}


@cache
def declared() -> list[dict]:
    return yaml.safe_load(CHARTS_FILE.read_text(encoding="utf-8"))["figures"]


@dataclass(frozen=True)
class SurveyFigure:
    number: int
    title: str
    svg: str
    source: str
    respondents: int
    #: (label, share, respondents) the chart draws, before the disclosure rule.
    values: list[tuple[str, float, int]]
    rank: int | None = None
    note: str = ""
    mart: str = "mart_survey_answer_shares"


def _answers(shares: pl.DataFrame, question: str, lang: str) -> tuple[pl.DataFrame, int]:
    """One question's answers over all cycles: label (in `lang`), position, respondents, share."""
    rows = shares.filter(pl.col("question") == question)
    base = int(as_number(rows.unique(["country_iso3", "cycle"])["respondents"].sum()))
    label = f"answer_label_{lang}"
    return (
        rows.group_by("answer", label, "answer_position")
        .agg(pl.col("respondents_answering").sum())
        .with_columns((pl.col("respondents_answering") / base).alias("share"))
        .sort("answer_position", nulls_last=True)
        .with_columns(pl.coalesce(label, "answer").alias("label"))
    ), base


def _value_text(share: float | None, count: int, lang: str) -> str:
    """What a bar says: its share, or the mask when too few respondents make it up."""
    return rule().shown_as if rule().hides(count) else fmt_number(share, "share", lang)


def _disclosed(rows: list[dict], lang: str) -> list[dict]:
    """Bars as drawn: a bar too few respondents make up has no length, only the mask."""
    return [
        {
            **r,
            "share": None if rule().hides(r["count"]) else r["share"],
            "text": _value_text(r["share"], r["count"], lang),
        }
        for r in rows
    ]


def _bars(data: list[dict], y: str, lang: str, **encodings) -> alt.LayerChart | alt.FacetChart:
    """Horizontal bars of `share` (as %), one per `y` in the data's order, each with its
    value at its end; long labels wrap onto several lines."""
    chart = alt.Chart(alt.Data(values=data))
    axis = alt.Axis(labelExpr="split(datum.label, '\\n')")
    y_channel = alt.Y(f"{y}:N", sort=None, title=None, axis=axis)
    x_channel = alt.X(
        "share:Q",
        title=WORDS[lang]["share"],
        axis=alt.Axis(format="%", tickCount=5),
        scale=alt.Scale(domain=[0, 1]),
    )
    marked = chart.mark_bar() if encodings else chart.mark_bar(color=HIGHLIGHT)
    bars = marked.encode(y=y_channel, x=x_channel, **encodings)
    text = (
        chart.mark_text(align="left", dx=3, fontSize=10, color="#222")
        .encode(
            y=y_channel,
            x=alt.X("end:Q", scale=alt.Scale(domain=[0, 1])),
            text="text:N",
            detail=alt.Detail(f"{y}:N"),
        )
        .transform_calculate(end="datum.share == null ? 0 : datum.share")
    )
    if "order" in encodings:
        # Stacked bars (several answers per bar): the value sits inside its segment.
        text = (
            chart.mark_text(align="right", dx=-2, fontSize=9, color="white")
            .encode(
                y=y_channel,
                x=alt.X("end:Q", scale=alt.Scale(domain=[0, 1])),
                text="shown:N",
                order=encodings.get("order", alt.Undefined),
            )
            .transform_filter("datum.share != null")
            .transform_window(end="sum(share)", groupby=[y], sort=[{"field": "order"}])
            .transform_calculate(shown="datum.share >= 0.06 ? datum.text : ''")
        )
        # A segment too few respondents make up is not drawn: its answer and the mask are
        # written after the bar instead.
        masked = [
            {y: bar, "note": ", ".join(f"{d['label']} {d['text']}" for d in group)}
            for bar in dict.fromkeys(d[y] for d in data)
            if (group := [d for d in data if d[y] == bar and d["share"] is None])
        ]
        if masked:
            notes = (
                alt.Chart(alt.Data(values=masked))
                .mark_text(align="left", dx=4, fontSize=9, color="#444")
                .encode(y=y_channel, x=alt.datum(1), text="note:N")
            )
            return alt.layer(bars, text, notes)
    return alt.layer(bars, text)


def _answers_figure(spec: dict, shares: pl.DataFrame, lang: str) -> tuple[str, list, int]:
    frame, base = _answers(shares, spec["question"], lang)
    values = list(zip(frame["label"], frame["share"], frame["respondents_answering"], strict=True))
    data = _disclosed([{"label": wrapped(k), "share": v, "count": c} for k, v, c in values], lang)
    chart = _bars(data, "label", lang).properties(width=380, height=max(60, 30 * len(values)))
    return to_svg(chart, lang), values, base


def _by_country_figure(
    spec: dict, shares: pl.DataFrame, country: str | None, names: dict[str, str], lang: str
) -> tuple[str, list, int, int | None]:
    rows = shares.filter(pl.col("question") == spec["question"])
    bases = (
        rows.unique(["country_iso3", "cycle"])
        .group_by("country_iso3")
        .agg(pl.col("respondents").sum().alias("base"))
    )
    hits = (
        rows.filter(pl.col("answer").is_in(spec["answers"]))
        .group_by("country_iso3")
        .agg(pl.col("respondents_answering").sum().alias("hits"))
    )
    frame = (
        bases.join(hits, on="country_iso3", how="left")
        .with_columns(pl.col("hits").fill_null(0))
        .with_columns((pl.col("hits") / pl.col("base")).alias("share"))
        .sort("share", descending=True)
    )
    region = (
        as_number(frame["hits"].sum()) / as_number(frame["base"].sum()) if frame.height else 0.0
    )
    ranked = frame["country_iso3"].to_list()
    rank = ranked.index(country) + 1 if country in ranked else None
    values = [
        (names.get(c, c), s, int(h))
        for c, s, h in zip(frame["country_iso3"], frame["share"], frame["hits"], strict=True)
    ]
    data = _disclosed(
        [
            {"label": names.get(c, c), "share": s, "count": int(h), "own": c == country}
            for c, s, h in zip(frame["country_iso3"], frame["share"], frame["hits"], strict=True)
        ],
        lang,
    )
    bars = _bars(
        data,
        "label",
        lang,
        color=alt.Color("own:N", scale=alt.Scale(range=[OTHER, HIGHLIGHT]), legend=None),
    )
    rule_mark = (
        alt.Chart(alt.Data(values=[{"region": region}]))
        .mark_rule(color=RULE, strokeWidth=2)
        .encode(x="region:Q")
    )
    chart = alt.layer(bars, rule_mark).properties(width=380, height=max(60, 24 * len(data)))
    values.append((WORDS[lang]["region"], region, int(frame["hits"].sum())))
    return to_svg(chart, lang), values, int(frame["base"].sum()), rank


def _compare_figure(spec: dict, shares: pl.DataFrame, lang: str) -> tuple[str, list, int]:
    data, values, base = [], [], 0
    short = spec.get(f"labels_{lang}") or [None] * len(spec["questions"])
    for question, label_of_question in zip(spec["questions"], short, strict=True):
        frame, n = _answers(shares, question, lang)
        rows = shares.filter(pl.col("question") == question)
        title = label_of_question or rows[f"question_label_{lang}"].drop_nulls().first() or question
        base = max(base, n)
        for label, position, share, count in zip(
            frame["label"],
            frame["answer_position"],
            frame["share"],
            frame["respondents_answering"],
            strict=True,
        ):
            data.append(
                {
                    "question": wrapped(str(title), 22),
                    "label": label,
                    "order": position,
                    "share": share,
                    "count": count,
                }
            )
            values.append((f"{title} — {label}", share, count))
    data = _disclosed(data, lang)
    chart = _bars(
        data,
        "question",
        lang,
        color=alt.Color(
            "label:N",
            # The questionnaire's order of the answers, the same colours for every bar.
            sort=list(dict.fromkeys(d["label"] for d in sorted(data, key=_position))),
            title=None,
            legend=alt.Legend(orient="bottom", columns=2, labelLimit=300),
            scale=alt.Scale(scheme="tableau10"),
        ),
        order=alt.Order("order:Q"),
    ).properties(width=380, height=max(60, 44 * len(spec["questions"])))
    return to_svg(chart, lang), values, base


def _position(row: dict) -> float:
    return row["order"] if row["order"] is not None else float("inf")


def survey_figures(marts: Path, country: str | None, lang: str = "fr") -> list[SurveyFigure]:
    """The declared figures for `country` (by-country figures compare it with the others),
    or with `country=None` for the region: every surveyed country's respondents together."""
    shares = read(marts, "mart_survey_answer_shares")
    names = country_names(marts, lang)
    out = []
    for spec in declared():
        survey = shares.filter(pl.col("survey") == spec["survey"])
        own = survey if country is None else survey.filter(pl.col("country_iso3") == country)
        rank = None
        note = ""
        if spec["kind"] == "by_country":
            svg, values, n, rank = _by_country_figure(spec, survey, country, names, lang)
        elif spec["kind"] == "answers" and country is None:
            # The region's figure compares the countries, the pooled answers on its first row.
            rows = survey.filter(pl.col("question") == spec["question"])
            svg, values, n = country_answer_grid(rows, names, lang)
            note = WORDS[lang]["grid_note"]
        elif spec["kind"] == "compare" and country is None:
            titles = spec.get(f"labels_{lang}") or spec["questions"]
            asked = list(zip(spec["questions"], titles, strict=True))
            rows = survey.filter(pl.col("question").is_in(spec["questions"]))
            svg, values, n = country_answer_grid(rows, names, lang, asked)
            note = WORDS[lang]["grid_note"]
        elif spec["kind"] == "compare":
            svg, values, n = _compare_figure(spec, own, lang)
        else:
            svg, values, n = _answers_figure(spec, own, lang)
        if not n:
            svg, values = "", []  # the template says there is no data, rather than an empty axis
        scope = survey if spec["kind"] == "by_country" else own
        last = scope["last_submitted_on"].max()
        source = WORDS[lang]["source"].format(
            last=fmt_date(last),
            n=fmt_number(n, "people", lang),
            respondents=WORDS[lang]["respondents"],
        )
        out.append(
            SurveyFigure(spec["figure"], spec[f"title_{lang}"], svg, source, n, values, rank, note)
        )
    return out
