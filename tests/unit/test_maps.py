"""Maps (reports/maps.py): Natural Earth's boundaries from the pinned npm package, inline in
the spec, rendered offline; the disclosure rule on the map's values."""

from __future__ import annotations

import re
from pathlib import Path

import altair as alt
import pytest

from ingest.settings import Settings
from reports import maps
from reports.maps import Area, choropleth, countries_topology, unlabelled
from reports.vega import to_svg

BOUNDARIES = Settings.from_env().map_boundaries

SLC = {
    "BFA": "854",
    "CIV": "384",
    "CMR": "120",
    "GHA": "288",
    "GIN": "324",
    "GMB": "270",
    "GNB": "624",
    "MLI": "466",
    "MRT": "478",
    "NER": "562",
    "NGA": "566",
    "SEN": "686",
    "TCD": "148",
}


def _arc_refs(arcs) -> list[int]:
    if isinstance(arcs, int):
        return [arcs if arcs >= 0 else ~arcs]
    return [i for a in arcs for i in _arc_refs(a)]


def test_the_installed_boundaries_hold_every_slc_country():
    topology = countries_topology(BOUNDARIES, set(SLC.values()))
    geometries = topology["objects"]["countries"]["geometries"]
    assert sorted(g["id"] for g in geometries) == sorted(SLC.values())
    # Only the arcs the countries use, renumbered so that every reference resolves.
    refs = {i for g in geometries for i in _arc_refs(g["arcs"])}
    assert refs == set(range(len(topology["arcs"])))
    whole = maps._topology(BOUNDARIES)
    assert len(topology["arcs"]) < len(whole["arcs"]) / 10


def _specs_urls(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "url"] + [
            u for v in node.values() for u in _specs_urls(v)
        ]
    if isinstance(node, list):
        return [u for v in node for u in _specs_urls(v)]
    return []


def test_a_map_is_drawn_offline_with_its_values_and_the_disclosure_rule(monkeypatch):
    areas = [
        Area(numeric, iso3, 100 * (i + 1), None) for i, (iso3, numeric) in enumerate(SLC.items())
    ]
    areas[7] = Area(SLC["MLI"], "Mali", 3, None)  # three people: masked, not coloured
    drawn: list[dict] = []
    original = alt.TopLevelMixin.to_dict

    def spy(self, *args, **kwargs):
        spec = original(self, *args, **kwargs)
        drawn.append(spec)
        return spec

    monkeypatch.setattr(alt.TopLevelMixin, "to_dict", spy)
    svg = choropleth(areas, "people", "en", BOUNDARIES)
    assert drawn and not [u for spec in drawn for u in _specs_urls(spec)], "a map reads no URL"
    assert svg.startswith("<svg")
    # Every country drawn in grey, all but masked Mali coloured over it.
    grey = re.findall(r'<path transform="translate\(0,0\)" d="M', svg)
    coloured = re.findall(
        r'<path aria-label="value: [^"]+"[^>]*aria-roledescription="geoshape"', svg
    )
    assert (len(grey), len(coloured)) == (len(SLC), len(SLC) - 1)
    assert ">Mali<" in svg and "&lt;5" in svg
    assert ">NGA<" in svg and ">1,100<" in svg
    # Gambia and Guinea-Bissau are too small to label: their values go in the note.
    assert ">GMB<" not in svg
    assert unlabelled(areas, "people", "en") == "GMB: 600; GNB: 700"


def test_no_chart_may_fetch_a_url():
    """vl-convert runs with no base URL allowed: a spec that would fetch its data fails."""
    chart = alt.Chart(alt.UrlData("https://cdn.jsdelivr.net/npm/world-atlas@2/countries-50m.json"))
    with pytest.raises(Exception, match="(?i)not allowed|denied|permission|allowed_base_urls"):
        to_svg(chart.mark_geoshape(), "en")


def test_missing_boundaries_say_how_to_install_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="make maps"):
        countries_topology(tmp_path / "countries-50m.json", {"466"})


def test_mali_regions_are_a_tile_map_of_dim_admin_area_regions():
    import csv

    from reports.maps import tile_map, tile_positions

    seed = Path(__file__).parents[2] / "dbt_project" / "seeds" / "admin_areas.csv"
    regions = {
        r["area_id"]: r["name"]
        for r in csv.DictReader(seed.open(encoding="utf-8"))
        if r["country_iso3"] == "MLI" and r["level"] == "region"
    }
    tiles = tile_positions()["MLI"]
    assert set(tiles) == set(regions), "one tile per region of the registry"
    assert len(set(tiles.values())) == len(tiles), "no two regions on one tile"
    svg = tile_map("MLI", {"MLI:kayes": 121, "MLI:gao": 3}, regions, "fr")
    assert ">Kayes<" in svg and ">121<" in svg and "&lt;5" in svg
    # Gao's three are not coloured: one coloured tile (Kayes), the others' zero is white.
    assert len(re.findall(r'aria-label="col: [^"]*value: 121', svg)) == 1
    assert "value: 3" not in svg
