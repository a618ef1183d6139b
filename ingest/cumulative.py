"""Cumulative exports: type and store each distinct row once, keep every export's row list.

An IOM mission's monthly export repeats every case it ever had, so the sample's exports
hold each case dozens of times, almost always unchanged. Typing and pseudonymising every
copy was three quarters of a full refresh. For a feed whose contract says `cumulative`,
the loader therefore fingerprints each raw row and splits the export in two tables:

- `bronze/<feed>/<sha256>.parquet`: the rows not seen before (in that scope, a mission),
  typed, pseudonymised and gated as any delivery's rows, with their `_row_fingerprint`;
- `bronze/<feed>/rows/<sha256>.parquet`: every row of the export, by `_source_row` and
  fingerprint, with the file's reader columns (mission, report month) and lineage.

Staging reads them as `stg_iom__case_states` (each state once, whichever delivery first
stored it), `analyses/iom_case_exports` (each current export's rows, by state) and
`stg_iom__state_listings` (each state's latest current export). Nothing
depends on arrival order: a state stays in bronze when the delivery that stored it is
superseded, and a row is only "known" once its state is in bronze or staged in the same run.

The fingerprint is Polars' row hash under two 64-bit seeds derived from the
pseudonymisation key (128 bits; keyed, so it cannot be recomputed from guessed values
without the key). It is a fast non-cryptographic hash, not a MAC: it only says whether a
row was seen; the personal values themselves are HMAC pseudonyms (ingest.pseudonymise).
It covers the file's scope (mission), the raw strings of the contract's columns, and a
digest of the rules that type them (the contract, the country registry and
`TYPING_REVISION`): change any of them and every row is typed again. Polars does not promise
the same hash across its versions; after an upgrade rows are stored again once, which
costs time, not correctness.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl

from ingest.contracts import Contract
from ingest.registry import read_registry
from ingest.settings import Settings

FINGERPRINT = "_row_fingerprint"
#: The fingerprint as the loader looks it up (never stored): see `as_numbers`.
NUMBER = "_row_number"
#: The related table that lists every row of a cumulative export.
MEMBERS = "rows"
#: Bump when ingest/typed.py changes how a raw string becomes a typed value.
TYPING_REVISION = "1"
_COUNTRIES = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "countries.csv"


def typing_digest(contract: Contract) -> str:
    """What a stored state's typed values depend on besides the row itself."""
    digest = hashlib.sha256(TYPING_REVISION.encode())
    digest.update(repr(sorted(contract.raw.items())).encode())
    if _COUNTRIES.exists():
        digest.update(_COUNTRIES.read_bytes())
    return digest.hexdigest()


def scope_of(contract: Contract) -> str:
    """The reader column a row's state is unique within (IOM: the mission)."""
    return str((contract.raw.get("cumulative") or {}).get("scope", "mission"))


