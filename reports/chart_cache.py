"""Charts drawn once per content: a chart whose Vega-Lite specification (data included),
language and drawing libraries are those of an earlier render of the same report is not
drawn again, its SVG is read back.

A delivery changes a few of a report's charts (one feed's marts); the others, the survey
grids and maps of the feeds that did not deliver, are read from the cache. The key is the
hash of everything vl-convert is given, so a chart is drawn again exactly when its SVG
could differ. Each report and language keeps its cache in the month's reports folder, and
a finished render leaves there only the charts it used: the cache never outgrows one
render.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import cache
from importlib.metadata import version
from pathlib import Path

#: Libraries whose version changes the SVG of the same specification.
DRAWING_LIBRARIES = ("vl-convert-python", "font-source-sans-pro")
#: Suffix of a chart being written.
PARTIAL = ".partial"
_active: ContextVar[ChartCache | None] = ContextVar("chart_cache", default=None)


@cache
def _libraries() -> str:
    return ";".join(f"{name}={version(name)}" for name in DRAWING_LIBRARIES)


def chart_key(spec: str, options: dict) -> str:
    """The hash of one drawing: the specification, vl-convert's options, the libraries."""
    digest = hashlib.sha256()
    for part in (spec, json.dumps(options, sort_keys=True), _libraries()):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


class ChartCache:
    """SVG files named by their drawing's hash, in one folder; `used` are those this render
    asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def svg(self, key: str, draw: Callable[[], str]) -> str:
        """The SVG stored under `key`, else `draw()`'s, stored: written aside under a name
        of this process's own, then renamed, so a reader never sees half a file and two
        renders of one month never write into the same file. Storing is best effort: the
        drawing is returned whatever happens to its copy."""
        self.used.add(key)
        path = self.folder / f"{key}.svg"
        try:
            return _read(path)
        except (OSError, UnicodeDecodeError):  # not stored, or unreadable: drawn again
            pass
        drawn = draw()
        aside = path.with_name(f".{key}.{os.getpid()}.{threading.get_ident()}{PARTIAL}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            aside.write_text(drawn, encoding="utf-8")
            aside.replace(path)
        except OSError:
            with suppress(OSError):
                aside.unlink(missing_ok=True)
        return drawn

    def prune(self) -> None:
        """Remove the charts this render did not use, and files a killed render left aside
        (those of an hour ago or more: a render running beside this one may be writing)."""
        if not self.folder.is_dir():
            return
        old = time.time() - 3600
        with suppress(OSError):  # a cache left larger never fails the render
            for path in list(self.folder.iterdir()):
                unused = path.suffix == ".svg" and path.stem not in self.used
                abandoned = path.name.endswith(PARTIAL) and _modified(path) < old
                if unused or abandoned:
                    path.unlink(missing_ok=True)


def _read(path: Path) -> str:
    """A stored chart; a symbolic link in its place is not followed (OSError)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, encoding="utf-8") as stored:
        return stored.read()


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


@contextmanager
def charts_cached_in(folder: Path) -> Iterator[ChartCache]:
    """Within the block, `drawn_once` reads and stores charts in `folder`; when the block
    finishes without error, charts it did not use are removed."""
    chart_cache = ChartCache(folder)
    token = _active.set(chart_cache)
    try:
        yield chart_cache
    finally:
        _active.reset(token)
    chart_cache.prune()


def drawn_once(spec: str, options: dict, draw: Callable[[], str]) -> str:
    """`draw()`, or the SVG an earlier render stored for the same drawing when a cache is
    active (`charts_cached_in`); without one, `draw()`."""
    chart_cache = _active.get()
    if chart_cache is None:
        return draw()
    return chart_cache.svg(chart_key(spec, options), draw)
