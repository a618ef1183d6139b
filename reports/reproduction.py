"""The reproduction appendix: every quantitative statement of the seed report, the value it
states, the value the warehouse computes, and whether they agree, from `mart_report_figures`
(published) only. The numbers are the mart's; this module only formats them."""

from __future__ import annotations

from pathlib import Path

import polars as pl

STATUS_FR = {"reproduced": "reproduit", "differs": "diffère", "not stated": "non énoncé"}


def fmt_number(value: float | None, unit: str) -> str:
    """French formatting: narrow no-break thousands separator, decimal comma, % for shares."""
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.1f}".replace(".", ",") + "\u202f%"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def _section_key(section: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in section.split("."))


def reproduction_rows(marts: Path) -> list[dict]:
    """One row per figure, in the seed report's section order."""
    figures = pl.read_parquet(marts / "mart_report_figures.parquet")
    rows = [
        {
            "section": f["section"],
            "figure_key": f["figure_key"],
            "statement": f["stated_text"] or f["label"],
            "stated": fmt_number(f["stated_value"], f["unit"]),
            "computed": fmt_number(f["value"], f["unit"]),
            "as_of": f["as_of"].isoformat(),
            "status": f["reproduction_status"],
            "status_fr": STATUS_FR[f["reproduction_status"]],
            "note": f["stated_note"] or "",
        }
        for f in figures.iter_rows(named=True)
    ]
    return sorted(rows, key=lambda r: (_section_key(r["section"]), r["figure_key"]))
