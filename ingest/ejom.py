"""EJOM monitoring exports from Akvo Flow: bytes to a typed frame, for each of the four forms.

The "raw data report" has group titles on row 1 and headers on row 2; option answers are
"code:text" and the code decides. The training form's daily attendance (a repeat group) is
on a second sheet, linked by Instance. A duplicated submission repeats its Instance: the
reader keeps the first and sends the repeat to quarantine (`duplicate_submission`).
"""

from __future__ import annotations

import re

import polars as pl

from ingest import extras
from ingest.contracts import Contract, DeliveryRejected, load_contract
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.tabular import SOURCE_ROW, read_table
from ingest.typed import parse_related, parse_rows, split_duplicates, time_zone, workbook_sheets

SUBMISSION_DATE = "Submission Date"

FORMS = ("registration", "training", "kits", "smes")


def bronze_tables() -> dict[str, list[Contract]]:
    """The four forms share the main table; the training form's repeat group is `attendance`;
    the cells of columns a form does not declare are `extras`."""
    forms = {form: load_contract(f"ejom_{form}") for form in FORMS}
    training = forms["training"]
    return {
        MAIN: list(forms.values()),
        "attendance": [training.with_columns(training.raw["repeat_columns"])],
        extras.TABLE: [extras.contract(training)],
    }


def form_of(file_name: str) -> str:
    for form in FORMS:
        if file_name.startswith(f"EJOM_{form}_"):
            return form
    raise DeliveryRejected(file_name, "not an EJOM export (EJOM_<form>_<YYYY-MM>.xlsx)")


#: The metadata Akvo's exporter repeats on a repeatable group's sheet: its submission's row
#: holds them, so they are not stored twice (`Instance` links the two, `Repeat no` counts).
COPIED_METADATA = (
    "Identifier", "Data approval status", "Display Name", "Device identifier",
    "Submission Date", "Submitter", "Duration", "Form version",
)  # fmt: skip
APPROVAL = "Data approval status"


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
    frame = table.frame
    if APPROVAL in table.headers:  # a survey with data approval: blank is no decision yet
        frame = frame.with_columns(
            pl.when(pl.col(APPROVAL).is_null() | (pl.col(APPROVAL).str.strip_chars() == ""))
            .then(pl.lit("PENDING"))
            .otherwise(pl.col(APPROVAL))
            .alias(APPROVAL)
        )
    # A column the form's contract does not declare (a question added in Akvo) is set aside.
    known = {alias for c in contract.columns for alias in c.aliases}
    undeclared_at = [i for i, h in enumerate(table.headers) if h not in known]
    undeclared = extras.cells(frame, table.headers, undeclared_at, table.sheet)
    if undeclared_at:
        values = [c for c in frame.columns if c != SOURCE_ROW]
        frame = frame.drop([values[i] for i in undeclared_at])
    headers = [h for i, h in enumerate(table.headers) if i not in set(undeclared_at)]
    zones = (
        frame.select(time_zone(pl.col(SUBMISSION_DATE)).alias("submission_date_zone"), SOURCE_ROW)
        if SUBMISSION_DATE in frame.columns
        else None
    )
    good, bad = parse_rows(frame, contract, file_name, headers)
    if zones is not None:
        good = good.join(zones, on=SOURCE_ROW, how="left")
    good, bad = split_duplicates(good, bad, "instance")
    good = good.with_columns(pl.lit(contract.raw["funding_action"]).alias("funding_action"))
    related = {}
    if "repeat_columns" in contract.raw:
        sub = contract.with_columns(contract.raw["repeat_columns"])
        sheet = _repeat_sheet(content, file_name, sub, header_row)
        if sheet is not None:
            typed, problems = parse_related(
                content, file_name, sheet, sub, header_row, COPIED_METADATA
            )
            related["attendance"] = typed
            related["attendance_quarantine"] = problems
    said = extras.warning(undeclared, "ejom")
    if said:
        related[extras.TABLE] = undeclared
    return ParsedDelivery(
        good, bad, table.frame.height, table.sheet, related, (said,) if said else ()
    )


def _repeat_sheet(content: bytes, file_name: str, contract, header_row: int) -> str | None:
    """The sheet of the form's repeatable group: Akvo names it `Group <n>`; it is the one
    whose header has the group's questions. None when the export has none (no repetitions,
    or a report made without separate sheets for repeatable groups)."""
    questions = {c.header for c in contract.columns if c.header not in ("Instance", "Repeat no")}
    for sheet in workbook_sheets(content, file_name):
        if sheet == contract.xlsx_sheet or not re.match(r"^Group \d+$", sheet):
            continue
        headers = read_table(content, file_name, sheet, header_row).headers
        if questions & set(headers):
            return sheet
    return None
