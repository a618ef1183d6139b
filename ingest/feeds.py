"""Which contracts describe each feed's bronze tables: the one place that knows that EJOM is
four Akvo forms, that KoBo is two questionnaires, that the EUTF export is four tables.

Pseudonymisation (which columns are personal) and the empty schema files dbt reads before a
feed's first delivery are derived from it.
"""

from __future__ import annotations

from ingest.contracts import Contract, load_contract

#: The main bronze table of a feed (`bronze/<feed>/<sha256>.parquet`) has this name here;
#: related tables live in `bronze/<feed>/<table>/`.
MAIN = ""


def bronze_tables(feed: str) -> dict[str, list[Contract]]:
    """Bronze table -> the contracts whose rows it holds (a table may mix several forms)."""
    if feed == "ejom":
        forms = [
            load_contract(f"ejom_{form}") for form in ("registration", "training", "kits", "smes")
        ]
        training = forms[1]
        return {MAIN: forms, "attendance": [training.with_columns(training.raw["repeat_columns"])]}
    if feed == "kobo":
        from ingest.kobo import repeat_contract, survey_contract

        return {
            MAIN: [survey_contract("returnee"), survey_contract("sensitisation")],
            "activities": [repeat_contract("sensitisation")],
        }
    base = load_contract(feed)
    if feed == "eutf_rsr":
        return {MAIN: [base.with_columns(specs) for specs in base.raw["tables"].values()]}
    if feed == "aecid":
        return {MAIN: [base], "participants": [base.with_columns(base.raw["participant_columns"])]}
    if base.raw.get("cumulative"):
        from ingest.cumulative import MEMBERS

        # The export's row list: no contract column, only the reader's (ingest.cumulative).
        return {MAIN: [base], MEMBERS: [base.with_columns([])]}
    return {MAIN: [base]}


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
