"""Charts of the reports, drawn with Altair and rendered to SVG offline (vl-convert)."""

from __future__ import annotations

import altair as alt
import polars as pl

from reports.vega import to_svg

#: The years Figure 1 covers (the seed report's 2011-2021).
FIGURE_1_YEARS = (2011, 2021)


def irregular_crossings_chart(yearly: pl.DataFrame, *, lang: str = "fr") -> str:
    """Figure 1: Malian detections per year (bars, left axis) and share of the SLC total (line).

    `yearly` has columns year, detections, share_of_slc for one nationality.
    """
    labels = {
        "fr": ("Année", "Détections de Maliens", "% des ressortissants SLC"),
        "en": ("Year", "Detections of Malians", "% of SLC nationals"),
    }[lang]
    data = yearly.select(
        pl.col("year").cast(pl.String),
        pl.col("detections"),
        (pl.col("share_of_slc") * 100).round(1).alias("share_pct"),
    ).to_dicts()
    base = alt.Chart(alt.Data(values=data)).encode(x=alt.X("year:O", title=labels[0]))
    bars = base.mark_bar(color="#1f5fa8").encode(
        y=alt.Y("detections:Q", title=labels[1]),
        tooltip=["year:O", "detections:Q", "share_pct:Q"],
    )
    values = base.mark_text(dy=-6, fontSize=9, color="#1f5fa8").encode(
        y=alt.Y("detections:Q", title=labels[1]),
        text=alt.Text("detections:Q", format=",.0f"),
    )
    line = base.mark_line(color="#d9822b", point=True).encode(
        y=alt.Y("share_pct:Q", title=labels[2], scale=alt.Scale(domain=[0, 40])),
    )
    chart = (
        alt.layer(alt.layer(bars, values), line)
        .resolve_scale(y="independent")
        .properties(width=520, height=260)
    )
    return to_svg(chart, lang)


def slc_crossings_chart(yearly: pl.DataFrame, *, lang: str = "en") -> str:
    """Regional Figure 1: detections of SLC nationals per year, stacked by nationality.

    `yearly` has columns year, nationality, detections (the largest nationalities, the rest
    grouped under one label by the caller), in the order the stack should take.
    """
    labels = {
        "fr": ("Année", "Détections de ressortissants SLC", "Nationalité"),
        "en": ("Year", "Detections of SLC nationals", "Nationality"),
    }[lang]
    order = list(dict.fromkeys(yearly["nationality"].to_list()))
    data = yearly.select(
        pl.col("year").cast(pl.String),
        "nationality",
        "detections",
        pl.col("nationality").replace_strict(order, list(range(len(order)))).alias("order"),
    ).to_dicts()
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=labels[0]),
            y=alt.Y("detections:Q", title=labels[1]),
            color=alt.Color(
                "nationality:N",
                sort=order,
                title=labels[2],
                scale=alt.Scale(scheme="tableau10"),
            ),
            order=alt.Order("order:Q"),
            tooltip=["year:O", "nationality:N", "detections:Q"],
        )
        .properties(width=440, height=260)
    )
    return to_svg(chart, lang)


def quarterly_series_chart(series: pl.DataFrame, month: str, *, lang: str) -> str:
    """Returns, reintegration completions and kits per quarter, every quarter of the period
    (a quarter with none is 0), the reporting month marked by a rule.

    `series` has columns quarter (date), measure (label), value (None where the disclosure
    rule hides it)."""
    words = {
        "fr": ("Trimestre", "Personnes par trimestre", "Mois du rapport"),
        "en": ("Quarter", "People per quarter", "Reporting month"),
    }[lang]
    data = series.select(pl.col("quarter").cast(pl.String), "measure", "value").to_dicts()
    lines = (
        alt.Chart(alt.Data(values=data))
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:T", title=words[0], axis=alt.Axis(format="%Y", tickCount="year")),
            y=alt.Y("value:Q", title=words[1], axis=alt.Axis(format=",.0f")),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom", columns=3)),
        )
    )
    marker = (
        alt.Chart(alt.Data(values=[{"at": f"{month}-01", "label": words[2]}]))
        .mark_rule(color="#d9822b", strokeDash=[4, 3])
        .encode(x="at:T")
    )
    label = (
        alt.Chart(alt.Data(values=[{"at": f"{month}-01", "label": words[2]}]))
        .mark_text(align="right", dx=-4, dy=-120, fontSize=10, color="#d9822b")
        .encode(x="at:T", text="label:N")
    )
    chart = alt.layer(lines, marker, label).properties(width=520, height=250)
    return to_svg(chart, lang)
