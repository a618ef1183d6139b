"""Charts to SVG, offline (vl-convert), in the report's font and language.

A chart's labels are measured by vl-convert and drawn by the browser or WeasyPrint: both
must use the same font, or a label measured narrow is drawn wide and cut at the chart's
edge. The font is Source Sans Pro from the pinned PyPI package `font-source-sans-pro`,
registered with vl-convert here and embedded in every report (`font_face_css`)."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import font_source_sans_pro
import vl_convert as vlc

from reports.chart_cache import drawn_once

FONT_FAMILY = "Source Sans Pro"
FONT_FILES = {"normal": "SourceSansPro-Regular.ttf", "bold": "SourceSansPro-Bold.ttf"}
#: vl-convert's number locales per report language. French groups thousands with the
#: narrow no-break space the report's text uses (reports/numbers.py): 12 345,6.
LOCALES: dict[str, Any] = {
    "fr": {
        "decimal": ",",
        "thousands": "\u202f",
        "grouping": [3],
        "currency": ["", "\u00a0€"],
        "percent": "\u202f%",
    },
    "en": "en-US",
}
TIME_LOCALES: dict[str, Any] = {"fr": "fr-FR", "en": "en-US"}
#: Longest axis or legend label, in pixels, before it wraps (labels are wrapped by the
#: chart code, never truncated).
LABEL_LIMIT = 260


@cache
def _registered() -> bool:
    vlc.register_font_directory(font_source_sans_pro.font_directory)
    return True


@cache
def font_face_css() -> str:
    """@font-face rules that embed the report font (the HTML stays one self-contained file)."""
    rules = []
    for weight, name in FONT_FILES.items():
        data = base64.b64encode((Path(font_source_sans_pro.font_directory) / name).read_bytes())
        rules.append(
            f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; "
            f"src: url(data:font/ttf;base64,{data.decode('ascii')}) format('truetype'); }}"
        )
    return "\n".join(rules)


def to_svg(chart: alt.TopLevelMixin, lang: str) -> str:
    """The chart as SVG: the report font, numbers in `lang`'s format, labels never cut."""
    _registered()
    configured = chart.configure(font=FONT_FAMILY).configure_axis(
        labelLimit=LABEL_LIMIT, labelFontSize=11, titleFontSize=11
    )
    configured = configured.configure_legend(labelLimit=LABEL_LIMIT, labelFontSize=11)
    # Altair checks a chart against the Vega-Lite schema when it is drawn, not when it is
    # read back: the cache holds only charts that passed.
    spec = configured.to_json(validate=False)

    options: dict[str, Any] = {
        "format_locale": LOCALES[lang],
        "time_format_locale": TIME_LOCALES[lang],
        # No chart reads a URL: its data (map boundaries included) is inline.
        "allowed_base_urls": [],
    }

    def draw() -> str:
        configured.to_dict(validate=True)
        return vlc.vegalite_to_svg(spec, **options)

    return drawn_once(spec, options, draw)


def wrapped(label: str, width: int = 28) -> str:
    """A label as lines of at most `width` characters, cut at spaces and joined by "\\n"
    (an axis splits them again with `labelExpr`)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)
