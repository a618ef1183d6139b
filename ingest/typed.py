"""Type a frame of strings by its contract: one rule per type, shared by every feed.

Each rule returns the typed value and a problem code for the rows it could not type, so a
reader can send those rows to quarantine with the column named, and keep the others.
Dates: ISO (`2020-01-31`, with or without a time), `dd/mm/yyyy` and Excel serial numbers
(days since 1899-12-30, as a spreadsheet stores them). Decimals: `52000`, `52000,00`,
`52 000,5`. Countries: through the registry (ingest.countries).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from ingest.contracts import Column, Contract, DeliveryRejected
from ingest.countries import to_iso3
from ingest.limits import VALUE_LENGTH
from ingest.tabular import SOURCE_ROW, blank_rows, is_blank, read_table, sheet_names

EXCEL_EPOCH = pl.date(1899, 12, 30)
TRUE = ("oui", "yes", "y", "o", "1", "true", "vrai")
FALSE = ("non", "no", "n", "0", "false", "faux")


#: A time stamp's offset from UTC at its end: `+01:00`, `-0400`, `Z`.
OFFSET = r"(?:(?P<sign>[+-])(?P<hours>\d{2}):?(?P<minutes>\d{2})|(?P<zulu>Z))$"


def utc_offset(raw: pl.Expr) -> pl.Expr:
    """The offset as written at the end of an ISO time stamp ("-04:00", "Z"), else null."""
    return raw.str.strip_chars().str.extract(
        r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2}:?\d{2}|Z)$", 1
    )


def offset_minutes(raw: pl.Expr) -> pl.Expr:
    """Minutes east of UTC of an ISO time stamp's offset; null when it writes none."""
    parts = utc_offset(raw).str.extract_groups(OFFSET)
    minutes = parts.struct.field("hours").cast(pl.Int64) * 60 + parts.struct.field("minutes").cast(
        pl.Int64
    )
    signed = pl.when(parts.struct.field("sign") == "-").then(-minutes).otherwise(minutes)
    return pl.when(parts.struct.field("zulu") == "Z").then(0).otherwise(signed)


#: Zone abbreviations a Java `dd-MM-yyyy HH:mm:ss z` writes (Akvo Flow's exporter, in the
#: exporting machine's zone), as minutes east of UTC. A `GMT+01:00` form is read as such.
ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120, "WAT": 60,
    "BST": 60, "EET": 120, "EEST": 180, "EAT": 180, "CAT": 120, "SAST": 120,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420,
}  # fmt: skip


def time_zone(raw: pl.Expr) -> pl.Expr:
    """The zone written after an Akvo time stamp ("CET", "GMT+01:00"), else null."""
    return raw.str.strip_chars().str.extract(r"\d{2}:\d{2}:\d{2}\s+(\S+)$", 1)


def zone_minutes(raw: pl.Expr) -> pl.Expr:
    """Minutes east of UTC of an Akvo time stamp's zone; null when the zone is unknown (the
    value is then quarantined, never read in the wrong zone). No zone at all is UTC."""
    zone = time_zone(raw)
    named = zone.str.to_uppercase().replace_strict(ZONES, default=None, return_dtype=pl.Int64)
    parts = zone.str.extract_groups(r"^(?:GMT|UTC)(?P<sign>[+-])(?P<h>\d{1,2}):?(?P<m>\d{2})?$")
    offset = parts.struct.field("h").cast(pl.Int64) * 60 + parts.struct.field("m").cast(
        pl.Int64
    ).fill_null(0)
    signed = pl.when(parts.struct.field("sign") == "-").then(-offset).otherwise(offset)
    return pl.when(zone.is_null()).then(0).otherwise(pl.coalesce(named, signed))


def parse_date(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars()
    iso = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    dmy = text.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    serial = (
        pl.when(text.str.contains(r"^\d{5}(\.0+)?$"))
        .then(text.cast(pl.Float64, strict=False).cast(pl.Int64))
        .otherwise(None)
    )
    from_serial = EXCEL_EPOCH + pl.duration(days=serial)
    return pl.coalesce(iso, dmy, from_serial.cast(pl.Date))


def parse_decimal(expr: pl.Expr) -> pl.Expr:
    text = expr.str.replace_all(r"[\s\u00a0\u202f]", "")
    # "1.234,50" and "1,234.50" never occur in our feeds; a comma is a decimal comma.
    return text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)


