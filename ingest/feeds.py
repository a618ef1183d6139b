"""Which contracts describe each feed's bronze tables, as its reader declares them.

A reader that writes more than its main table (EJOM's four forms and attendance, KoBo's
questionnaires and repeat groups, the EUTF export's four tables, AECID's participants, the
IOM export's row list) says so in its own `bronze_tables()`, beside the code that writes
them; any other feed's one table is its contract. Pseudonymisation (which columns are
personal), the empty schema files dbt reads before a feed's first delivery and the column
docs are derived from it.
"""

from __future__ import annotations

from ingest.contracts import Contract, load_contract
from ingest.delivery_types import MAIN
from ingest.feed_registry import feed as declared

__all__ = ["MAIN", "bronze_tables", "declares_schema", "reader_columns"]


def bronze_tables(feed: str) -> dict[str, list[Contract]]:
    """Bronze table -> the contracts whose rows it holds (a table may mix several forms)."""
    declare = getattr(declared(feed).reader_module(), "bronze_tables", None)
    return declare() if declare is not None else {MAIN: [load_contract(feed)]}


def bronze_table_names(feed: str) -> list[str]:
    """The feed's bronze tables, from the reader's `BRONZE_TABLES` when it declares them (its
    contracts are costly to build: KoBo's compile the questionnaires)."""
    names = getattr(declared(feed).reader_module(), "BRONZE_TABLES", None)
    return list(names) if names is not None else list(bronze_tables(feed))


def reader_columns(contract: Contract, table: str) -> dict[str, str]:
    """Columns the reader adds to a table's rows (from the file name, the sheet or titles),
    as the contract declares them: `reader_columns` for the main table, `<table>` under
    `related_reader_columns` for the others."""
    if table == MAIN:
        return dict(contract.raw.get("reader_columns") or {})
    return dict((contract.raw.get("related_reader_columns") or {}).get(table) or {})


def declares_schema(feed: str) -> bool:
    """Feeds whose bronze schema is fully declared get empty schema files for dbt."""
    return all("reader_columns" in c.raw for c in bronze_tables(feed)[MAIN])
