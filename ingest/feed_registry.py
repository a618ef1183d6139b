"""The feed registry (ingest/feeds.yml): every feed, who delivers it, who owns it, what reads
it and what checks it. Adding a feed is declaring it there: its landing folder, bronze asset,
ingest job, sensor and gate are made from this list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # settings import this module: it imports no reader, nor polars
    from ingest.delivery_types import ExportReader, Parser

REGISTRY = Path(__file__).with_name("feeds.yml")


@dataclass(frozen=True)
class Feed:
    """One feed as declared."""

    name: str
    partner: str
    owner: str
    docs: str
    #: The module of its reader, `parse(content, file_name)`.
    reader: str
    #: Its bronze asset's name (bronze/<feed>_<asset>).
    asset: str
    #: The module of its bronze checks (BRONZE_CHECKS), imported by expectations.bronze.
    suites: str
    #: A cumulative feed's scope of a file's rows: a function of the reader module.
    scope_of_file: str | None = None
    #: A cumulative feed's reader of one export, untyped (`RawExport`): a function of the
    #: reader module; the loader types a lane of exports' new rows together.
    export_reader: str | None = None
    calendar: dict | None = field(default=None, compare=False)

    def reader_module(self) -> ModuleType:
        return importlib.import_module(self.reader)

    def parser(self) -> Parser:
        return self.reader_module().parse

    def scope_function(self) -> Callable[[str], str | None] | None:
        return getattr(self.reader_module(), self.scope_of_file) if self.scope_of_file else None

    def export_function(self) -> ExportReader | None:
        return getattr(self.reader_module(), self.export_reader) if self.export_reader else None


@cache
def registry() -> dict:
    return yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))


@cache
def feeds() -> dict[str, Feed]:
    """Feed name -> its declaration, in the registry's order; an error names a bad entry."""
    out = {}
    for name, raw in registry()["feeds"].items():
        unknown = set(raw) - set(Feed.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{REGISTRY.name}, feed {name}: unknown field(s) {sorted(unknown)}")
        try:
            out[name] = Feed(name=name, **raw)
        except TypeError as exc:
            raise ValueError(f"{REGISTRY.name}, feed {name}: {exc}") from exc
    return out


def feed(name: str) -> Feed:
    return feeds()[name]


def team(layer: str) -> str:
    """The team that owns a layer built from the feeds (`teams` in the registry)."""
    return registry()["teams"][layer]