def parse_bool(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(TRUE)).then(True).when(text.is_in(FALSE)).then(False)


#: Integers at or beyond 2**63 do not fit the Int64 columns of bronze.
INT64_BOUND = 2.0**63


def _date_bound(bound: str) -> date:
    """A contract's date bound: an ISO date or "today" (the date the rule was built: rules
    are rebuilt each day, see `column_rule`)."""
    return date.today() if bound == "today" else date.fromisoformat(bound)


def _code_map(column: Column) -> dict[str, str]:
    mapping = {}
    for code, labels in column.codes.items():
        for label in [code, *labels]:
            mapping[label.strip().lower()] = code
    return mapping


@dataclass(frozen=True)
class Rule:
    """How one contract column is typed, in two passes so each parse runs once per value:
    `stage` reads the raw string column, `value` and `problem` read the staged column
    (`staged_name`) and the raw one."""

    stage: pl.Expr
    value: pl.Expr
    problem: pl.Expr


def staged_name(column: str) -> str:
    return f"__staged__{column}"


def rule(column: Column, countries: dict[str, str | None] | None = None) -> Rule:
    """The typing rule of one contract column (see `Rule`).

    `countries` maps the column's distinct spellings to ISO3 (looked up once, not per row).
    """
    raw = pl.col(column.name)
    staged = pl.col(staged_name(column.name))
    present = ~is_blank(raw)
    kind = column.type
    value = staged
    finite = pl.lit(True)  # numbers only: NaN and infinities are no value
    if kind == "date":
        stage = parse_date(raw)
        bad = present & staged.is_null()
        code = "unparseable_date"
    elif kind in ("decimal", "int"):
        stage = parse_decimal(raw)
        # NaN, inf and 1e309 parse as floats; they are no amount or count.
        finite = staged.is_finite()
        value = staged.round(0).cast(pl.Int64, strict=False) if kind == "int" else staged
        bad = present & (staged.is_null() | ((staged != staged.round(0)) & (kind == "int")))
        code = "not_a_number"
    elif kind == "bool":
        stage = parse_bool(raw)
        bad = present & staged.is_null()
        code = "not_yes_no"
    elif kind == "code":
        stage = (
            raw.str.strip_chars()
            .str.to_lowercase()
            .replace_strict(_code_map(column), default=None, return_dtype=pl.String)
        )
        bad = present & staged.is_null()
        code = "unknown_code"
    elif kind == "option":  # Akvo Flow "code:text": the code decides, the text may vary
        stage = (
            raw.str.strip_chars()
            .str.split(":")
            .list.first()
            .str.to_lowercase()
            .replace_strict(_code_map(column), default=None, return_dtype=pl.String)
        )
        bad = present & staged.is_null()
        code = "unknown_code"
    elif kind == "options":  # several "code:text" joined with "|": canonical codes, space-joined
        mapping = _code_map(column)
        stage = raw.str.split("|").list.eval(
            pl.element()
            .str.strip_chars()
            .str.split(":")
            .list.first()
            .str.to_lowercase()
            .replace_strict(mapping, default="?", return_dtype=pl.String)
        )
        value = pl.when(present).then(staged.list.join(" "))
        bad = present & staged.list.contains("?")
        code = "unknown_code"
    elif kind == "datetime_zoned":  # Akvo Flow "27-01-2020 11:32:22 CET", stored in UTC
        local = (
            raw.str.strip_chars()
            .str.slice(0, 19)
            .str.strptime(pl.Datetime("us"), "%d-%m-%Y %H:%M:%S", strict=False)
        )
        minutes = zone_minutes(raw)
        stage = pl.when(minutes.is_not_null()).then(local - pl.duration(minutes=minutes))
        bad = present & staged.is_null()
        code = "unparseable_date"
    elif kind == "datetime_iso":  # KoBo "2020-11-03T10:12:44.123+01:00" or "2020-11-03 10:12:44"
        # Stored as UTC: a written offset is taken off (the reader keeps it: `utc_offset`);
        # without one the time is UTC already (KoBo's own `_submission_time`).
        local = (
            raw.str.strip_chars()
            .str.slice(0, 19)
            .str.replace("T", " ")
            .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
        )
        stage = local - pl.duration(minutes=offset_minutes(raw).fill_null(0))
        bad = present & staged.is_null()
        code = "unparseable_date"
    elif kind == "country":
        stage = raw.replace_strict(countries or {}, default=None, return_dtype=pl.String)
        bad = present & staged.is_null()
        code = "unknown_country"
    else:
        stage = pl.when(present).then(raw.str.strip_chars())
        bad = pl.lit(False)
        code = ""
    problems = [pl.when(bad).then(pl.lit(f"{code}|{column.name}"))]
    if kind in ("decimal", "int"):
        problems.append(pl.when(present & ~finite).then(pl.lit(f"not_finite|{column.name}")))
        if kind == "int":
            problems.append(
                pl.when(present & finite & (staged.abs() >= INT64_BOUND)).then(
                    pl.lit(f"out_of_range|{column.name}")
                )
            )
    if column.required:
        problems.insert(0, pl.when(~present).then(pl.lit(f"missing_value|{column.name}")))
    longest = column.max_length or VALUE_LENGTH.value
    problems.insert(
        0, pl.when(raw.str.len_chars() > longest).then(pl.lit(f"too_long|{column.name}"))
    )
    if kind == "date":
        for bound, compare, reason in (
            (column.earliest, staged.__lt__, "below_minimum"),
            (column.latest, staged.__gt__, "above_maximum"),
        ):
            if bound is not None:
                problems.append(
                    pl.when(compare(pl.lit(_date_bound(bound)))).then(
                        pl.lit(f"{reason}|{column.name}")
                    )
                )
    if column.min is not None and kind in ("decimal", "int"):
        problems.append(pl.when(value < column.min).then(pl.lit(f"below_minimum|{column.name}")))
    if column.max is not None and kind in ("decimal", "int"):
        problems.append(pl.when(value > column.max).then(pl.lit(f"above_maximum|{column.name}")))
    return Rule(
        stage.alias(staged_name(column.name)), value.alias(column.name), pl.coalesce(problems)
    )


