"""Maps of the Sahel and Lake Chad countries, drawn offline.

The boundaries are Natural Earth's countries (public domain, 1:50m) as TopoJSON from the npm
package world-atlas, pinned and unpacked into the virtualenv by `make maps`
(`Settings.map_boundaries`). The spec carries them inline, and vl-convert renders it with no
URL allowed (reports/vega.py), so a report never fetches a map.

A choropleth colours each country by one value. Counts of people obey the disclosure rule
(a country of 1-4 is not coloured and is labelled "<5"); a share over fewer respondents
than the rule's minimum is not drawn. No Natural Earth or geoBoundaries admin-1 layer is
published on the package registries under a public-domain licence (world-atlas ships
countries only), so Mali's regions are a tile map (`tile_map`, one square a region placed
as reports/region_tiles.yml says).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import yaml

from reports.disclosure import masked_count, rule
from reports.numbers import fmt_number
from reports.vega import to_svg

#: Countries whose two lines of label do not fit inside them at the map's scale (Gambia,
#: Guinea-Bissau; ISO 3166-1 numeric): their values are in the figure's note.
TOO_SMALL_TO_LABEL = ("270", "624")


@cache
def _topology(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: the map boundaries are not installed; run `make maps` (it unpacks the "
            "pinned npm package world-atlas into the virtualenv), or point "
            "SLC_MAP_BOUNDARIES at its countries-50m.json"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def countries_topology(boundaries: Path, numeric_ids: set[str]) -> dict[str, Any]:
    """The boundaries of the countries with these ISO 3166-1 numeric ids only, and the
    arcs they use (renumbered): a small inline dataset."""
    topology = _topology(boundaries)
    geometries = [
        g for g in topology["objects"]["countries"]["geometries"] if g.get("id") in numeric_ids
    ]
    used: dict[int, int] = {}

    def renumber(arcs: Any) -> Any:
        if isinstance(arcs, int):
            index = arcs if arcs >= 0 else ~arcs
            new = used.setdefault(index, len(used))
            return new if arcs >= 0 else ~new
        return [renumber(a) for a in arcs]

    kept = [{**g, "arcs": renumber(g["arcs"])} for g in geometries]
    arcs = [topology["arcs"][index] for index in sorted(used, key=used.__getitem__)]
    return {
        "type": "Topology",
        "transform": topology["transform"],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": kept}},
        "arcs": arcs,
    }


@dataclass(frozen=True)
class Area:
    """One country of a choropleth: its numeric id, name, value and how many people the
    value stands for (the disclosure rule's count: the value itself for a count)."""

    numeric_id: str
    name: str
    value: float | None
    people: float | None


def _label(area: Area, unit: str, lang: str) -> str:
    if area.value is None:
        return "–"
    if unit == "people":
        return masked_count(area.value, lang)
    if rule().hides(area.people):
        return rule().shown_as
    return fmt_number(area.value, "share", lang)


def unlabelled(areas: list[Area], unit: str, lang: str) -> str:
    """ "Gambia: 72.1 %; Guinea-Bissau: –": the values of the countries too small to label."""
    colon = "\u00a0:" if lang == "fr" else ":"
    return "; ".join(
        f"{a.name}{colon} {_label(a, unit, lang)}"
        for a in sorted(areas, key=lambda a: a.name)
        if a.numeric_id in TOO_SMALL_TO_LABEL
    )


def choropleth(areas: list[Area], unit: str, lang: str, boundaries: Path) -> str:
    """SVG map of the countries, coloured by value (`unit`: people or share), each labelled
    with its name and printed value; a value the disclosure rule hides is not coloured."""
    rows = []
    for area in areas:
        hidden = area.value is None or (
            rule().hides(area.value) if unit == "people" else rule().hides(area.people)
        )
        rows.append(
            {
                "id": area.numeric_id,
                "name": area.name,
                "value": None if hidden else area.value,
                "label": _label(area, unit, lang),
            }
        )
    topology = countries_topology(boundaries, {a.numeric_id for a in areas})
    shapes = alt.InlineData(
        values=topology, format=alt.DataFormat(type="topojson", feature="countries")
    )
    values = alt.Data(values=rows)
    lookup = alt.LookupData(data=values, key="id", fields=["name", "value", "label"])
    fill = alt.Color(
        "value:Q",
        # Light enough under its darkest value for the black labels to read.
        scale=alt.Scale(range=["#eff3ff", "#4f8fc6"]),
        legend=None,  # every country prints its value
    )
    base = alt.Chart(shapes).transform_lookup(lookup="id", from_=lookup)
    # Every country in grey, then those with a value the rule lets through in colour.
    outline = base.mark_geoshape(stroke="#ffffff", strokeWidth=1, fill="#d9d9d9")
    coloured = (
        base.transform_filter("isValid(datum.value)")
        .mark_geoshape(stroke="#ffffff", strokeWidth=1)
        .encode(color=fill)
    )
    small = ", ".join(f"'{i}'" for i in TOO_SMALL_TO_LABEL)
    centred = base.transform_filter(f"indexof([{small}], datum.id) < 0").transform_calculate(
        lon="geoCentroid(null, datum)[0]", lat="geoCentroid(null, datum)[1]"
    )
    names = centred.mark_text(fontSize=10, dy=-7, fontWeight="bold").encode(
        longitude="lon:Q", latitude="lat:Q", text="name:N"
    )
    printed = centred.mark_text(fontSize=10, dy=6).encode(
        longitude="lon:Q", latitude="lat:Q", text="label:N"
    )
    chart = (
        alt.layer(outline, coloured, names, printed)
        .project(type="mercator")
        .properties(width=620, height=380)
        .configure_view(stroke=None)
    )
    return to_svg(chart, lang)


@cache
def tile_positions() -> dict[str, dict[str, tuple[int, int]]]:
    """Country (ISO3) -> area id -> (column, row) of its tile (reports/region_tiles.yml)."""
    text = (Path(__file__).parent / "region_tiles.yml").read_text(encoding="utf-8")
    return {
        country: {area: (int(col), int(row)) for area, (col, row) in tiles.items()}
        for country, tiles in yaml.safe_load(text).items()
    }


def tile_map(country: str, counts: dict[str, int], names: dict[str, str], lang: str) -> str:
    """SVG tile map of a country's regions, each square coloured by its count of people
    (`counts` by area id; a region absent is 0) and labelled with its name and count under
    the disclosure rule (a count of 1-4 is not coloured)."""
    rows = []
    for area, (col, row) in tile_positions()[country].items():
        count = counts.get(area, 0)
        rows.append(
            {
                "col": col,
                "row": row,
                "name": names.get(area, area.split(":")[-1]),
                "value": None if rule().hides(count) else count,
                "label": masked_count(count, lang),
            }
        )
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None)
    )
    tiles = base.mark_rect(stroke="#ffffff", strokeWidth=3, fill="#d9d9d9")
    coloured = (
        base.transform_filter("isValid(datum.value)")
        .mark_rect(stroke="#ffffff", strokeWidth=3)
        .encode(
            color=alt.Color(
                "value:Q",
                scale=alt.Scale(range=["#eff3ff", "#4f8fc6"]),
                legend=None,  # every tile prints its count
            )
        )
    )
    names_layer = base.mark_text(fontSize=11, dy=-8, fontWeight="bold").encode(text="name:N")
    counts_layer = base.mark_text(fontSize=11, dy=8).encode(text="label:N")
    chart = (
        alt.layer(tiles, coloured, names_layer, counts_layer)
        .properties(width=520, height=400)
        .configure_view(stroke=None)
    )
    return to_svg(chart, lang)
