"""The reproduction appendix: every quantitative statement of the seed report, the value it
states, the value the warehouse computes, and whether they agree, from `mart_report_figures`
(published) only. The numbers are the mart's; this module only formats them."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from reports.disclosure import masked_count
from reports.marts import read
from reports.numbers import fmt_number

#: Units that count people: the computed value obeys the disclosure rule (the stated one
#: is the 2021 report's, already published).
PEOPLE_UNITS = ("people", "respondents", "returns")


def _computed(value: float | None, unit: str, lang: str) -> str:
    if unit in PEOPLE_UNITS:
        return masked_count(value, lang)
    return fmt_number(value, unit, lang)


def _statement(figure: dict, lang: str) -> str:
    quoted = figure["stated_text"]
    if lang == "fr" or not quoted:
        return quoted or figure["label"]
    return f"{figure['stated_text_en']} (“{quoted}”)"


STATUS_FR = {"reproduced": "reproduit", "differs": "diffère", "not stated": "non énoncé"}


def _section_key(section: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in section.split("."))


def reproduction_rows(marts: Path, report: str | None = None, lang: str = "fr") -> list[dict]:
    """One row per figure (of `report`, or all), in the seed report's section order."""
    figures = read(marts, "mart_report_figures")
    if report is not None:
        figures = figures.filter(pl.col("report") == report)
    rows = [
        {
            "section": f["section"],
            "figure_key": f["figure_key"],
            # The 2021 report's French words, their English gloss, and what the report in
            # `lang` prints: in English, the gloss with the quote.
            "statement": f["stated_text"] or f["label"],
            "statement_en": f["stated_text_en"] or "",
            "shown": _statement(f, lang),
            "stated": fmt_number(f["stated_value"], f["unit"], lang),
            "computed": _computed(f["value"], f["unit"], lang),
            "denominator": _computed(f["denominator"], "people", lang)
            if f["denominator"] is not None
            else "",
            "stated_denominator": fmt_number(f["stated_denominator"], "people", lang)
            if f["stated_denominator"] is not None
            else "",
            "as_of": f["as_of"].isoformat(),
            "status": f["reproduction_status"],
            "status_fr": STATUS_FR[f["reproduction_status"]],
            "status_en": f["reproduction_status"],
            "note": f[f"stated_note_{lang}"] or "",
        }
        for f in figures.iter_rows(named=True)
    ]
    return sorted(rows, key=lambda r: (_section_key(r["section"]), r["figure_key"]))
