"""The statements the warehouse is checked against (`report_statements.yml`, kept by hand:
the 2021 Mali report's quantitative statements, and five EUTF actuals of the Mali actions),
and the dbt seed written from them.

`mart_report_figures` joins the seed to say, for each figure, what the report stated and
whether the warehouse reproduces it (the reports' reproduction appendix). `slc docs` writes
the seed and a test fails when it differs from the registry. The sample generator reads the
registry to know what its deliveries must reproduce; nothing here depends on it. The EUTF
results export's actuals (section "RSR") are left out of the seed: they are the RSR's
statements, reconciled in `mart_indicator_reconciliation`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ingest.settings import REPO_ROOT

REGISTRY = Path(__file__).with_name("report_statements.yml")
SEED = REPO_ROOT / "dbt_project" / "seeds" / "report_statements.csv"
FIELDS = [
    "figure_key", "section", "statement", "statement_en", "stated_value", "stated_denominator",
    "comparison", "tolerance", "is_programme_volume", "note_en", "note_fr",
]  # fmt: skip
COMPARISONS = ("equal", "at_least", "at_most")


@dataclass(frozen=True)
class Statement:
    """One stated figure: what was stated and how a computed value is compared with it."""

    id: str
    section: str
    statement: str
    #: An English gloss of the statement (the English report quotes both).
    statement_en: str
    value: float
    #: The whole a part is stated of ("281 des 333": 333), compared as well.
    denominator: float | None = None
    comparison: str = "equal"
    tolerance: float = 0.0
    #: A volume of the programme (grows with the sample's scale), or a fixed figure.
    programme_volume: bool = True
    note_en: str = ""
    note_fr: str = ""


@cache
def statements() -> tuple[Statement, ...]:
    """The registry's statements, in its order; a malformed entry is an error naming it."""
    raw = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))["statements"]
    out, seen = [], set()
    for i, entry in enumerate(raw, start=1):
        where = f"{REGISTRY.name}, statement {i} ({entry.get('id', '?')})"
        unknown = set(entry) - set(Statement.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
        if entry["id"] in seen:
            raise ValueError(f"{where}: the id is used twice")
        if not str(entry.get("statement_en", "")).strip():
            raise ValueError(f"{where}: statement_en (an English gloss) is missing")
        if entry.get("comparison", "equal") not in COMPARISONS:
            raise ValueError(f"{where}: comparison is one of {COMPARISONS}")
        seen.add(entry["id"])
        out.append(
            Statement(
                **{
                    **entry,
                    "section": str(entry.get("section", "")),
                    "value": float(entry["value"]),
                    "denominator": (
                        None if entry.get("denominator") is None else float(entry["denominator"])
                    ),
                    "tolerance": float(entry.get("tolerance", 0.0)),
                    "note_en": " ".join(str(entry.get("note_en", "")).split()),
                    "note_fr": " ".join(str(entry.get("note_fr", "")).split()),
                }
            )
        )
    return tuple(out)


def by_id() -> dict[str, Statement]:
    return {s.id: s for s in statements()}


def rendered() -> str:
    rows = [
        {
            "figure_key": s.id,
            "section": s.section,
            "statement": s.statement,
            "statement_en": s.statement_en,
            "stated_value": f"{s.value:g}",
            "stated_denominator": "" if s.denominator is None else f"{s.denominator:g}",
            "comparison": s.comparison,
            "tolerance": f"{s.tolerance:g}",
            "is_programme_volume": str(s.programme_volume).lower(),
            "note_en": s.note_en,
            "note_fr": s.note_fr,
        }
        for s in statements()
        if s.section != "RSR"
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: r["figure_key"]))
    return buffer.getvalue()


def write() -> list[Path]:
    SEED.write_text(rendered(), encoding="utf-8")
    return [SEED]


def stale() -> list[Path]:
    current = SEED.read_text(encoding="utf-8") if SEED.exists() else None
    return [] if current == rendered() else [SEED]