class KnownRows:
    """The fingerprints of the states a cumulative feed holds in bronze, one scope at a time.

    Loaded lazily from the bronze files (one scope's fingerprints at a time, so memory
    follows the largest mission, not the feed) and extended as the run stages deliveries.
    """

    def __init__(
        self,
        settings: Settings,
        key: bytes,
        contract: Contract,
        scope_of_file: Callable[[str], str | None] | None = None,
    ) -> None:
        self.settings, self.key, self.contract, self.feed = settings, key, contract, contract.feed
        #: The scope a delivery's rows belong to, from its file name (IOM: the mission): the
        #: stored states of a scope are read from its own files, and the loader stages the
        #: files of a scope in one lane. None: any file may hold any scope.
        self.scope_of_file = scope_of_file
        self.scope = scope_of(contract)
        self.salt = typing_digest(contract)
        seed = hmac.new(key, b"row-fingerprint", hashlib.sha256).digest()
        self._seeds = (int.from_bytes(seed[:8], "big"), int.from_bytes(seed[8:16], "big"))
        self._known: dict[str, pl.Series] = {}
        #: The feed's recorded loads (sha256 -> file name); read from the registry when unset.
        self.loaded: dict[str, str] | None = None

    def fresh(self) -> KnownRows:
        """The same feed's stored states as bronze holds them, without what this run staged:
        for files loaded again after a rejection (same key, same scopes)."""
        return KnownRows(self.settings, self.key, self.contract, self.scope_of_file)

    def fingerprints(self, raw: pl.DataFrame, columns: list[str], scope: str) -> pl.DataFrame:
        """One fingerprint per raw row: its scope, its strings in contract order, the salt;
        as stored (`FINGERPRINT`, a string) and as looked up (`NUMBER`, see `as_numbers`)."""
        present = raw.select(
            pl.lit(scope).alias("_scope"),
            pl.lit(self.salt).alias("_salt"),
            *[
                pl.col(c) if c in raw.columns else pl.lit(None, dtype=pl.String).alias(c)
                for c in columns
            ],
        )
        first, second = (present.hash_rows(seed=s) for s in self._seeds)
        return pl.DataFrame({"a": first, "b": second}).select(
            pl.format("{}-{}", "a", "b").alias(FINGERPRINT), _number("a", "b").alias(NUMBER)
        )

    def known(self, scope: str) -> pl.Series:
        """Fingerprints already stored for the scope (bronze files, plus this run's), as
        128-bit integers (`as_numbers`)."""
        if scope not in self._known:
            self._known[scope] = as_numbers(self._stored(scope))
        return self._known[scope]

    def is_new(self, numbers: pl.Series, scope: str) -> pl.Series:
        """True for the rows whose fingerprint (`NUMBER`) the scope has not stored."""
        return ~numbers.is_in(self.known(scope).implode())

    def _stored(self, scope: str) -> pl.Series:
        """From the bronze files of recorded loads only: a load killed between moving its
        files and recording them is removed and loaded again by the rerun, so its states
        must not be referred to."""
        loaded = self.loaded
        if loaded is None:
            loaded = {
                r.sha256: r.file_name
                for r in read_registry(self.settings)
                if r.status == "loaded" and r.feed == self.feed
            }
        folder = self.settings.bronze(self.feed)
        files = [
            folder / f"{sha}.parquet"
            for sha, name in sorted(loaded.items())
            # Not every file of the feed: those of the scope, when file names say it.
            if self.scope_of_file is None or self.scope_of_file(name) == scope
        ]
        files = [p for p in files if p.exists()]
        empty = pl.Series(FINGERPRINT, [], dtype=pl.String)
        if not files:
            return empty
        con = duckdb.connect(":memory:")
        try:
            found = con.sql(
                f"select distinct {FINGERPRINT} from read_parquet($files, union_by_name = true) "
                f"where {self.scope} = $scope and {FINGERPRINT} is not null",
                params={"files": [str(p) for p in files], "scope": scope},
            ).pl()
        except duckdb.BinderException:  # bronze written before fingerprints existed
            return empty
        finally:
            con.close()
        return found[FINGERPRINT] if found.height else empty

    def remember(self, states: pl.DataFrame) -> None:
        """States a delivery of this run staged: later files of the run may refer to them.

        Not locked: the loader stages the files of one scope in one thread, in order. A
        delivery's states are distinct and were not known when it was parsed, so they are
        appended as a chunk: re-deduplicating the whole set after each export cost time in
        proportion to the mission's states, at every export."""
        if FINGERPRINT not in states.columns or states.is_empty():
            return
        for (scope,), part in states.group_by(self.scope):
            self._known[scope] = pl.concat(
                [self.known(scope), as_numbers(part[FINGERPRINT].unique())], rechunk=False
            )


def as_numbers(fingerprints: pl.Series) -> pl.Series:
    """The "<u64>-<u64>" fingerprints as one Int128 each, the same 128 bits: set membership
    on fixed-width numbers is about six times faster than on 40-byte strings, which made the
    lookup a sixth of a large mission's load. Bronze keeps the strings (its format is
    unchanged); the first half is read as signed so that the sum fits in 128 signed bits."""
    halves = fingerprints.str.split_exact("-", 1).struct.unnest()
    return halves.select(_number("field_0", "field_1").alias(NUMBER))[NUMBER]


def _number(high: str, low: str) -> pl.Expr:
    """Two 64-bit halves as one Int128 (the first read as signed, so that it fits)."""
    return pl.col(high).cast(pl.UInt64).reinterpret(signed=True).cast(pl.Int128) * pl.lit(
        1 << 64, dtype=pl.Int128
    ) + pl.col(low).cast(pl.UInt64).cast(pl.Int128)
