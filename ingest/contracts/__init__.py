"""Declared extract contracts, one YAML file per feed, and the header check they drive."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import polars as pl
import yaml

from ingest.tabular import SOURCE_ROW, is_blank

_DIR = Path(__file__).parent
#: The first date of birth accepted when a contract's date-of-birth column declares none.
DATE_OF_BIRTH_EARLIEST = "1900-01-01"


class DeliveryRejected(Exception):
    """A delivery-level error: the whole file is refused, naming the file and the column."""

    def __init__(self, file_name: str, message: str, column: str | None = None) -> None:
        self.file_name = file_name
        self.column = column
        # A header is the partner's text: a hostile one may be of any length.
        shown = column if column is None or len(column) <= 120 else f"{column[:100]}…"
        where = f", column {shown!r}" if column else ""
        # One line, whatever the library said (calamine adds "Context:" lines).
        super().__init__(" ".join(f"{file_name}{where}: {message}".split()))


@dataclass(frozen=True)
class Column:
    """One column of a feed: its canonical name, type and every header partners use for it.

    `headers` maps a template (`en`, `fr`, `fr_v2`...) to the header that template writes;
    `codes` maps each canonical code to the labels partners write for it.
    """

    header: str
    name: str
    type: str
    required: bool
    headers: dict[str, str] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    pii: str | None = None
    #: For a date of birth: the dates the age is taken at, first present wins (the age at
    #: the event stays in bronze, the date of birth does not).
    age_at: tuple[str, ...] = ()
    description: str = ""
    min: float | None = None
    max: float | None = None
    #: Longest value accepted, in characters (default: ingest.limits.VALUE_LENGTH).
    max_length: int | None = None
    #: A date column's first and last valid dates: an ISO date, or "today" (the run's date).
    earliest: str | None = None
    latest: str | None = None

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.header, *self.headers.values()]))

    def header_for(self, template: str) -> str:
        """The header a given template writes (`fr_v2` falls back to `fr`, then `en`)."""
        base = template.split("_")[0]
        return self.headers.get(template) or self.headers.get(base) or self.header


@dataclass(frozen=True)
class FileNaming:
    """Another way a feed's files are named (KoBo's own export names beside ours): its
    pattern, the key its deliveries share and the groups that order them."""

    pattern: re.Pattern[str]
    delivery_key_format: str
    revision_groups: tuple[str, ...]


@dataclass(frozen=True)
class Contract:
    feed: str
    description: str
    file_pattern: re.Pattern[str]
    columns: tuple[Column, ...]
    period_pattern: re.Pattern[str] | None
    period_min: int | None
    xlsx_sheet: str | None
    delivery_key_format: str = "{delivery_key}"
    #: File-name groups that order the deliveries of one key: the highest supersedes.
    revision_groups: tuple[str, ...] = ("version",)
    header_rows: int = 1
    #: Columns no two rows of one file may share (IOM: one row per case per export).
    row_key: tuple[str, ...] = ()
    #: Other namings a file of the feed may have (`also_named`), tried after `file_pattern`.
    also_named: tuple[FileNaming, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def naming(self, file_name: str) -> tuple[re.Match[str], str, tuple[str, ...]] | None:
        """The match of the first naming the file has, with its key format and revision."""
        namings = [
            FileNaming(self.file_pattern, self.delivery_key_format, self.revision_groups),
            *self.also_named,
        ]
        for naming in namings:
            match = naming.pattern.match(file_name)
            if match:
                return match, naming.delivery_key_format, naming.revision_groups
        return None

    def with_columns(self, specs: list[dict] | tuple[Column, ...]) -> Contract:
        """The same feed's contract for another table (a repeat group, a participant list)."""
        columns = tuple(c if isinstance(c, Column) else _column(c) for c in specs)
        return replace(self, columns=columns)

    def period_columns(self) -> re.Pattern[str]:
        """The header pattern of a wide feed's period columns (Frontex: one column a month)."""
        if self.period_pattern is None:
            raise ValueError(f"the {self.feed} contract declares no period columns")
        return self.period_pattern

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def delivery_key(self, file_name: str) -> str:
        """The key a correction shares with the delivery it replaces (here: the release)."""
        found = self.naming(file_name)
        if found is None:
            raise DeliveryRejected(
                file_name, f"file name does not match {self.file_pattern.pattern!r}"
            )
        match, key_format, _ = found
        return key_format.format(**match.groupdict())

    def revision(self, file_name: str) -> tuple[int | str, ...]:
        """Where a delivery stands among those of its key (`_v2` after none, later exports
        after earlier ones). Numbers compare as numbers; a missing version counts as 1."""
        found = self.naming(file_name)
        groups = found[0].groupdict() if found else {}
        order: list[int | str] = []
        for name in found[2] if found else self.revision_groups:
            value = groups.get(name)
            if name == "version":
                order.append(int(value or 1))
            else:
                order.append(int(value) if value and value.isdigit() else (value or ""))
        return tuple(order)

    def matches(self, file_name: str) -> bool:
        return self.naming(file_name) is not None

    def check_header(self, file_name: str, headers: list[str]) -> dict[str, str]:
        """Map source headers to canonical names, or reject the delivery.

        A missing required column, an unknown extra column or a renamed header is an error
        that names the file and the column.
        """
        mapping: dict[str, str] = {}
        by_header = {alias: c for c in self.columns for alias in c.aliases}
        seen = set()
        present: set[str] = set()
        for header in headers:
            if header in seen:
                raise DeliveryRejected(file_name, "duplicate header", header)
            seen.add(header)
            if header in by_header:
                name = by_header[header].name
                if name in present:
                    raise DeliveryRejected(file_name, f"second header for column {name}", header)
                present.add(name)
                mapping[header] = name
            elif self.period_pattern and self.period_pattern.match(header):
                mapping[header] = header.lower()
            else:
                raise DeliveryRejected(file_name, "unknown column (not in the contract)", header)
        for column in self.columns:
            if column.required and column.name not in present:
                raise DeliveryRejected(
                    file_name, "required column missing", " / ".join(column.aliases)
                )
        return mapping

    def check_row_key(self, file_name: str, frame: pl.DataFrame, shown: int = 5) -> None:
        """Refuse a file in which two rows share the row key (`frame`: canonical names and
        `_source_row`), naming the values and their rows. Values compare as written, less
        surrounding spaces; rows without a key (blank) are the required columns' business:
        quarantined, not a repeat."""
        if not self.row_key:
            return

        def value(name: str) -> pl.Expr:
            written = pl.col(name).cast(pl.String)
            return pl.when(~is_blank(written)).then(written.str.strip_chars()).alias(name)

        key = [value(c) for c in self.row_key]
        repeated = (
            frame.select(SOURCE_ROW, *key)
            .drop_nulls(list(self.row_key))
            .filter(pl.struct(self.row_key).is_duplicated())
        )
        if repeated.is_empty():
            return
        groups = (
            repeated.group_by(self.row_key, maintain_order=True)
            .agg(pl.col(SOURCE_ROW).sort())
            .sort(pl.col(SOURCE_ROW).list.first())
        )
        lines = [
            " / ".join(str(v) for v in row[:-1]) + " in rows " + ", ".join(map(str, row[-1]))
            for row in groups.head(shown).iter_rows()
        ]
        more = f" and {groups.height - shown} more" if groups.height > shown else ""
        raise DeliveryRejected(
            file_name,
            f"{groups.height} values listed more than once (one row each expected): "
            + "; ".join(lines)
            + more,
            " / ".join(self.row_key),
        )


