"""Charts drawn once per content (reports/chart_cache.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import altair as alt
import polars as pl
import pytest

from reports import vega
from reports.chart_cache import PARTIAL, charts_cached_in, drawn_once


class Drawer:
    """A drawing that counts its calls."""

    def __init__(self, svg: str) -> None:
        self.svg = svg
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.svg


def test_a_drawing_seen_by_an_earlier_render_is_read_back(tmp_path: Path) -> None:
    first, again = Drawer("<svg>a</svg>"), Drawer("<svg>never</svg>")
    with charts_cached_in(tmp_path):
        assert drawn_once("spec", {"lang": "fr"}, first) == "<svg>a</svg>"
    with charts_cached_in(tmp_path):
        assert drawn_once("spec", {"lang": "fr"}, again) == "<svg>a</svg>"
    assert (first.calls, again.calls) == (1, 0)


def test_another_specification_or_option_is_drawn(tmp_path: Path) -> None:
    with charts_cached_in(tmp_path):
        drawn_once("spec", {"lang": "fr"}, Drawer("<svg>fr</svg>"))
    other_spec, other_option = Drawer("<svg>b</svg>"), Drawer("<svg>en</svg>")
    with charts_cached_in(tmp_path):
        assert drawn_once("spec 2", {"lang": "fr"}, other_spec) == "<svg>b</svg>"
        assert drawn_once("spec", {"lang": "en"}, other_option) == "<svg>en</svg>"
    assert (other_spec.calls, other_option.calls) == (1, 1)


def test_a_finished_render_keeps_only_the_charts_it_used(tmp_path: Path) -> None:
    with charts_cached_in(tmp_path):
        drawn_once("old", {}, Drawer("<svg>old</svg>"))
        drawn_once("kept", {}, Drawer("<svg>kept</svg>"))
    abandoned = tmp_path / f".a.1.1{PARTIAL}"  # a render killed while writing, long ago
    abandoned.write_text("<svg")
    os.utime(abandoned, (time.time() - 7200, time.time() - 7200))
    writing = tmp_path / f".b.2.2{PARTIAL}"  # a render beside this one, writing now
    writing.write_text("<svg")
    with charts_cached_in(tmp_path):
        drawn_once("kept", {}, Drawer("<svg>x</svg>"))
    assert len(list(tmp_path.glob("*.svg"))) == 1
    assert writing.exists() and not abandoned.exists()
    redrawn = Drawer("<svg>old again</svg>")
    with charts_cached_in(tmp_path):
        drawn_once("old", {}, redrawn)
    assert redrawn.calls == 1


def test_a_failed_render_removes_nothing(tmp_path: Path) -> None:
    with charts_cached_in(tmp_path):
        drawn_once("a", {}, Drawer("<svg>a</svg>"))
        drawn_once("b", {}, Drawer("<svg>b</svg>"))
    with pytest.raises(RuntimeError), charts_cached_in(tmp_path):
        drawn_once("a", {}, Drawer("<svg>a</svg>"))
        raise RuntimeError("the render failed")
    assert len(list(tmp_path.glob("*.svg"))) == 2


def test_a_chart_that_cannot_be_stored_is_still_drawn(tmp_path: Path) -> None:
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("")
    with charts_cached_in(blocked):
        assert drawn_once("spec", {}, Drawer("<svg>a</svg>")) == "<svg>a</svg>"
    assert blocked.read_text() == ""


def test_without_a_cache_every_chart_is_drawn() -> None:
    drawer = Drawer("<svg/>")
    drawn_once("spec", {}, drawer)
    drawn_once("spec", {}, drawer)
    assert drawer.calls == 2


def test_to_svg_draws_a_chart_once_per_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same chart in a second render is vl-convert's SVG read back; the other language
    and other data are drawn."""
    calls: list[str] = []
    draw = vega.vlc.vegalite_to_svg

    def counted(spec: str, **options) -> str:
        calls.append(options["time_format_locale"])
        return draw(spec, **options)

    monkeypatch.setattr(vega.vlc, "vegalite_to_svg", counted)

    def chart(values: list[int]) -> alt.Chart:
        frame = pl.DataFrame({"x": ["a", "b"], "y": values})
        return alt.Chart(frame).mark_bar().encode(x="x:N", y="y:Q")

    with charts_cached_in(tmp_path):
        french = vega.to_svg(chart([1, 2]), "fr")
    with charts_cached_in(tmp_path):
        assert vega.to_svg(chart([1, 2]), "fr") == french
        vega.to_svg(chart([1, 2]), "en")
        vega.to_svg(chart([1, 3]), "fr")
    assert calls == ["fr-FR", "en-US", "fr-FR"]


def test_a_link_in_place_of_a_chart_is_not_followed(tmp_path: Path) -> None:
    """A symbolic link named like a stored chart is never read: the chart is drawn."""
    secret = tmp_path / "outside.txt"
    secret.write_text("not a chart")
    folder = tmp_path / "charts"
    with charts_cached_in(folder):
        drawn_once("spec", {}, Drawer("<svg>a</svg>"))
    (stored,) = folder.glob("*.svg")
    stored.unlink()
    stored.symlink_to(secret)
    with charts_cached_in(folder):
        assert drawn_once("spec", {}, Drawer("<svg>a</svg>")) == "<svg>a</svg>"
    assert secret.read_text() == "not a chart"
