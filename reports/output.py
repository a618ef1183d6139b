"""Writing a rendered report: the HTML atomically, then its PDF beside it."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ingest.settings import Settings
from publishing.publish import PublishManifest, current_version, read_manifest

if TYPE_CHECKING:
    import weasyprint

#: Longest run of characters in a table's text cell without a line-break opportunity.
WORD_PIECE = 16
_LONG_WORD = re.compile(rf"\S{{{WORD_PIECE + 1},}}")
_PIECE = re.compile(rf"[^_/.\-@]{{1,{WORD_PIECE}}}[_/.\-@]?|[_/.\-@]")


def breakable(text: object) -> Markup:
    """`text` escaped, with a line-break opportunity (`<wbr>`) in every word longer than
    WORD_PIECE characters: after `_ / . - @` and at least every WORD_PIECE characters.

    Table cells are laid out at word boundaries (`overflow-wrap: break-word`), which
    WeasyPrint measures once per word; `overflow-wrap: anywhere` made it measure between
    every two characters of the long annex tables. Without these opportunities one long
    file name or identifier in a partner's text would widen its column past the page."""
    value = str(text)
    out: list[str] = []
    last = 0
    for word in _LONG_WORD.finditer(value):
        out.append(str(escape(value[last : word.start()])))
        out.append("<wbr>".join(str(escape(p)) for p in _PIECE.findall(word.group())))
        last = word.end()
    out.append(str(escape(value[last:])))
    return Markup("".join(out))


@cache
def templates() -> Environment:
    """The reports' templates, HTML-escaped (charts are marked safe where inserted)."""
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
    )
    environment.filters["breakable"] = breakable
    return environment


def published(settings: Settings) -> tuple[PublishManifest, dict[str, str]]:
    """The manifest of the version analysts see now, and the provenance every report prints
    (version, run, git revision); a clear error before the first publish."""
    version = current_version(settings)
    if version is None:
        raise RuntimeError(f"nothing published yet under {settings.published}")
    manifest = read_manifest(version)
    return manifest, {
        "version": manifest.version,
        "run_id": manifest.run_id or "-",
        "git_revision": (manifest.git_revision or "-")[:12],
    }


def _aside(path: Path) -> Path:
    """Where `path` is written before it is renamed into place (hidden, same folder)."""
    return path.with_name(f".{path.name}.tmp")


def pdf_of(html_path: Path) -> Path:
    """A report's PDF: beside its HTML."""
    return html_path.with_suffix(".pdf")


def write_html(html: str, path: Path) -> Path:
    """Write `html` to `path`; readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _aside(path)
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def write_report(html: str, path: Path) -> Path:
    """Write `html` to `path` and the PDF beside it; returns the PDF's path."""
    return write_pdf(write_html(html, path))


#: A chart as the report template writes it: one inline SVG, alone in its figure's div.
_INLINE_CHART = re.compile(r'<div class="chart">(<svg\b.*?</svg>)</div>', re.DOTALL)


def for_print(html: str) -> str:
    """The report's HTML with each chart as an SVG image instead of inline SVG.

    WeasyPrint draws an SVG image as it draws inline SVG, in the document's fonts, but it
    parses and styles every element of inline SVG as part of the page: the charts are most
    of the regional report's elements. In a browser an SVG image cannot use the page's
    embedded font, so the HTML file keeps its charts inline."""

    def image(chart: re.Match[str]) -> str:
        data = base64.b64encode(chart.group(1).encode("utf-8")).decode("ascii")
        return f'<div class="chart"><img alt="" src="data:image/svg+xml;base64,{data}"></div>'

    return _INLINE_CHART.sub(image, html)


def printable(html_path: Path) -> weasyprint.HTML:
    """A rendered report as WeasyPrint prints it (`for_print`); links resolve beside it."""
    import weasyprint

    html = for_print(html_path.read_text(encoding="utf-8"))
    return weasyprint.HTML(string=html, base_url=str(html_path))


def write_pdf(html_path: Path) -> Path:
    """The PDF of a rendered report, beside it."""
    pdf_path = pdf_of(html_path)
    tmp = _aside(pdf_path)
    printable(html_path).write_pdf(tmp)
    tmp.replace(pdf_path)
    return pdf_path


class ReportInChild:
    """Files of a report written by a child process (`python -m <module> <args>`), the
    HTML at `html_path` and its PDF beside it.

    WeasyPrint and the charts are pure Python: a child uses the second core while this
    process renders another report or language. A child that reads the warehouse is given
    the parent's settings as `env` (`Settings.child_env`)."""

    def __init__(
        self, module: str, args: list[str], html_path: Path, env: Mapping[str, str] = {}
    ) -> None:
        self.html_path = html_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )

    def wait(self) -> tuple[Path, Path]:
        """The HTML's and the PDF's paths once written; the child's error, named, if it
        failed."""
        _, errors = self.process.communicate()
        if self.process.returncode != 0:
            lines = errors.strip().splitlines() or ["no message"]
            raise RuntimeError(
                f"{self.html_path.name}: the report was not written "
                f"(exit {self.process.returncode}): {lines[-1]}"
            )
        return self.html_path, pdf_of(self.html_path)

    def stop(self) -> None:
        """Kill the child (the report it belongs to failed) and remove its unfinished
        temporary files; the previous HTML and PDF stay in place."""
        self.process.kill()
        self.process.communicate()
        for path in (self.html_path, pdf_of(self.html_path)):
            _aside(path).unlink(missing_ok=True)


if __name__ == "__main__":  # python -m reports.output REPORT.html: its PDF beside it
    write_pdf(Path(sys.argv[1]))
