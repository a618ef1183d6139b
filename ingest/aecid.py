"""AECID sensitisation workbooks: bytes to one typed frame of activities, all months together.

Each monthly sheet has four title rows (project title, "Structure : <name> (<type> - AMI
<year>)", "Région : <region> — Mois : <month>", blank), the header, the activities, and a
TOTAL row that is not data. The organisation, its type and call year come from the titles.
"""

from __future__ import annotations

import re

import polars as pl

from ingest.contracts import Contract, DeliveryRejected, load_contract
from ingest.delivery_types import MAIN, ParsedDelivery
from ingest.tabular import read_table
from ingest.typed import parse_related, parse_rows, workbook_sheets

FEED = "aecid"
ORGANISATION_TYPES = {"OSC": "osc", "Point focal": "point_focal"}


def bronze_tables() -> dict[str, list[Contract]]:
    """Activities, and the participant lists of the sheets that have them (`participants`)."""
    base = load_contract(FEED)
    return {MAIN: [base], "participants": [base.with_columns(base.raw["participant_columns"])]}


def _titles(
    file_name: str, sheet: str, titles: tuple[tuple[str, ...], ...], patterns: dict
) -> dict:
    found: dict[str, str | None] = {}
    text = [cell for row in titles for cell in row if cell]
    for key, pattern in patterns.items():
        regex = re.compile(pattern)
        match = next((m for m in map(regex.match, text) if m), None)
        if match is None:
            raise DeliveryRejected(file_name, f"sheet {sheet!r}: title row {key!r} not found")
        found.update(match.groupdict())
    return found


def parse(content: bytes, file_name: str) -> ParsedDelivery:
    contract = load_contract(FEED)
    if not contract.matches(file_name):
        raise DeliveryRejected(
            file_name, f"file name does not match {contract.file_pattern.pattern!r}"
        )
    raw = contract.raw
    sheets = workbook_sheets(content, file_name)
    month_sheets = [s for s in sheets if re.match(raw["sheet_pattern"], s)]
    if not month_sheets:
        raise DeliveryRejected(file_name, "no monthly sheet (e.g. 'Janvier 2020')")
    bads, rows_read = [], 0
    marker = raw["totals_marker"]
    layouts: dict[tuple[str, ...], list[pl.DataFrame]] = {}
    titles = []
    for sheet in month_sheets:
        table = read_table(content, file_name, sheet, raw["title_rows"])
        info = _titles(file_name, sheet, table.titles, raw["title_patterns"])
        titles.append(
            {
                "_sheet_name": sheet,
                "organisation": info["organisation"],
                "organisation_type": ORGANISATION_TYPES[info["organisation_type"]],
                "call_year": None if info.get("call_year") is None else int(info["call_year"]),
            }
        )
        frame = table.frame.with_columns(pl.lit(sheet).alias("_sheet_name"))
        rows_read += frame.height
        first = table.headers[0]
        is_total = pl.col(first).fill_null("").str.strip_chars().str.to_uppercase() == marker
        bads.append(
            frame.filter(is_total).with_columns(
                pl.lit("totals_row").alias("_reason"),
                pl.lit(None, dtype=pl.String).alias("_column"),
            )
        )
        layouts.setdefault(tuple(table.headers), []).append(frame.filter(~is_total))
    # The months of a workbook share their header: typed together, once (a few rows cost
    # what typing costs per call, a few milliseconds).
    goods = []
    for headers, frames in layouts.items():
        months = pl.concat(frames, how="vertical_relaxed")
        good, bad = parse_rows(months, contract, file_name, list(headers))
        goods.append(good)
        bads.insert(0, bad)
    bronze = pl.concat(goods, how="diagonal_relaxed").join(
        pl.DataFrame(
            titles,
            schema={
                "_sheet_name": pl.String,
                "organisation": pl.String,
                "organisation_type": pl.String,
                "call_year": pl.Int64,
            },
        ),
        on="_sheet_name",
        how="left",
        maintain_order="left",
    )
    funders = {
        label.lower(): action for action, labels in raw["funders"].items() for label in labels
    }
    bronze = bronze.with_columns(
        pl.col("funder")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(funders, default=None)
        .alias("funding_action")
    )
    related = {}
    if raw["participants_sheet"] in sheets:
        sub = contract.with_columns(raw["participant_columns"])
        typed, problems = parse_related(content, file_name, raw["participants_sheet"], sub)
        related["participants"] = typed
        related["participants_quarantine"] = problems
    return ParsedDelivery(
        bronze, pl.concat(bads, how="diagonal_relaxed"), rows_read, ",".join(month_sheets), related
    )
