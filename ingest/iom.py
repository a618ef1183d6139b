"""IOM case-management exports: bytes to a typed frame, one row per case.

French and English templates (and the French template v2 of 2020) map to one canonical
schema through the contract; labels of coded columns ("RVA - vol charter") become codes.
Each export is a cumulative snapshot: choosing each case's latest state across deliveries
is the warehouse's job (dbt), not the reader's.
"""

from __future__ import annotations

import polars as pl

from ingest.contracts import DeliveryRejected, load_contract
from ingest.countries import to_iso3
from ingest.deliveries import ParsedDelivery
from ingest.tabular import read_table
from ingest.typed import parse_rows

FEED = "iom"


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    contract = load_contract(FEED)
    match = contract.file_pattern.match(file_name)
    if not match:
        raise DeliveryRejected(
            file_name, f"file name does not match {contract.file_pattern.pattern!r}"
        )
    try:
        table = read_table(content, file_name, contract.xlsx_sheet)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    good, bad = parse_rows(table.frame, contract, file_name, table.headers)
    mission = to_iso3(match.group("country"))
    extra = [
        pl.lit(mission).alias("mission"),
        pl.lit(match.group("month")).alias("report_month"),
    ]
    return ParsedDelivery(
        bronze=good.with_columns(extra),
        quarantine=bad,
        rows_read=table.frame.height,
        sheet=table.sheet,
    )
