"""How the reports write numbers, in French and in English: one place for the locale rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def _localised(text: str, lang: str) -> str:
    """ "12,345.6" as the language writes it: French uses a narrow no-break space for
    thousands and a decimal comma."""
    return text if lang == "en" else text.replace(",", "\u202f").replace(".", ",")


def as_date(value: object) -> date | None:
    """A date read back from a frame (`Series.max()` is typed loosely): a date or None."""
    if value is None or isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def fmt_date(value: object) -> str:
    """A date read back from a frame, as ISO 8601; "–" when there is none."""
    day = as_date(value)
    return day.isoformat() if day else "–"


def as_number(value: object) -> float:
    """A number read back from a frame (`Series.sum()`/`min()` are typed loosely)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def fmt_number(value: float | Decimal | None, unit: str, lang: str = "fr") -> str:
    """French: "12 345", "12,5 %" for shares. English: "12,345", "12.5%"."""
    if value is None:
        return "–"
    if unit == "share":
        text = _localised(f"{value * 100:.1f}", lang)
        return text + "%" if lang == "en" else text + "\u202f%"
    value = round(value, 1)  # 17042.999999 (a sum of floats) is 17,043
    return _localised(f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}", lang)


def one_decimal(value: float | None, lang: str = "fr") -> str:
    """A measure with one decimal (months, a percentage difference): "2,5" / "2.5"."""
    return "–" if value is None else _localised(f"{value:.1f}", lang)
