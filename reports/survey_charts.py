"""The survey figures of the reports (reports/charts.yml), drawn from the published
`mart_survey_answer_shares`: respondents are added over cycles, then divided, so a figure
over cycles 1 and 3 weighs each respondent once. Charts are Altair, rendered to SVG offline."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc
import yaml

from reports.numbers import as_number, fmt_date, fmt_number

CHARTS_FILE = Path(__file__).parent / "charts.yml"
HIGHLIGHT, OTHER, RULE = "#1f5fa8", "#9bb7d4", "#d9822b"
WORDS = {
    "fr": {
        "share": "Part des répondants",
        "region": "Région",
        "respondents": "répondants",
        "source": "mart_survey_answer_shares (enquêtes TPML), entretiens jusqu'au {last} ; "
        "N = {n} {respondents}",
    },
    "en": {
        "share": "Share of respondents",
        "region": "Region",
        "respondents": "respondents",
        "source": "mart_survey_answer_shares (TPML surveys), interviews up to {last}; "
        "N = {n} {respondents}",
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
    #: (label, share) pairs the chart draws, for the table under it and for tests.
    values: list[tuple[str, float]]
    rank: int | None = None


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


def _svg(chart: alt.Chart | alt.LayerChart | alt.FacetChart) -> str:
    return vlc.vegalite_to_svg(chart.to_json())


def _bars(data: list[dict], y: str, lang: str, **encodings) -> alt.Chart:
    """Horizontal bars of `share` (as %), one per `y`, in the data's order."""
    chart = alt.Chart(alt.Data(values=data))
    marked = chart.mark_bar() if encodings else chart.mark_bar(color=HIGHLIGHT)
    return marked.encode(
        y=alt.Y(f"{y}:N", sort=None, title=None),
        x=alt.X("share:Q", title=WORDS[lang]["share"], axis=alt.Axis(format="%")),
        **encodings,
    )


def _answers_figure(spec: dict, shares: pl.DataFrame, lang: str) -> tuple[str, list, int]:
    frame, base = _answers(shares, spec["question"], lang)
    values = list(zip(frame["label"], frame["share"], strict=True))
    chart = _bars([{"label": k, "share": v} for k, v in values], "label", lang).properties(
        width=420, height=max(60, 28 * len(values))
    )
    return _svg(chart), values, base


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
        (names.get(c, c), s) for c, s in zip(frame["country_iso3"], frame["share"], strict=True)
    ]
    data = [
        {"label": names.get(c, c), "share": s, "own": c == country}
        for c, s in zip(frame["country_iso3"], frame["share"], strict=True)
    ]
    bars = _bars(
        data,
        "label",
        lang,
        color=alt.Color("own:N", scale=alt.Scale(range=[OTHER, HIGHLIGHT]), legend=None),
    )
    rule = (
        alt.Chart(alt.Data(values=[{"region": region}]))
        .mark_rule(color=RULE, strokeWidth=2)
        .encode(x="region:Q")
    )
    chart = alt.layer(bars, rule).properties(width=420, height=max(60, 22 * len(data)))
    values.append((WORDS[lang]["region"], region))
    return _svg(chart), values, int(frame["base"].sum()), rank


def _compare_figure(spec: dict, shares: pl.DataFrame, lang: str) -> tuple[str, list, int]:
    data, values, base = [], [], 0
    short = spec.get(f"labels_{lang}") or [None] * len(spec["questions"])
    for question, label_of_question in zip(spec["questions"], short, strict=True):
        frame, n = _answers(shares, question, lang)
        rows = shares.filter(pl.col("question") == question)
        title = label_of_question or rows["question_label_fr"].drop_nulls().first() or question
        base = max(base, n)
        for label, position, share in zip(
            frame["label"], frame["answer_position"], frame["share"], strict=True
        ):
            data.append({"question": title, "label": label, "order": position, "share": share})
            values.append((f"{title} — {label}", share))
    chart = _bars(
        data,
        "question",
        lang,
        color=alt.Color(
            "label:N",
            # The questionnaire's order of the answers, the same colours for every bar.
            sort=list(dict.fromkeys(d["label"] for d in sorted(data, key=_position))),
            title=None,
            legend=alt.Legend(orient="bottom"),
        ),
        order=alt.Order("order:Q"),
    ).properties(width=420, height=max(60, 40 * len(spec["questions"])))
    return _svg(chart), values, base


def _position(row: dict) -> float:
    return row["order"] if row["order"] is not None else float("inf")


def survey_figures(marts: Path, country: str | None, lang: str = "fr") -> list[SurveyFigure]:
    """The declared figures for `country` (by-country figures compare it with the others),
    or with `country=None` for the region: every surveyed country's respondents together."""
    shares = pl.read_parquet(marts / "mart_survey_answer_shares.parquet")
    countries = pl.read_parquet(marts / "dim_country.parquet")
    names = dict(zip(countries["country_iso3"], countries[f"name_{lang}"], strict=True))
    out = []
    for spec in declared():
        survey = shares.filter(pl.col("survey") == spec["survey"])
        own = survey if country is None else survey.filter(pl.col("country_iso3") == country)
        rank = None
        if spec["kind"] == "by_country":
            svg, values, n, rank = _by_country_figure(spec, survey, country, names, lang)
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
            SurveyFigure(spec["figure"], spec[f"title_{lang}"], svg, source, n, values, rank)
        )
    return out
