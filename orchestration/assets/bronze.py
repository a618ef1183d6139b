"""Bronze assets: each file dropped in a landing folder becomes a bronze Parquet delivery.

The GX bronze suite runs on each delivery before it is accepted, and its outcome is the
asset's blocking check: a rejected delivery stops dbt, publish and reports downstream.
"""

import html
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import dagster as dg
import polars as pl

from ingest import calendars, feed_registry, landing
from ingest.bronze_schema import prepare_sources
from ingest.contracts import load_contract
from ingest.cumulative import KnownRows
from ingest.deliveries import load_files, pending_entries
from ingest.delivery_types import ExportReader, ParsedDelivery, Parser
from ingest.export_lane import CumulativeFeed
from ingest.feeds import bronze_table_names
from ingest.limits import one_line
from ingest.parquet_io import is_disk_full
from ingest.pseudonymise import load_key, pii_columns, protect
from ingest.registry import read_registry, replacements, write_registry_table
from ingest.settings import Settings
from orchestration import keys
from orchestration.memory import release_memory
from orchestration.metadata import markdown_preview

GATE_CHECK = keys.BRONZE_GATE
CALENDAR_CHECK = keys.CALENDAR


class DeliveryConfig(dg.Config):
    """Which landed file to load (its name in the feed's landing folder, never a path);
    empty means every settled file waiting there."""

    file: str | None = None


