"""Pseudonymisation at the door: personal data becomes keyed HMAC-SHA256 pseudonyms.

Names, phone numbers, dates of birth and document numbers never reach bronze. Each value is
normalised first (case, accents, spacing, punctuation; phone prefixes), so that the same
person written by two partners gets the same pseudonym: that is what links an IOM returnee
to an EJOM beneficiary. The key comes from `SLC_PSEUDONYM_KEY` (the secret itself) or
`SLC_PSEUDONYM_KEY_FILE` (a file outside the repository); without one, loading stops with
a clear error. There is no default key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path

import polars as pl

KEY_ENV = "SLC_PSEUDONYM_KEY"
KEY_FILE_ENV = "SLC_PSEUDONYM_KEY_FILE"

#: International dialling codes of the countries our partners' beneficiaries come from.
DIALLING_CODES = (
    "220",
    "221",
    "222",
    "223",
    "224",
    "225",
    "226",
    "227",
    "229",
    "231",
    "232",
    "233",
    "234",
    "235",
    "237",
    "245",
)


class MissingKey(RuntimeError):
    """No pseudonymisation key: personal data cannot be loaded."""


def load_key(environ: dict[str, str] | None = None) -> bytes:
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return env[KEY_ENV].encode("utf-8")
    path = env.get(KEY_FILE_ENV)
    if path:
        file = Path(path)
        if not file.is_file():
            raise MissingKey(f"{KEY_FILE_ENV}={path}: no such key file")
        key = file.read_bytes().strip()
        if len(key) < 32:
            raise MissingKey(f"{path}: the key is shorter than 32 bytes")
        return key
    raise MissingKey(
        f"no pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV} "
        "(`make demo` creates a local key file outside the repository)"
    )


def create_key_file(path: Path) -> Path:
    """A new random key, readable by its owner only; an existing file is kept."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_name(value: str) -> str:
    """'  Keïta  ' and 'KEITA' and 'keita-' are the same name."""
    text = _fold(value).lower()
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return " ".join(text.split())


def normalise_phone(value: str) -> str:
    """'+223 76 12 34 56', '0022376123456' and '76123456' are the same number."""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("00"):
        digits = digits[2:]
    for code in DIALLING_CODES:
        if digits.startswith(code) and len(digits) > len(code) + 6:
            return digits[len(code) :]
    return digits


def normalise_document(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", _fold(value).upper())


def normalise_date(value: str) -> str:
    """Dates arrive typed (ISO) or as text; the ISO day is what is hashed."""
    return value.strip()[:10]


NORMALISERS = {
    "name": normalise_name,
    "phone": normalise_phone,
    "document": normalise_document,
    "date_of_birth": normalise_date,
}


def pseudonym(key: bytes, kind: str, value: str | None) -> str | None:
    if value is None:
        return None
    normalised = NORMALISERS[kind](str(value))
    if not normalised:
        return None
    digest = hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def _person(key: bytes, combined: str) -> str | None:
    first, last, born = combined.split("\x1f")
    whole = f"{normalise_name(first)}|{normalise_name(last)}|{normalise_date(born)}"
    if whole.startswith("|") or "||" in whole or whole.endswith("|"):
        return None
    return hmac.new(key, f"person:{whole}".encode(), hashlib.sha256).hexdigest()[:32]


def pseudonymise(frame: pl.DataFrame, columns: dict[str, str], key: bytes) -> pl.DataFrame:
    """Replace each personal column by `<column>_pseudonym`; the raw column is dropped.

    `columns` maps a column to its kind (name, phone, document, date_of_birth). Each distinct
    value is hashed once. A person key over (first name, last name, date of birth) is added
    when the three are present: the same person across feeds and deliveries.
    """
    out = frame
    for column, kind in columns.items():
        if column not in out.columns:
            continue
        values = out[column].cast(pl.String)
        mapping = {v: pseudonym(key, kind, v) for v in values.drop_nulls().unique().to_list()}
        out = out.with_columns(
            values.replace_strict(mapping, default=None, return_dtype=pl.String).alias(
                f"{column}_pseudonym"
            )
        )
    if {"first_name", "last_name", "date_of_birth"} <= set(frame.columns):
        combo = frame.select(
            pl.concat_str(
                [pl.col(c).cast(pl.String) for c in ("first_name", "last_name", "date_of_birth")],
                separator="\x1f",
            )
        ).to_series()
        mapping = {v: _person(key, v) for v in combo.drop_nulls().unique().to_list()}
        out = out.with_columns(
            combo.replace_strict(mapping, default=None, return_dtype=pl.String).alias("person_key")
        )
    return out.drop([c for c in columns if c in out.columns])


def pii_columns(feed: str) -> dict[str, str]:
    """Every personal-data column a feed's contracts declare, with its kind."""
    from ingest.contracts import load_contract

    columns: list = []
    if feed == "ejom":
        for form in ("registration", "training", "kits", "smes"):
            columns += load_contract(f"ejom_{form}").columns
    elif feed == "kobo":
        from ingest.kobo import survey_contract

        columns += [*survey_contract("returnee").columns, *survey_contract("sensitisation").columns]
    elif feed in ("iom", "aecid"):
        contract = load_contract(feed)
        columns += contract.columns
        columns += contract.with_columns(contract.raw.get("participant_columns", [])).columns
    kinds = {
        "name": "name",
        "phone": "phone",
        "date_of_birth": "date_of_birth",
        "document": "document",
    }
    return {c.name: kinds[c.pii] for c in columns if c.pii}


def protect(parsed, feed: str, key: bytes):
    """A ParsedDelivery whose bronze, quarantine and related tables hold pseudonyms only."""
    from dataclasses import replace

    columns = pii_columns(feed)
    if not columns:
        return parsed
    return replace(
        parsed,
        bronze=pseudonymise(parsed.bronze, columns, key),
        quarantine=pseudonymise(parsed.quarantine, columns, key),
        related={name: pseudonymise(frame, columns, key) for name, frame in parsed.related.items()},
    )
