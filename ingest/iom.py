"""IOM case-management exports: bytes to a typed frame, one row per case.

French and English templates (and the French template v2 of 2020) map to one canonical
schema through the contract; labels of coded columns ("RVA - vol charter") become codes.
Each export is a cumulative snapshot: choosing each case's latest state across deliveries
is the warehouse's job (dbt), not the reader's. Given the states already stored
(`KnownRows`), the reader types only the rows it has not seen and lists every row of the
export by fingerprint (ingest.cumulative).
"""

from __future__ import annotations

import polars as pl

from ingest.contracts import Contract, DeliveryRejected, load_contract
from ingest.countries import to_iso3
from ingest.cumulative import FINGERPRINT, MEMBERS, NUMBER, KnownRows
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.tabular import SOURCE_ROW, read_table
from ingest.typed import parse_rows

FEED = "iom"


def bronze_tables() -> dict[str, list[Contract]]:
    """The stored states, and each export's row list (no contract column, only the reader's:
    ingest.cumulative)."""
    base = load_contract(FEED)
    return {MAIN: [base], MEMBERS: [base.with_columns([])]}


def mission_of(file_name: str) -> str | None:
    """The mission (ISO3) an export's rows belong to, from its file name (its scope: an export
    refers only to states its own mission stored)."""
    match = load_contract(FEED).file_pattern.match(file_name)
    return to_iso3(match.group("country")) if match else None


def parse(content: bytes, file_name: str, known: KnownRows | None = None) -> ParsedDelivery:
    """Every row typed; with `known`, only the rows whose state is not stored yet, plus the
    export's full row list (the `rows` table). An export that lists a case twice is refused
    (the contract's `row_key`): which of its rows is the case's state is unknowable."""
    contract = load_contract(FEED)
    match = contract.file_pattern.match(file_name)
    if not match:
        raise DeliveryRejected(
            file_name, f"file name does not match {contract.file_pattern.pattern!r}"
        )
    mission = to_iso3(match.group("country"))
    if mission is None:  # its rows would belong to no mission, and its scope to none
        raise DeliveryRejected(
            file_name, f"file name: {match.group('country')!r} is no country code we know"
        )
    try:
        table = read_table(content, file_name, contract.xlsx_sheet)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    canonical = table.frame.rename(contract.check_header(file_name, table.headers))
    contract.check_row_key(file_name, canonical)
    extra = [
        pl.lit(mission).alias("mission"),
        pl.lit(match.group("month")).alias("report_month"),
    ]
    if known is None:
        good, bad = parse_rows(table.frame, contract, file_name, table.headers)
        return ParsedDelivery(
            bronze=good.with_columns(extra),
            quarantine=bad,
            rows_read=table.frame.height,
            sheet=table.sheet,
        )
    hashed = known.fingerprints(canonical, [c.name for c in contract.columns], mission)
    rows = canonical.select(SOURCE_ROW).with_columns(hashed[FINGERPRINT])
    new = known.is_new(hashed[NUMBER], mission)
    good, bad = parse_rows(table.frame.filter(new), contract, file_name, table.headers)
    states = (
        good.join(rows, on=SOURCE_ROW, how="left", maintain_order="left")
        .unique(FINGERPRINT, keep="first", maintain_order=True)
        .with_columns(extra)
    )
    members = rows.join(bad.select(SOURCE_ROW), on=SOURCE_ROW, how="anti", maintain_order="left")
    return ParsedDelivery(
        bronze=states,
        quarantine=bad,
        rows_read=table.frame.height,
        sheet=table.sheet,
        related={MEMBERS: members.with_columns(extra)},
    )
