"""What a report is made of, as one hash: the content of the published marts it reads, the
report code (this package: modules, registries, templates, commentary), the libraries that
draw it and the month. A report whose hash equals that of its last render, with its files
still there, is not rendered again: a rebuild that changed none of its inputs renders nothing.

The marts a report reads are those the package names (`mart_*`, `fct_*`, `dim_*` in its
sources); tests/test_report_inputs.py renders both reports from those marts alone, so a
mart read but not named fails there. The marts' content hashes come from the published
version's manifest (publishing/publish.py), computed from the rows, not the Parquet bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ingest.settings import Settings
from publishing.publish import published_manifest

PACKAGE = Path(__file__).parent
#: The libraries whose version changes what a report looks like.
LIBRARIES = ("altair", "vl-convert-python", "weasyprint", "jinja2", "polars")
_MART_NAME = re.compile(r"\b(?:mart|fct|dim)_[a-z0-9_]+")
_SOURCE_SUFFIXES = {".py", ".yml", ".yaml", ".j2", ".html", ".css", ".md"}


def _sources() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix in _SOURCE_SUFFIXES and "__pycache__" not in p.parts
    )


@cache
def marts_named() -> frozenset[str]:
    """Every mart name the report package mentions: a superset of the marts it reads."""
    return frozenset(
        name for path in _sources() for name in _MART_NAME.findall(path.read_text("utf-8"))
    )


def code_hash() -> str:
    """The report package's sources and the drawing libraries' versions."""
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={version(library)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{library}=none\0".encode())
    return digest.hexdigest()


def fingerprint(settings: Settings, report: str, month: str) -> str | None:
    """The hash of everything `report` for `month` is made of; None when the published
    version does not record its marts' content (a version published before it did)."""
    manifest = published_manifest(settings)
    hashes = manifest.mart_hashes if manifest is not None else {}
    if not hashes:
        return None
    read = {name: hashes[name] for name in sorted(hashes) if name in marts_named()}
    boundaries = settings.map_boundaries
    maps = f"{boundaries.stat().st_size}" if boundaries.exists() else "absent"
    payload = json.dumps(
        {"report": report, "month": month, "marts": read, "code": code_hash(), "maps": maps},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _stamp(settings: Settings, report: str, month: str) -> Path:
    return settings.reports / month / f".{report}.inputs.json"


def previous_render(settings: Settings, report: str, month: str, inputs: str | None) -> dict | None:
    """The metadata of the last render of `report` for `month` when it was made of exactly
    `inputs` and its files are all still there; None means render."""
    stamp = _stamp(settings, report, month)
    if inputs is None or not stamp.exists():
        return None
    try:
        recorded = json.loads(stamp.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if recorded.get("inputs") != inputs:
        return None
    if not all((settings.reports / month / name).is_file() for name in recorded["files"]):
        return None
    return recorded["metadata"]


def record_render(
    settings: Settings,
    report: str,
    month: str,
    inputs: str | None,
    files: list[Path],
    metadata: dict,
) -> None:
    """Written after the files of a render: what they were made of, to skip the next render
    if nothing changed. Written aside then renamed, so a killed run leaves no stamp."""
    if inputs is None:
        return
    stamp = _stamp(settings, report, month)
    folder = settings.reports / month
    record = {
        "inputs": inputs,
        "files": sorted(str(f.relative_to(folder)) for f in files),
        "metadata": metadata,
    }
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(stamp)
