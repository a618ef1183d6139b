"""IOM case-management exports: bytes to a typed frame, one row per case.

French and English templates (and the French template v2 of 2020) map to one canonical
schema through the contract; labels of coded columns ("RVA - vol charter") become codes.
Each export is a cumulative snapshot: choosing each case's latest state across deliveries
is the warehouse's job (dbt), not the reader's. The loader reads each export untyped
(`read_export`) and types only the rows no earlier export stored, a mission's exports
together (ingest.export_lane, ingest.cumulative); `parse` types one export whole.
"""

from __future__ import annotations

import polars as pl

from ingest.contracts import Contract, DeliveryRejected, load_contract
from ingest.countries import to_iso3
from ingest.cumulative import MEMBERS
from ingest.delivery_types import MAIN, ParsedDelivery, RawExport
from ingest.tabular import SOURCE_ROW, read_table
from ingest.typed import type_rows

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


def read_export(content: bytes, file_name: str) -> RawExport:
    """The export's rows under canonical names, untyped, with its mission and month. An
    export that lists a case twice is refused (the contract's `row_key`): which of its rows
    is the case's state is unknowable."""
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
    return RawExport(
        frame=canonical,
        columns={"mission": mission, "report_month": match.group("month")},
        rows_read=canonical.height,
        sheet=table.sheet,
    )


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    """Every row of one export typed. The loader reads a mission's exports as a lane
    instead (ingest.export_lane): only the rows no earlier export stored are typed."""
    export = read_export(content, file_name)
    good, bad = type_rows(export.frame, load_contract(FEED), keep=[SOURCE_ROW])
    return ParsedDelivery(
        bronze=good.with_columns(pl.lit(v).alias(k) for k, v in export.columns.items()),
        quarantine=bad,
        rows_read=export.rows_read,
        sheet=export.sheet,
    )