#: Rules by column object (a Column holds dicts: it cannot be a key). Each entry keeps its
#: column alive, so no other object can take its id.
_RULES: dict[int, tuple[Column, Rule, date]] = {}


def column_rule(column: Column, countries: dict[str, str | None] | None = None) -> Rule:
    """`rule`, built once per column object (contracts live as long as the process): building
    the expressions was 40% of typing a sheet of a few rows. A country column's rule holds the
    frame's own spellings, so it is built each time."""
    if column.type == "country":
        return rule(column, countries)
    cached = _RULES.get(id(column))
    if cached is None or cached[2] != date.today():  # "today" bounds move with the date
        cached = _RULES[id(column)] = (column, rule(column), date.today())
    return cached[1]


#: Rows typed at a time: typing evaluates every column's rules at once, so memory grows
#: with the slice, not with the delivery (a 733,000-row IOM export peaked at 1.9 GB whole).
CHUNK_ROWS = 100_000


def slices(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """The frame in slices of CHUNK_ROWS rows (zero-copy); an empty frame is one slice."""
    return list(frame.iter_slices(CHUNK_ROWS)) or [frame]


def type_frame(
    raw: pl.DataFrame, contract: Contract, keep: list[str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a canonical-named string frame into typed rows and problem rows.

    Problem rows keep their original strings plus `_reason` and `_column` (the first
    problem found, in contract order). Columns absent from the delivery become nulls.
    Large frames are typed a slice at a time.
    """
    if raw.height > CHUNK_ROWS:
        parts = [type_frame(part, contract, keep) for part in slices(raw)]
        return (
            pl.concat([good for good, _ in parts], rechunk=True),
            pl.concat([bad for _, bad in parts], how="diagonal_relaxed"),
        )
    keep = keep or []
    missing = [c.name for c in contract.columns if c.name not in raw.columns]
    raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in missing)
    rules = [
        column_rule(
            c,
            {v: to_iso3(v) for v in raw[c.name].drop_nulls().unique()}
            if c.type == "country"
            else None,
        )
        for c in contract.columns
    ]
    if not rules:  # a table of reader columns only (a cumulative export's row list)
        return raw.select(keep), raw.clear().with_columns(
            pl.lit(None, dtype=pl.String).alias("_reason"),
            pl.lit(None, dtype=pl.String).alias("_column"),
        )
    # Each parse once: staged columns first, then the problems and the values read them.
    flagged = raw.with_columns(r.stage for r in rules).with_columns(
        pl.coalesce([r.problem for r in rules]).alias("_problem")
    )
    bad = (
        flagged.filter(pl.col("_problem").is_not_null())
        .select(*raw.columns, "_problem")
        .with_columns(
            pl.col("_problem").str.split_exact("|", 1).struct.rename_fields(["_reason", "_column"])
        )
        .unnest("_problem")
    )
    good = flagged.filter(pl.col("_problem").is_null()).select(
        *[r.value for r in rules], *[pl.col(k) for k in keep]
    )
    return good, bad


def parse_rows(
    raw: pl.DataFrame, contract: Contract, file_name: str, headers: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Header check, then `type_rows`: (typed rows, rows for quarantine)."""
    mapping = contract.check_header(file_name, headers)
    raw = raw.rename(mapping)
    keep = [c for c in raw.columns if c.startswith("_") and c != SOURCE_ROW] + [SOURCE_ROW]
    return type_rows(raw, contract, keep)


def type_rows(
    raw: pl.DataFrame, contract: Contract, keep: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Blank lines, then types, of a canonical-named string frame: (typed rows with the
    `keep` columns, rows for quarantine with all of theirs).

    Blank lines go to quarantine as `blank_row`, so that rows read = bronze + quarantine
    holds for every delivery, blank lines included.
    """
    goods, bads = [], []
    for part in slices(raw):  # a slice at a time: no full copy of the rows
        blank = blank_rows(part)  # a Series: evaluated once for both filters
        bads.append(
            part.filter(blank).with_columns(
                pl.lit("blank_row").alias("_reason"), pl.lit(None, dtype=pl.String).alias("_column")
            )
        )
        good, bad = type_frame(part.filter(~blank), contract, keep=keep)
        goods.append(good)
        bads.insert(len(bads) - 1, bad)
    return pl.concat(goods, rechunk=True), pl.concat(bads, how="diagonal_relaxed")


def split_duplicates(
    good: pl.DataFrame, bad: pl.DataFrame, key: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A submission id seen earlier in the same delivery sends the repeat to quarantine."""
    repeat = good.select(pl.col(key).is_first_distinct().not_()).to_series()
    if not repeat.any():
        return good, bad
    repeats = (
        good.filter(repeat)
        .select(
            pl.all().cast(pl.String),
            pl.lit("duplicate_submission").alias("_reason"),
            pl.lit(key).alias("_column"),
        )
        .with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    )
    return good.filter(~repeat), pl.concat([bad, repeats], how="diagonal_relaxed")


def workbook_sheets(content: bytes, file_name: str) -> list[str]:
    """The sheets of a delivered workbook; one that cannot be opened is a rejected delivery."""
    try:
        return sheet_names(content)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a rejected delivery
        raise DeliveryRejected(file_name, f"unreadable workbook: {exc}") from exc


def parse_related(
    content: bytes,
    file_name: str,
    sheet: str,
    contract: Contract,
    header_row: int = 0,
    copies: tuple[str, ...] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Another sheet of the same delivery (repeat group, participant list): typed and problems.
    `copies` are headers that repeat another sheet's values (not read here)."""
    table = read_table(content, file_name, sheet, header_row)
    if copies:
        dropped = [h for h in table.headers if h in copies and h in table.frame.columns]
        table = replace(
            table,
            frame=table.frame.drop(dropped),
            headers=[h for h in table.headers if h not in dropped],
        )
    mapping = contract.check_header(file_name, table.headers)
    return type_frame(table.frame.rename(mapping), contract, keep=[SOURCE_ROW])
