"""Declared extract contracts, one YAML file per feed, and the header check they drive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_DIR = Path(__file__).parent


class DeliveryRejected(Exception):
    """A delivery-level error: the whole file is refused, naming the file and the column."""

    def __init__(self, file_name: str, message: str, column: str | None = None) -> None:
        self.file_name = file_name
        self.column = column
        where = f", column {column!r}" if column else ""
        super().__init__(f"{file_name}{where}: {message}")


@dataclass(frozen=True)
class Column:
    header: str
    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class Contract:
    feed: str
    description: str
    file_pattern: re.Pattern[str]
    columns: tuple[Column, ...]
    period_pattern: re.Pattern[str] | None
    period_min: int | None
    xlsx_sheet: str | None

    def delivery_key(self, file_name: str) -> str:
        """The key a correction shares with the delivery it replaces (here: the release)."""
        match = self.file_pattern.match(file_name)
        if not match:
            raise DeliveryRejected(
                file_name, f"file name does not match {self.file_pattern.pattern!r}"
            )
        return match.group("delivery_key")

    def matches(self, file_name: str) -> bool:
        return bool(self.file_pattern.match(file_name))

    def check_header(self, file_name: str, headers: list[str]) -> dict[str, str]:
        """Map source headers to canonical names, or reject the delivery.

        A missing required column, an unknown extra column or a renamed header is an error
        that names the file and the column.
        """
        mapping: dict[str, str] = {}
        by_header = {c.header: c for c in self.columns}
        seen = set()
        for header in headers:
            if header in seen:
                raise DeliveryRejected(file_name, "duplicate header", header)
            seen.add(header)
            if header in by_header:
                mapping[header] = by_header[header].name
            elif self.period_pattern and self.period_pattern.match(header):
                mapping[header] = header.lower()
            else:
                raise DeliveryRejected(file_name, "unknown column (not in the contract)", header)
        for column in self.columns:
            if column.required and column.header not in seen:
                raise DeliveryRejected(file_name, "required column missing", column.header)
        return mapping


@cache
def load_contract(feed: str) -> Contract:
    raw = yaml.safe_load((_DIR / f"{feed}.yml").read_text(encoding="utf-8"))
    period = raw.get("period_columns") or {}
    return Contract(
        feed=raw["feed"],
        description=" ".join(raw.get("description", "").split()),
        file_pattern=re.compile(raw["file_pattern"]),
        columns=tuple(Column(**c) for c in raw["columns"]),
        period_pattern=re.compile(period["header_pattern"]) if period else None,
        period_min=period.get("min"),
        xlsx_sheet=raw.get("xlsx_sheet"),
    )
