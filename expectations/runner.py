"""Validate an in-memory frame with a GX 1.x suite and refresh the Data Docs.

GX's SQL datasource fails on DuckDB, so every gate validates a frame that was read from
DuckDB or Parquet. dagster-ge only supports GX < 1.0: the Dagster asset checks call this
module instead. The GX project (stores, validation history) lives under `<SLC_HOME>/gx`,
the rendered Data Docs under `<SLC_HOME>/data_docs`.
"""

from __future__ import annotations

import fcntl
import html
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ingest.settings import Settings

SITE_NAME = "slc_data_docs"


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    detail: str
    #: With an index column: the unexpected rows, each a dict of the index column and the
    #: checked column(s) (GX's unexpected_index_list).
    rows: tuple[dict, ...] = ()

    def __str__(self) -> str:
        where = f" on column {self.column!r}" if self.column else ""
        return f"{self.expectation}{where}: {self.detail}"


@dataclass(frozen=True)
class ValidationOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure] = field(default_factory=list)
    data_docs_index: Path | None = None
    #: GX's key of the stored result (a ValidationResultIdentifier): `render_data_docs`
    #: renders the pages of the results it is given, not the whole site.
    result_id: Any = None
    #: The columns whose values were validated (all of them unless `columns` was given).
    columns_read: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: {self.evaluated} expectations passed"
        lines = [f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed"]
        lines += [f"  - {f}" for f in self.failures]
        return "\n".join(lines)


_IN_PROCESS = threading.Lock()


@contextmanager
def gx_lock(home: Path) -> Iterator[None]:
    """One writer of the GX project at a time, across runs and threads: GX's file stores
    (great_expectations.yml, validation results, the Data Docs index) are read, changed and
    written back whole, and two runs doing that at once lose or refuse each other's change."""
    path = home / "gx" / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _IN_PROCESS, path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def import_gx() -> None:
    """Import GX (seconds: pandas, scipy and its own modules) ahead of the first gate. A
    failure is left for the gate to meet and report: this only saves time."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with suppress(Exception):
        import great_expectations  # noqa: F401


def _context(home: Path, data_docs: Path) -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(home))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if SITE_NAME not in (context.get_site_names() or []):
        context.add_data_docs_site(
            site_name=SITE_NAME,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _failure(result: Any, index_column: str | None) -> Failure:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    detail = {
        k: v
        for k, v in (result.result or {}).items()
        if k
        in ("observed_value", "unexpected_count", "unexpected_percent", "partial_unexpected_list")
    }
    column = kwargs.get("column") or " / ".join(
        kwargs[k] for k in ("column_A", "column_B") if kwargs.get(k)
    )
    rows = tuple((result.result or {}).get("unexpected_index_list") or ()) if index_column else ()
    return Failure(expectation=config.type, column=column or None, detail=str(detail), rows=rows)


#: Expectation arguments whose columns are read value by value (`column_set` only names them).
_VALUE_ARGUMENTS = ("column", "column_A", "column_B", "column_list")
_NAME = re.compile(r"[A-Za-z_]\w*")


def columns_read(expectations: Iterable[Any], columns: Sequence[str]) -> list[str]:
    """The columns of a table (in its order) whose values `expectations` read: their column
    arguments and every column named in a row condition.

    A gate reads only these from the database; the others reach GX by name only (see
    `gx_frame`). A condition's names are matched against the table's columns, so a name
    that is both a column and a value (`event_type=="kit"` beside a `kit` column) costs a
    column read, never a missed one."""
    read: set[str] = set()
    for expectation in expectations:
        kwargs = expectation.configuration.kwargs
        for argument in _VALUE_ARGUMENTS:
            value = kwargs.get(argument)
            read.update([value] if isinstance(value, str) else value or ())
        if condition := kwargs.get("row_condition"):
            read.update(_NAME.findall(str(condition)))
    return [c for c in columns if c in read]


def gx_frame(frame: pl.DataFrame, columns: Sequence[str] | None = None, rows: int | None = None):
    """The pandas frame GX validates: `frame`'s columns with their values, then every other
    column of `columns` by name only, empty (one byte a row, where a string column as
    pandas objects costs tens): table-level expectations see the table's columns and `rows`,
    column expectations the values they read. Without `columns`, the frame as it is."""
    import numpy as np
    import pandas as pd

    rows = frame.height if rows is None else rows
    data = frame.to_pandas() if frame.width else pd.DataFrame(index=pd.RangeIndex(rows))
    if len(data) != rows:
        raise ValueError(f"the frame has {len(data)} rows, the table {rows}")
    absent = [c for c in columns or () if c not in data.columns]
    if not absent:
        return data
    empty = pd.Categorical.from_codes(np.full(rows, -1, np.int8), categories=[])
    data = pd.concat([data, pd.DataFrame(dict.fromkeys(absent, empty), index=data.index)], axis=1)
    return data[list(columns or ())]


def validate(
    frame: pl.DataFrame,
    suite_name: str,
    expectations: Sequence[Any],
    *,
    home: Path,
    data_docs: Path,
    render_docs: bool = True,
    index_column: str | None = None,
    columns: Sequence[str] | None = None,
    rows: int | None = None,
) -> ValidationOutcome:
    """Run `expectations` (GX expectation objects) on `frame`, record and render the result.

    A step that validates many frames passes render_docs=False and calls `render_data_docs`
    once at the end (rendering the site is most of a small validation's time). With
    `index_column`, each failure lists its unexpected rows by that column's values. With
    `columns` and `rows`, `frame` holds only the columns the expectations read
    (`columns_read`) and GX sees the others by name (`gx_frame`)."""
    with gx_lock(home):
        return _validate(
            frame,
            suite_name,
            expectations,
            home,
            data_docs,
            render_docs,
            index_column,
            columns,
            rows,
        )


def _validate(
    frame: pl.DataFrame,
    suite_name: str,
    expectations: Sequence[Any],
    home: Path,
    data_docs: Path,
    render_docs: bool,
    index_column: str | None,
    columns: Sequence[str] | None,
    rows: int | None,
) -> ValidationOutcome:
    import great_expectations as gx

    context = _context(home, data_docs)
    source = context.data_sources.add_or_update_pandas(name="frames")
    try:
        asset = source.get_asset(suite_name)
    except LookupError:
        asset = source.add_dataframe_asset(name=suite_name)
    batch = next(iter(asset.batch_definitions), None) or asset.add_batch_definition_whole_dataframe(
        "whole_frame"
    )
    suite = gx.ExpectationSuite(name=suite_name, expectations=[e.copy() for e in expectations])
    suite = context.suites.add_or_update(suite)
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite_name,
            validation_definitions=[validation],
            # The pages are rendered below, from the result with its values escaped.
            actions=[],
            result_format=(
                {
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": [index_column],
                    "return_unexpected_index_query": False,
                }
                if index_column
                else {"result_format": "SUMMARY"}
            ),
        )
    )
    run = checkpoint.run(batch_parameters={"dataframe": gx_frame(frame, columns, rows)})
    ((result_id, result),) = run.run_results.items()
    failures = [_failure(r, index_column) for r in result.results if not r.success]
    escape_stored_result(context, result_id)
    if render_docs:
        context.build_data_docs(
            site_names=[SITE_NAME],
            resource_identifiers=[result_id, result_id.expectation_suite_identifier],
        )
    return ValidationOutcome(
        suite=suite_name,
        success=bool(result.success),
        evaluated=len(result.results),
        failures=failures,
        data_docs_index=data_docs / "index.html",
        result_id=result_id,
        columns_read=tuple(frame.columns),
    )


def escaped(value: Any) -> Any:
    """`value` with every string in it HTML-escaped (lists, dicts and tuples walked)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {k: escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(escaped(v) for v in value)
    return value


def escape_stored_result(context: Any, result_id: Any) -> None:
    """Escape the data values of a stored validation result before any page shows them.

    GX's Data Docs write the unexpected values of a result into HTML unescaped: a delivery
    with `<script>` in a gated column would run it in the browser of whoever opens the
    page. Only the pages read the store (`Failure`s come from the run's own result), so
    the stored copy keeps what a person should see: the values as text."""
    store = context.validation_results_store
    stored = store.get(result_id)
    for item in stored.results:
        if item.result:
            item.result = escaped(dict(item.result))
        if item.exception_info:
            item.exception_info = escaped(item.exception_info)
    store.set(result_id, stored)


def prune_results(*, home: Path, data_docs: Path, keep: int | None = None) -> list[Path]:
    """Drop all but the `keep` newest validation results of each suite, and their pages.

    GX stores a result as `validations/<suite>/<run name>/<run time>/<batch>.json`; run
    times sort as text. Returns the removed result folders."""
    import shutil

    # The site renders every stored result: without a bound (Settings.gx_keep_results) each
    # run would make the next one's rendering slower.
    keep = Settings.from_env().gx_keep_results if keep is None else keep
    store = home / "gx" / "uncommitted" / "validations"
    removed: list[Path] = []
    if not store.exists():
        return removed
    for suite in (p for p in store.iterdir() if p.is_dir()):
        runs = sorted(
            (t for name in suite.iterdir() if name.is_dir() for t in name.iterdir() if t.is_dir()),
            key=lambda t: t.name,
        )
        for folder in runs[: max(0, len(runs) - keep)]:
            page = data_docs / "validations" / folder.relative_to(store)
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(page, ignore_errors=True)
            removed.append(folder)
    return removed


def render_data_docs(
    *, home: Path, data_docs: Path, outcomes: Sequence[ValidationOutcome] | None = None
) -> Path:
    """Render the Data Docs: the pages of `outcomes` (their results and suites) and the
    index, or with no outcomes the whole site, from the results kept (`prune_results`).

    A whole site costs time in proportion to the results stored; a run's own pages cost
    the same whatever the history."""
    ids = [o.result_id for o in outcomes or () if o.result_id is not None]
    if outcomes is not None and not ids:
        return data_docs / "index.html"  # nothing new to show
    suites = {i.expectation_suite_identifier for i in ids}
    with gx_lock(home):
        prune_results(home=home, data_docs=data_docs)
        _context(home, data_docs).build_data_docs(
            site_names=[SITE_NAME], resource_identifiers=[*ids, *suites] if ids else None
        )
    return data_docs / "index.html"