def read_yaml(path: Path) -> dict:
    """A registry file, parsed by libyaml when PyYAML has it (the same safe loader, about ten
    times faster: every run process reads the contracts and the KoBo questionnaires)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe loader


@cache
def load_contract(feed: str) -> Contract:
    raw = read_yaml(_DIR / f"{feed}.yml")
    period = raw.get("period_columns") or {}
    return Contract(
        feed=raw["feed"],
        description=" ".join(raw.get("description", "").split()),
        file_pattern=re.compile(raw["file_pattern"]),
        columns=tuple(_column(c) for c in raw["columns"]),
        period_pattern=re.compile(period["header_pattern"]) if period else None,
        period_min=period.get("min"),
        xlsx_sheet=raw.get("xlsx_sheet"),
        delivery_key_format=raw.get("delivery_key", "{delivery_key}"),
        revision_groups=tuple(raw.get("revision", ["version"])),
        header_rows=raw.get("header_rows", 1),
        row_key=tuple(raw.get("row_key", ())),
        also_named=tuple(
            FileNaming(
                re.compile(n["file_pattern"]),
                n["delivery_key"],
                tuple(n.get("revision", ["version"])),
            )
            for n in raw.get("also_named", ())
        ),
        raw=raw,
    )


def _column(spec: dict) -> Column:
    spec = dict(spec)
    headers = {k: str(v) for k, v in (spec.pop("headers", None) or {}).items()}
    header = spec.pop("header") if "header" in spec else next(iter(headers.values()))
    codes = {str(k): [str(x) for x in v] for k, v in (spec.pop("codes", None) or {}).items()}
    spec["age_at"] = tuple(spec.pop("age_at", None) or ())
    if spec.get("pii") == "date_of_birth":  # nobody alive was born before 1900 or tomorrow
        spec.setdefault("earliest", DATE_OF_BIRTH_EARLIEST)
        spec.setdefault("latest", "today")
    for bound in ("earliest", "latest"):
        if spec.get(bound) is not None:
            spec[bound] = str(spec[bound])
    return Column(
        header=str(header),
        headers=headers,
        codes=codes,
        type=spec.pop("type", "string"),
        required=spec.pop("required", False),
        **spec,
    )
