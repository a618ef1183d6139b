"""Writing a rendered report: the HTML atomically, then its PDF beside it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ingest.settings import Settings
from orchestration.publish import PublishManifest, current_version, read_manifest


@cache
def templates() -> Environment:
    """The reports' templates, HTML-escaped (charts are marked safe where inserted)."""
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
    )


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


def write_report(html: str, path: Path) -> Path:
    """Write `html` to `path` (readers never see half a file) and the PDF beside it;
    returns the PDF's path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return write_pdf(path)


def write_pdf(html_path: Path) -> Path:
    """The PDF of a rendered report, beside it (WeasyPrint; the charts are inline SVG)."""
    import weasyprint

    pdf_path = html_path.with_suffix(".pdf")
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    weasyprint.HTML(filename=str(html_path)).write_pdf(tmp)
    tmp.replace(pdf_path)
    return pdf_path
