"""`slc sql`: a read-only SQL shell on the published warehouse, for analysts.

No DuckDB CLI is installed with the project (the one on PyPI lags the Python package, and a
newer file format may not open in it); this shell is DuckDB's own engine, the one that
wrote the file. It opens the published copy read-only, so it never blocks a refresh, and
the pipeline never writes that file (it publishes a new version beside it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from ingest.settings import Settings

HISTORY = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "slc"
HELP = """\
Queries end with ';' and may span lines. Commands:
  .tables             the tables and views of the published warehouse
  .describe TABLE     its columns and types (or: describe TABLE;)
  .csv FILE           write the next query's result to FILE as CSV
  .parquet FILE       write the next query's result to FILE as Parquet
  .help               this text
  .quit               leave (or Ctrl-D)"""


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    if not database.exists():
        raise FileNotFoundError(
            f"{database}: nothing published yet (run `make demo` or `slc refresh` first)"
        )
    return duckdb.connect(str(database), read_only=True)


TABLES = (
    "select table_schema || '.' || table_name as name, table_type as kind "
    "from information_schema.tables order by table_schema, table_name"
)


def run(con: duckdb.DuckDBPyConnection, sql: str, out: Path | None = None, fmt: str = "") -> int:
    """Run one statement: print its result, or write it to `out` (csv or parquet)."""
    relation = con.sql(sql)
    if relation is None:  # a statement without a result (set, pragma)
        return 0
    if out is not None:
        (relation.write_csv if fmt == "csv" else relation.write_parquet)(str(out))
        rows = con.execute(f"select count(*) from {_reader(fmt)}(?)", [str(out)]).fetchone()
        print(f"wrote {rows[0] if rows else 0:,} rows to {out}")
        return 0
    relation.show(max_rows=Settings.from_env().sql_max_rows, max_width=200)
    return 0


def _reader(fmt: str) -> str:
    return "read_csv" if fmt == "csv" else "read_parquet"


def command(con: duckdb.DuckDBPyConnection, line: str) -> tuple[str, Path] | None:
    """A dot command; returns a pending export (format, file) for `.csv` and `.parquet`."""
    name, _, argument = line.strip().partition(" ")
    argument = argument.strip().rstrip(";")
    if name == ".tables":
        run(con, TABLES)
    elif name in (".describe", ".schema") and argument:
        run(con, f"describe {argument}")
    elif name in (".csv", ".parquet") and argument:
        return name[1:], Path(argument)
    elif name == ".help":
        print(HELP)
    else:
        print(f"unknown command {line.strip()!r}\n{HELP}", file=sys.stderr)
    return None


def interactive(con: duckdb.DuckDBPyConnection, database: Path) -> int:
    """Read statements until `.quit` or end of input, with a line history kept per user."""
    try:
        import readline
    except ImportError:  # pragma: no cover - not on Linux
        readline = None  # type: ignore[assignment]
    history = HISTORY / "sql_history"
    if readline is not None:
        history.parent.mkdir(parents=True, exist_ok=True)
        if history.exists():
            readline.read_history_file(history)
    tty = sys.stdin.isatty()
    if tty:
        print(f"{database} (read-only). .help for commands, .quit to leave.")
    buffer: list[str] = []
    pending: tuple[str, Path] | None = None
    try:
        while True:
            try:
                line = input("  ...> " if buffer else "slc> ") if tty else sys.stdin.readline()
            except EOFError:
                break
            if not tty and line == "":
                break
            if not buffer and line.strip() in (".quit", ".exit"):
                break
            if not buffer and line.strip().startswith("."):
                pending = command(con, line) or pending
                continue
            buffer.append(line)
            if line.rstrip().endswith(";"):
                sql, buffer = "\n".join(buffer), []
                try:
                    fmt, out = pending if pending else ("", None)
                    run(con, sql, out, fmt)
                except duckdb.Error as exc:
                    print(f"error: {exc}", file=sys.stderr)
                pending = None
    finally:
        if readline is not None:
            readline.set_history_length(1000)
            readline.write_history_file(history)
    return 0