def bronze_asset(
    feed: str,
    dataset: str,
    parse: Parser,
    scope_of_file: Callable[[str], str | None] | None = None,
    read_export: ExportReader | None = None,
) -> dg.AssetsDefinition:
    """A bronze asset for one feed: load landed files with `parse`, gate them with the feed's
    GX suites (expectations/suites/<feed>.py), accept those that pass.

    Feeds with personal data are pseudonymised before anything is written. A cumulative
    feed's exports are read with `read_export` and typed a lane at a time
    (ingest.export_lane); `scope_of_file` names the scope of a file's rows
    (ingest.cumulative.KnownRows).
    """
    key = keys.bronze(feed, dataset)
    contract = load_contract(feed)
    owners = [feed_registry.feed(feed).owner]
    docs = f"Feed contract and partner guide: `{feed_registry.feed(feed).docs}`."
    calendar = calendars.calendar_of(feed)
    gate_description = (
        f"Every delivery of the run passed the feed's contract and its GX suites "
        f"(expectations/suites/{feed}.py). A rejected delivery that a later revision of the "
        "same key replaced (a _v2) is a warning; any other rejection stops what follows."
    )
    # A feed's related tables (EJOM attendance, AECID participants, KoBo activities) are
    # written by the same run: one asset each, so dbt sources map one to one.
    related = {table: keys.bronze(feed, table) for table in bronze_table_names(feed) if table}

    @dg.multi_asset(
        name=key.to_python_identifier(),
        group_name="bronze",
        specs=[
            dg.AssetSpec(
                key,
                kinds={"python", "parquet"},
                tags={"feed": feed},
                owners=owners,
                description=f"Bronze Parquet of the {feed} feed, one file per delivery. "
                + contract.description
                + f" {docs}",
            ),
            *(
                dg.AssetSpec(
                    table_key,
                    kinds={"python", "parquet"},
                    tags={"feed": feed},
                    owners=owners,
                    description=f"Bronze Parquet of the {feed} feed's `{table}` table, "
                    f"written with the main table, one file per delivery. {docs}",
                )
                for table, table_key in related.items()
            ),
        ],
        check_specs=[
            dg.AssetCheckSpec(
                GATE_CHECK,
                asset=key,
                blocking=True,
                description=gate_description,
            ),
            *(
                [
                    dg.AssetCheckSpec(
                        CALENDAR_CHECK,
                        asset=key,
                        blocking=False,
                        description=f"Every delivery the feed's calendar makes due "
                        f"(ingest/feeds.yml: {calendar.every} per "
                        f"{' and '.join(calendar.series)}) is in the registry; a late or "
                        "missing one is a warning naming the series and periods.",
                    )
                ]
                if calendar is not None
                else []
            ),
        ],
    )
    def _bronze(context: dg.AssetExecutionContext, config: DeliveryConfig):
        settings = Settings.from_env()
        with disk_full_is_said(settings, feed):
            settings.ensure_dirs()
            prepare_sources(settings)
            landing_folder = settings.landing(feed)
            files = _files_to_load(context, settings, feed, config)
            from expectations.bronze import BronzeGate  # GX loads on first use

            gate = BronzeGate(feed, home=settings.home, data_docs=settings.data_docs)
            guard: Callable[[ParsedDelivery], ParsedDelivery] | None = None
            read: Parser | CumulativeFeed = parse
            if pii_columns(feed):  # the contracts are built here, not at import
                secret = load_key()  # a clear error, never a default key

                guard = partial(protect, feed=feed, key=secret)

                if contract.raw.get("cumulative"):  # store each distinct row once
                    if read_export is None:
                        raise ValueError(f"{feed}: a cumulative feed declares its export_reader")
                    known = KnownRows(settings, secret, contract, scope_of_file)
                    read = CumulativeFeed(known, read_export)

            records = load_files(settings, contract, files, read, gate, guard)
            for entry in records:
                if entry.status == "skipped":
                    context.log.info(entry.error or entry.file_name)
                    continue
                (context.log.error if entry.status == "rejected" else context.log.info)(
                    f"{entry.file_name}: {entry.status}"
                    + (
                        f" — {entry.error}"
                        if entry.error
                        else f" ({entry.rows_read} read = {entry.rows_bronze} bronze"
                        f" + {entry.rows_quarantined} quarantined)"
                    )
                )
                if entry.warnings:  # loaded, with something the data officer should know
                    context.log.warning(f"{entry.file_name}: {entry.warnings}")
            if gate.files:  # this run's pages; the index lists every result kept
                gate.render()
            # The registry table says which delivery of each key is current (dbt reads it).
            registry = pl.read_parquet(write_registry_table(settings))
            records = [r for r in records if r.status != "skipped"]
            rejected = [r for r in records if r.status == "rejected"]
            loaded = [r for r in records if r.status == "loaded"]
            superseded = registry.filter(
                pl.col("superseded_by").is_in([r.sha256 for r in loaded])
            ).height
            metadata: dict[str, dg.MetadataValue | int | str] = {
                "deliveries_loaded": len(loaded),
                "deliveries_duplicate": sum(r.status == "duplicate" for r in records),
                "deliveries_rejected": len(rejected),
                "deliveries_superseded": superseded,
                "rows_read": sum(r.rows_read for r in records),
                "rows_bronze": sum(r.rows_bronze for r in records),
                "rows_quarantined": sum(r.rows_quarantined for r in records),
                "source_files": dg.MetadataValue.json([r.file_name for r in records]),
                "landing_folder": dg.MetadataValue.path(str(landing_folder)),
            }
            warned = {r.file_name: r.warnings for r in loaded if r.warnings}
            if warned:  # columns set aside (bronze <feed>/extras): the registry says so too
                metadata["deliveries_warned"] = dg.MetadataValue.json(warned)
            newest = loaded[-1].bronze_file if loaded else None
            if newest:
                metadata["bronze_file"] = dg.MetadataValue.path(newest)
                metadata["preview"] = dg.MetadataValue.md(markdown_preview(pl.read_parquet(newest)))
            replaced = replacements(read_registry(settings))
            blocking = [r for r in rejected if not replaced[r.file_name]]
            check = dg.AssetCheckResult(
                check_name=GATE_CHECK,
                passed=not rejected,
                severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
                # The UI renders a check's description as Markdown: a partner's values in it
                # (the gate quotes unexpected ones) are shown as text, never as HTML.
                description=html.escape(
                    "\n".join(
                        (r.error or "")
                        + (
                            f" (replaced by {replaced[r.file_name]})"
                            if replaced[r.file_name]
                            else ""
                        )
                        for r in rejected
                    )
                    or "all deliveries accepted",
                    quote=False,
                ),
                metadata={
                    "rejected_files": dg.MetadataValue.json([r.file_name for r in rejected]),
                    "rejected_and_replaced": dg.MetadataValue.json(
                        {name: by for name, by in replaced.items() if by}
                    ),
                    "suites": dg.MetadataValue.json([c.suite for c in gate.checks]),
                    "data_docs": dg.MetadataValue.path(str(settings.data_docs / "index.html")),
                },
            )
        results = [check]
        if calendar is not None:
            results.append(calendar_check(feed, read_registry(settings)))
        yield dg.MaterializeResult(asset_key=key, metadata=metadata, check_results=results)
        for table, table_key in related.items():
            folder = settings.bronze(feed) / table
            yield dg.MaterializeResult(
                asset_key=table_key, metadata={"bronze_folder": dg.MetadataValue.path(str(folder))}
            )
        # The next steps of a refresh (dbt's DuckDB above all) run beside this process.
        del gate, read
        release_memory()

    return _bronze


