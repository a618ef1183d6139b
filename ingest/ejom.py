"""EJOM monitoring exports from Akvo Flow: bytes to a typed frame, for each of the four forms.

The "raw data report" has group titles on row 1 and headers on row 2; option answers are
"code:text" and the code decides. The training form's daily attendance (a repeat group) is
on a second sheet, linked by Instance. A duplicated submission repeats its Instance: the
reader keeps the first and sends the repeat to quarantine (`duplicate_submission`).
"""

from __future__ import annotations

import polars as pl

from ingest.contracts import Contract, DeliveryRejected, load_contract
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.tabular import read_table
from ingest.typed import parse_related, parse_rows, split_duplicates

FORMS = ("registration", "training", "kits", "smes")


def bronze_tables() -> dict[str, list[Contract]]:
    """The four forms share the main table; the training form's repeat group is `attendance`."""
    forms = {form: load_contract(f"ejom_{form}") for form in FORMS}
    training = forms["training"]
    return {
        MAIN: list(forms.values()),
        "attendance": [training.with_columns(training.raw["repeat_columns"])],
    }


def form_of(file_name: str) -> str:
    for form in FORMS:
        if file_name.startswith(f"EJOM_{form}_"):
            return form
    raise DeliveryRejected(file_name, "not an EJOM export (EJOM_<form>_<YYYY-MM>.xlsx)")


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    contract = load_contract(f"ejom_{form_of(file_name)}")
    if not contract.matches(file_name):
        raise DeliveryRejected(
            file_name, f"file name does not match {contract.file_pattern.pattern!r}"
        )
    header_row = contract.header_rows - 1
    try:
        table = read_table(content, file_name, contract.xlsx_sheet, header_row)
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise DeliveryRejected(file_name, f"unreadable: {exc}") from exc
    good, bad = parse_rows(table.frame, contract, file_name, table.headers)
    good, bad = split_duplicates(good, bad, "instance")
    good = good.with_columns(pl.lit(contract.raw["funding_action"]).alias("funding_action"))
    related = {}
    repeat_sheet = contract.raw.get("repeat_sheet")
    if repeat_sheet:
        sub = contract.with_columns(contract.raw["repeat_columns"])
        typed, problems = parse_related(content, file_name, repeat_sheet, sub, header_row)
        related["attendance"] = typed
        related["attendance_quarantine"] = problems
    return ParsedDelivery(good, bad, table.frame.height, table.sheet, related)
