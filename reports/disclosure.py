"""The disclosure rule of every report (reports/report_rules.yml), applied in one place:
tables, chart marks and the annex all print counts of people through these functions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from reports.numbers import fmt_number, one_decimal

RULES_FILE = Path(__file__).parent / "report_rules.yml"


@dataclass(frozen=True)
class Exemption:
    id: str
    text: dict[str, str]


@dataclass(frozen=True)
class Rule:
    min_count: int
    shown_as: str
    exemptions: tuple[Exemption, ...]

    def hides(self, count: float | None) -> bool:
        """Whether a count of people is too small to print (zero reveals no one)."""
        return count is not None and 0 < count < self.min_count

    def exempt(self, exemption_id: str) -> Exemption:
        """A declared exemption; a clear error for one the rules file does not declare."""
        for exemption in self.exemptions:
            if exemption.id == exemption_id:
                return exemption
        raise KeyError(f"{RULES_FILE.name}: no disclosure exemption {exemption_id!r}")


@cache
def rule() -> Rule:
    declared = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["disclosure"]
    return Rule(
        min_count=int(declared["min_count"]),
        shown_as=str(declared["shown_as"]),
        exemptions=tuple(
            Exemption(e["id"], {"fr": e["fr"], "en": e["en"]}) for e in declared["exemptions"]
        ),
    )


def masked_count(value: float | None, lang: str = "fr") -> str:
    """A count of people as printed: the mask below the threshold, "–" when there is none."""
    if value is None:
        return "–"
    return rule().shown_as if rule().hides(value) else fmt_number(value, "people", lang)


def months_cell(value: float | None, base: int | None, lang: str = "fr") -> str:
    """A median in months, not printed over fewer people than the threshold."""
    if base is None or base < rule().min_count:
        return "–"
    return one_decimal(value, lang)
