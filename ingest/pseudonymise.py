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
import threading
import unicodedata
from pathlib import Path

import duckdb
import polars as pl

from ingest.delivery_types import ParsedDelivery
from ingest.feeds import bronze_tables

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
    """A new random key, readable by its owner only from its first byte, in a folder made
    owner-only when this creates it; an existing file is kept."""
    if not path.exists():
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.parent.chmod(0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
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
    """The reference definition, one value at a time: HMAC-SHA256 of "<kind>:<normalised>",
    hex, first 32 characters. `pseudonymise` computes the same thing for whole columns."""
    if value is None:
        return None
    normalised = NORMALISERS[kind](str(value))
    if not normalised:
        return None
    digest = hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def person_pseudonym(key: bytes, first: str, last: str, born: str) -> str | None:
    """Reference definition of `person_key`: first name, last name and date of birth."""
    parts = (normalise_name(first), normalise_name(last), normalise_date(born))
    if not all(parts):
        return None
    return hmac.new(key, f"person:{'|'.join(parts)}".encode(), hashlib.sha256).hexdigest()[:32]


# Vectorised twins of the normalisers above, for whole columns (tests prove them equal).
_DIALLING = "|".join(DIALLING_CODES)


def _fold_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")


def normalised(kind: str, expr: pl.Expr) -> pl.Expr:
    """The column's values as `NORMALISERS[kind]` would make them ('' for nothing left)."""
    text = expr.cast(pl.String)
    if kind == "name":
        return (
            _fold_expr(text)
            .str.to_lowercase()
            .str.replace_all(r"[^a-z0-9 ]+", " ")
            .str.replace_all(r" +", " ")
            .str.strip_chars(" ")
        )
    if kind == "phone":
        digits = text.str.replace_all(r"\D", "").str.replace(r"^00", "")
        local = digits.str.extract(rf"^(?:{_DIALLING})(\d{{7,}})$", 1)
        return pl.coalesce(local, digits)
    if kind == "document":
        return _fold_expr(text).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    if kind == "date_of_birth":
        return text.str.strip_chars().str.slice(0, 10)
    raise KeyError(kind)


_MEMORY: duckdb.DuckDBPyConnection | None = None
_OPENING = threading.Lock()


def _memory() -> duckdb.DuckDBPyConnection:
    """A cursor on this process's in-memory DuckDB database (raw values never touch a file).
    Opening a database costs about 30 ms; a cursor on an open one almost nothing."""
    global _MEMORY
    with _OPENING:  # the loader stages files in threads (ingest.deliveries)
        if _MEMORY is None:
            _MEMORY = duckdb.connect(":memory:")
        return _MEMORY.cursor()


def close_memory_db() -> None:
    """Close the in-memory database (its buffers go back to the system); the next
    pseudonymisation opens a new one. Called at the end of a step, when no loader thread runs."""
    global _MEMORY
    with _OPENING:
        if _MEMORY is not None:
            _MEMORY.close()
            _MEMORY = None


#: Up to this many distinct messages, Python's hashlib is faster than a DuckDB query (which
#: costs milliseconds whatever its size): a cumulative export's new rows are often few.
SMALL_BATCH = 5_000


def _hmac_hex(messages: pl.Series, key: bytes) -> pl.Series:
    """HMAC-SHA256 (RFC 2104) of each message, hex, first 32 characters. Large batches run
    as one DuckDB query over the column (Python's hmac, value by value, was most of the load
    time); small ones with Python's hmac, keyed once. The DuckDB query pads the key as Python's
    hmac does: keys above 64 bytes are hashed first."""
    distinct = messages.unique()
    if distinct.len() <= SMALL_BATCH:
        prepared = hmac.new(key, digestmod=hashlib.sha256)  # the key's pads, once

        def one(message: str) -> str:
            mac = prepared.copy()
            mac.update(message.encode())
            return mac.hexdigest()[:32]

        hashed = pl.DataFrame(
            {
                "message": distinct,
                "digest": pl.Series(
                    [None if m is None else one(m) for m in distinct.to_list()], dtype=pl.String
                ),
            }
        )
    else:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        inner = bytes(b ^ 0x36 for b in block)
        outer = bytes(b ^ 0x5C for b in block)
        con = _memory()
        try:
            con.register("frame", pl.DataFrame({"message": distinct}))
            hashed = con.sql(
                "select message, left(sha256($outer::blob || "
                "unhex(sha256($inner::blob || encode(message)))), 32) as digest from frame",
                params={"outer": outer, "inner": inner},
            ).pl()
        finally:
            con.close()
    return (
        pl.DataFrame({"message": messages})
        .join(hashed, on="message", how="left", maintain_order="left")
        .get_column("digest")
    )


def _keyed(frame: pl.DataFrame, messages: dict[str, pl.Expr], key: bytes) -> pl.DataFrame:
    """Each message column hashed, in one DuckDB query over the distinct messages of all of
    them (a query costs a few ms whatever its size, and a cumulative export's new rows are
    often few)."""
    texts = frame.select(**messages)
    distinct = pl.concat([texts[name] for name in messages]).drop_nulls().unique()
    if distinct.is_empty():
        return texts.select(pl.col(name).cast(pl.String) for name in messages)
    digests = pl.DataFrame({"message": distinct, "digest": _hmac_hex(distinct, key)})
    return pl.DataFrame(
        [
            texts.select(pl.col(name).alias("message"))
            .join(digests, on="message", how="left", maintain_order="left")
            .get_column("digest")
            .alias(name)
            for name in messages
        ]
    )


#: Where the age at the event is kept once the date of birth is gone.
AGE_COLUMN = "age_at_event"


def age_in_years(born: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Completed years between two dates (null when either is missing or born after)."""
    born, on = born.cast(pl.Date), on.cast(pl.Date)
    before_birthday = (on.dt.month() < born.dt.month()) | (
        (on.dt.month() == born.dt.month()) & (on.dt.day() < born.dt.day())
    )
    years = on.dt.year() - born.dt.year() - before_birthday.cast(pl.Int32)
    return pl.when(years >= 0).then(years.cast(pl.Int64))


def with_age(frame: pl.DataFrame, ages: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    """Add `age_at_event` from a typed date of birth and the first present reference date."""
    for born, references in ages.items():
        present = [r for r in references if r in frame.columns]
        if born in frame.columns and present and frame.schema[born] == pl.Date:
            on = pl.coalesce([pl.col(r).cast(pl.Date) for r in present])
            frame = frame.with_columns(age_in_years(pl.col(born), on).alias(AGE_COLUMN))
    return frame


def pseudonymise(
    frame: pl.DataFrame,
    columns: dict[str, str],
    key: bytes,
    ages: dict[str, tuple[str, ...]] | None = None,
) -> pl.DataFrame:
    """Replace each personal column by `<column>_pseudonym`; the raw column is dropped.

    `ages` maps a date-of-birth column to the dates its age is taken at: `age_at_event`
    is kept (typed frames only; quarantine keeps no age).

    `columns` maps a column to its kind (name, phone, document, date_of_birth). A person key
    over (first name, last name, date of birth) is added when the three are present: the
    same person across feeds and deliveries. Same results as `pseudonym` and
    `person_pseudonym`, a column at a time.
    """
    out = with_age(frame, ages or {})
    messages: dict[str, pl.Expr] = {}
    for column, kind in columns.items():
        if column not in out.columns:
            continue
        value = normalised(kind, pl.col(column))
        messages[f"{column}_pseudonym"] = pl.when(value != "").then(pl.lit(f"{kind}:") + value)
    if {"first_name", "last_name", "date_of_birth"} <= set(frame.columns):
        parts = [
            normalised("name", pl.col("first_name")),
            normalised("name", pl.col("last_name")),
            normalised("date_of_birth", pl.col("date_of_birth")),
        ]
        whole = pl.concat_str(parts, separator="|")
        messages["person_key"] = pl.when(pl.all_horizontal(p != "" for p in parts)).then(
            pl.lit("person:") + whole
        )
    if messages:
        out = out.with_columns(_keyed(frame, messages, key))
    return out.drop([c for c in columns if c in out.columns])


def _contract_columns(feed: str):
    """Every column of every contract that makes one of the feed's bronze tables."""
    for contracts in bronze_tables(feed).values():
        for contract in contracts:
            yield from contract.columns


def pii_columns(feed: str) -> dict[str, str]:
    """Every personal-data column the feed's contracts declare, with its kind."""
    kinds = {
        "name": "name",
        "phone": "phone",
        "date_of_birth": "date_of_birth",
        "document": "document",
    }
    return {c.name: kinds[c.pii] for c in _contract_columns(feed) if c.pii}


def age_references(feed: str) -> dict[str, tuple[str, ...]]:
    """Date-of-birth columns of the feed and the dates their age is taken at."""
    return {c.name: c.age_at for c in _contract_columns(feed) if c.age_at}


def protect(parsed: ParsedDelivery, feed: str, key: bytes) -> ParsedDelivery:
    """A ParsedDelivery whose bronze, quarantine and related tables hold pseudonyms only;
    bronze keeps the age at the event where a date of birth was given."""
    from dataclasses import replace

    columns = pii_columns(feed)
    if not columns:
        return parsed
    return replace(
        parsed,
        bronze=pseudonymise(parsed.bronze, columns, key, age_references(feed)),
        quarantine=pseudonymise(parsed.quarantine, columns, key),
        related={name: pseudonymise(frame, columns, key) for name, frame in parsed.related.items()},
    )