def calendar_check(feed: str, records: list) -> dg.AssetCheckResult:
    """The feed's deliveries against its calendar (ingest.calendars), as a warning check."""
    loaded = [r.file_name for r in records if r.feed == feed and r.status == "loaded"]
    missing = calendars.missing_deliveries(feed, loaded)
    lines = [f"{series}: {', '.join(periods)}" for series, periods in missing.items()]
    return dg.AssetCheckResult(
        check_name=CALENDAR_CHECK,
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        description=one_line(
            "due and not delivered: " + "; ".join(lines) if lines else "every due delivery is in"
        ),
        metadata={
            "missing_deliveries": sum(len(p) for p in missing.values()),
            "series_behind": dg.MetadataValue.json(sorted(missing)),
        },
    )


@contextmanager
def disk_full_is_said(settings: Settings, feed: str) -> Iterator[None]:
    """A full disk stops the step with what it means: files not yet recorded stay in
    landing, bronze and the registry hold what was recorded (nothing is half-recorded)."""
    try:
        yield
    except (OSError, pl.exceptions.PolarsError) as exc:
        if not is_disk_full(exc):
            raise
        raise dg.Failure(
            description=f"disk full under {settings.home} while loading {feed} deliveries: the "
            "files not yet recorded stay in landing, bronze and the registry hold only what was "
            "recorded; free space and run again"
        ) from exc


def _files_to_load(
    context: dg.AssetExecutionContext, settings: Settings, feed: str, config: DeliveryConfig
) -> list[Path]:
    """The run config's file (a name in the landing folder, nothing else), or every entry
    waiting there that has settled: a copy still being written waits, as the sensor does."""
    folder = settings.landing(feed)
    if config.file:
        try:
            path = landing.config_file_name(config.file, folder)
        except ValueError as exc:
            raise dg.Failure(description=str(exc)) from None
        if not os.path.lexists(path):
            context.log.info(f"{landing.shown(path.name)}: no longer in {folder} (already handled)")
            return []
        return [path]
    ready, copying = landing.settled(
        pending_entries(settings, feed), settings.landing_settle_seconds, time.time()
    )
    for entry in copying:
        context.log.info(
            f"{landing.shown(entry.path.name)}: changed less than "
            f"{settings.landing_settle_seconds:g} s ago (still being copied?): left for next run"
        )
    return [entry.path for entry in ready]


#: Landing feed -> its bronze asset, one per feed of the registry (ingest/feeds.yml); the
#: sensors and the CLI use the same pairs.
BRONZE_BY_FEED = {
    name: bronze_asset(
        name,
        spec.asset,
        spec.parser(),
        scope_of_file=spec.scope_function(),
        read_export=spec.export_function(),
    )
    for name, spec in feed_registry.feeds().items()
}
bronze_assets = list(BRONZE_BY_FEED.values())


#: The registry tables every ingest run rewrites (dbt's sources `registry.deliveries` and
#: `registry.reporting_periods`): declared so the lineage from ingestion to staging shows
#: them; they are not materialised on their own.
def _registry_table(key: dg.AssetKey, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=key,
        group_name="bronze",
        owners=[feed_registry.team("data")],
        kinds={"parquet"},
        description=description,
    )


delivery_registry = _registry_table(
    keys.REGISTRY,
    "registry/deliveries.parquet: every delivery handled (loaded, duplicate, rejected) "
    "with its row counts, and which delivery of each key is current. Rewritten by every "
    "ingest run from the append-only log registry/deliveries.jsonl.",
)
reporting_periods = _registry_table(
    keys.REPORTING_PERIODS,
    "registry/reporting_periods.parquet: every period the delivery calendars of "
    "ingest/feeds.yml expect from each series, with its first landing, due date, "
    "timeliness, files loaded and refused and the refusal reasons. Rewritten with "
    "registry/deliveries.parquet by every ingest run (rules: ingest/reporting_rates.py).",
)
