"""The EUTF results export (Akvo RSR): bytes to a typed frame, one of four tables per file.

`actual` and `target` stay text (qualitative indicators answer "OUI", "N/A"...); the reader
adds `actual_value` and `target_value` where the text is a number.
"""

from __future__ import annotations

import polars as pl

from ingest.contracts import Contract, DeliveryRejected, load_contract
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.tabular import read_table
from ingest.typed import parse_decimal, parse_rows

FEED = "eutf_rsr"


def bronze_tables() -> dict[str, list[Contract]]:
    """The export's four tables share one bronze table, told apart by `rsr_table`."""
    base = load_contract(FEED)
    return {MAIN: [base.with_columns(specs) for specs in base.raw["tables"].values()]}


def table_of(file_name: str) -> str:
    contract = load_contract(FEED)
    match = contract.file_pattern.match(file_name)
    if not match:
        raise DeliveryRejected(
            file_name, f"file name does not match {contract.file_pattern.pattern!r}"
        )
    return match.group("delivery_key")


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    base = load_contract(FEED)
    table_name = table_of(file_name)
    contract = base.with_columns(base.raw["tables"][table_name])
    try:
        table = read_table(content, file_name, None)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    good, bad = parse_rows(table.frame, contract, file_name, table.headers)
    for column in ("actual", "target"):
        if column in good.columns:
            good = good.with_columns(parse_decimal(pl.col(column)).alias(f"{column}_value"))
    return ParsedDelivery(
        good.with_columns(pl.lit(table_name).alias("rsr_table")), bad, table.frame.height, None
    )
