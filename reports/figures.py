"""Charts of the reports, drawn with Altair and rendered to SVG offline (vl-convert)."""

from __future__ import annotations

import altair as alt
import polars as pl
import vl_convert as vlc

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
    line = base.mark_line(color="#d9822b", point=True).encode(
        y=alt.Y("share_pct:Q", title=labels[2], scale=alt.Scale(domain=[0, 40])),
    )
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(width=560, height=260)
    return vlc.vegalite_to_svg(chart.to_json())


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
        .properties(width=560, height=260)
    )
    return vlc.vegalite_to_svg(chart.to_json())
