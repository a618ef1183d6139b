"""`slc`: the operations a data engineer runs without the UI."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from ingest.registry import current_loads, read_registry, registry_size, replacements
from ingest.settings import REPO_ROOT, Settings


def _dagster_home(default: str = ".dagster_home", instance: str = "dagster.yaml") -> Path:
    """The Dagster instance's folder (DAGSTER_HOME, else `default` in the repository), with
    its dagster.yaml (a copy of `instance` when it has none)."""
    home = Path(os.environ.get("DAGSTER_HOME") or REPO_ROOT / default)
    home.mkdir(parents=True, exist_ok=True)
    instance_yaml = home / "dagster.yaml"
    if not instance_yaml.exists():
        shutil.copy(REPO_ROOT / instance, instance_yaml)
    return home


def _dagster(*args: str, quiet: bool = False) -> int:
    """Run the Dagster CLI of this virtualenv against our code location and instance;
    `quiet` drops Python's warnings (the libraries' deprecation notices)."""
    exe = Path(sys.executable).parent / "dagster"
    env = {**os.environ, "DAGSTER_HOME": str(_dagster_home())}
    if quiet:
        env.update(PYTHONWARNINGS="ignore", SLC_PROGRESS_ONLY="1")
    return subprocess.call([str(exe), *args, "-m", "orchestration.definitions"], env=env)


def _refresh(
    settings: Settings, run_config: dict | None = None, *args: str, verbose: bool = False
) -> int:
    """Run the refresh job: alone on the data root, after runs that died have released
    their pool slots (orchestration.runs); one line per step unless `verbose` (Dagster's
    console log, DEBUG events included), then a summary."""
    import dagster as dg

    from orchestration.progress import RUN_CONFIG
    from orchestration.runs import RefreshRunning, reap_dead_runs, refresh_lock

    settings.home.mkdir(parents=True, exist_ok=True)
    config = {**(run_config or {}), **({} if verbose else RUN_CONFIG)}
    try:
        with refresh_lock(settings.home), tempfile.TemporaryDirectory() as folder:
            with dg.DagsterInstance.from_config(str(_dagster_home())) as instance:
                reap_dead_runs(instance, lambda line: print(line, file=sys.stderr))
            since = registry_size(settings)
            path = Path(folder) / "run_config.yaml"
            path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
            code = _dagster(
                "job", "execute", "-j", "refresh", "-c", str(path), *args, quiet=not verbose
            )
    except RefreshRunning as exc:
        print(exc, file=sys.stderr)
        return 3
    print_summary(settings, since, code)
    return code


def print_summary(settings: Settings, since: int, code: int) -> None:
    """What a refresh did, from the registry, the gate report and the publish manifest."""
    from publishing.publish import current_version, read_manifest

    records = read_registry(settings, since)
    counts = Counter(r.status for r in records)
    print(
        f"deliveries: {counts['loaded']} loaded, {counts['duplicate']} duplicate, "
        f"{counts['rejected']} refused"
        + (" (`slc status` lists the refusals and why)" if counts["rejected"] else "")
    )
    if settings.gate_report.exists():
        report = json.loads(settings.gate_report.read_text(encoding="utf-8"))
        print(f"mart gates: {len(report['passed'])} passed, {len(report['failed'])} failed")
    version = current_version(settings)
    if version is not None:
        manifest = read_manifest(version)
        marts = sum(1 for name in manifest.row_counts if name.startswith("marts."))
        print(f"published: version {manifest.version}, {marts} marts ({settings.published_db})")
    for report_file in sorted(settings.reports.glob("*/*.html")):
        print(f"report: {report_file}")
    if code != 0:
        print(
            "the refresh FAILED: `slc status` says which delivery or gate stopped it; "
            "`slc refresh --verbose` shows Dagster's full log",
            file=sys.stderr,
        )


def cmd_keygen(settings: Settings, args: argparse.Namespace) -> int:
    """Create the pseudonymisation key file (owner-only) if it does not exist yet."""
    from ingest.pseudonymise import KEY_FILE_ENV, create_key_file

    target = os.environ.get(KEY_FILE_ENV)
    if not target:
        print(
            f"set {KEY_FILE_ENV} to where the key file lives (outside the repository)",
            file=sys.stderr,
        )
        return 2
    path = Path(target)
    existed = path.exists()
    create_key_file(path)
    print(f"{'kept' if existed else 'created'} pseudonymisation key {path}")
    return 0


def cmd_docs(settings: Settings, args: argparse.Namespace) -> int:
    """Regenerate the column tables of docs/feeds/*.md, the survey seeds (from the contracts),
    the report statements seed (from ingest/report_statements.yml) and the dbt column docs
    (ingest/column_docs.py: the docs blocks, and the columns of the built warehouse that
    the models' property files do not list yet)."""
    from ingest import column_docs, feed_docs, report_statements, survey_seeds

    written = feed_docs.write() + survey_seeds.write() + report_statements.write()
    if not settings.build_db.exists():
        print(f"no built warehouse at {settings.build_db}: only the docs blocks are written")
    written += column_docs.write(settings.build_db)
    for path in written:
        print(f"updated {path}")
    return 0


def cmd_refresh(settings: Settings, args: argparse.Namespace) -> int:
    """Materialise the whole asset graph once through Dagster (recorded in DAGSTER_HOME)."""
    return _refresh(settings, verbose=args.verbose)


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Refresh the graph and write the reports of `--month` (default: the closed month), as
    that month's partition of the report assets."""
    from reports.calendar import closed_month

    month = args.month or closed_month(datetime.now(UTC).date())
    tags = json.dumps({"month": month, "dagster/partition": month})
    code = _refresh(settings, None, "--tags", tags, verbose=args.verbose)
    if code == 0:
        print(f"reports for {month}: {settings.reports / month}")
    return code


def cmd_sql(settings: Settings, args: argparse.Namespace) -> int:
    """A read-only SQL shell on the published warehouse (`-c` runs one statement)."""
    import duckdb

    from publishing import sql_shell

    try:
        con = sql_shell.connect(settings.published_db)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    fmt = "csv" if args.csv else "parquet"
    out = Path(args.csv or args.parquet) if (args.csv or args.parquet) else None
    with con:
        if args.command_sql is None:
            return sql_shell.interactive(con, settings.published_db)
        try:
            return sql_shell.run(con, args.command_sql, out, fmt)
        except duckdb.Error as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1


def cmd_ui(settings: Settings, args: argparse.Namespace) -> int:
    return _dagster("dev", "-h", args.host, "-p", str(args.port))


#: The connection of a team's instance (dagster.postgres.yaml reads them).
TEAM_ENV = (
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_USER",
    "DAGSTER_PG_PASSWORD",
    "DAGSTER_PG_DB",
)


def _team_home() -> Path:
    """DAGSTER_HOME (default .dagster_home_team/) holding the PostgreSQL instance file; one
    that holds another instance's file is refused, never overwritten."""
    import yaml

    home = _dagster_home(".dagster_home_team", "dagster.postgres.yaml")
    instance_yaml = home / "dagster.yaml"
    storage = (yaml.safe_load(instance_yaml.read_text("utf-8")) or {}).get("storage") or {}
    if "postgres" not in storage:
        raise SystemExit(
            f"{instance_yaml} does not store the instance in PostgreSQL: point DAGSTER_HOME "
            "at another folder (make ui-team uses .dagster_home_team/)"
        )
    return home


def cmd_ui_team(settings: Settings, args: argparse.Namespace) -> int:
    """The daemon and the webserver as two processes sharing one PostgreSQL instance
    (dagster.postgres.yaml), as a team runs them as two services. When either stops, or on
    Ctrl-C or SIGTERM, the other is stopped too."""
    import signal
    import time

    missing = [name for name in TEAM_ENV if not os.environ.get(name)]
    if missing:
        print(f"slc ui-team: set {', '.join(missing)} (the PostgreSQL connection)", file=sys.stderr)
        return 2
    env = {**os.environ, "DAGSTER_HOME": str(_team_home())}
    bin_dir = Path(sys.executable).parent
    location = ["-m", "orchestration.definitions"]
    services = [
        [str(bin_dir / "dagster-daemon"), "run", *location],
        [str(bin_dir / "dagster-webserver"), "-h", args.host, "-p", str(args.port), *location],
    ]
    processes = [subprocess.Popen(command, env=env) for command in services]

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        code = next(p.returncode for p in processes if p.returncode is not None)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return code


def cmd_spark_build(settings: Settings, args: argparse.Namespace) -> int:
    from orchestration.dbt_cli import DbtError
    from orchestration.spark_build import build_on_spark, mart_differences

    try:
        build = build_on_spark(settings, echo=args.verbose)
    except DbtError as exc:
        print(f"the Spark build FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"built on Spark in {build.seconds:.0f} s: {build.warehouse}")
    if not args.compare:
        return 0
    differences = mart_differences(settings.published_db, build)
    for table, what in differences.items():
        print(f"{table}: {what}")
    print(f"{len(differences)} published mart(s) differ from Spark's")
    return 1 if differences else 0


def cmd_paths(settings: Settings, args: argparse.Namespace) -> int:
    reports = sorted(settings.reports.glob("*/*.html"))
    print(f"data root:           {settings.home}")
    print(f"published warehouse: {settings.published_db}  (read-only DuckDB)")
    print(f"published marts:     {settings.published_marts}/*.parquet")
    for report in reports:
        print(f"report:              {report}")
    print(f"data docs:           {settings.data_docs / 'index.html'}")
    print(f"dbt docs:            {settings.dbt_docs / 'static_index.html'}")
    print("open the UI:         make ui   (http://127.0.0.1:3000)")
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from publishing.publish import current_version, read_manifest, versions

    records = read_registry(settings)
    if args.rates:
        print_rates(records)
        return 0
    current = {r.sha256 for r in current_loads(records).values()}
    print("deliveries (rows read = rows in bronze + rows quarantined):")
    if not records:
        print("  none yet")
    else:
        print(
            f"  {'feed':<10} {'current':>8} {'superseded':>10} {'duplicate':>9} "
            f"{'rejected':>8} {'rows read':>11} {'bronze':>11} {'quarantined':>11}"
        )
    for feed in sorted({r.feed for r in records}):
        mine = [r for r in records if r.feed == feed]
        loaded = [r for r in mine if r.status == "loaded"]
        counts = Counter(r.status for r in mine)
        now = sum(r.sha256 in current for r in loaded)
        print(
            f"  {feed:<10} {now:>8} {len(loaded) - now:>10} {counts['duplicate']:>9} "
            f"{counts['rejected']:>8} {sum(r.rows_read for r in loaded):>11,} "
            f"{sum(r.rows_bronze for r in loaded):>11,} "
            f"{sum(r.rows_quarantined for r in loaded):>11,}"
        )
    if records:
        print("last deliveries:")
    for r in records[-10:]:
        rows = f"{r.rows_read} read = {r.rows_bronze} bronze + {r.rows_quarantined} quarantined"
        print(
            f"  {r.received_at[:19]} {r.feed} {r.file_name} {r.status}"
            + (f" — {r.error.splitlines()[0]}" if r.error else f" ({rows})")
        )
    version = current_version(settings)
    if version is None:
        print("published: nothing yet")
    else:
        manifest = read_manifest(version)
        print(
            f"published: version {manifest.version} at {manifest.published_at} "
            f"(run {manifest.run_id}, git {manifest.git_revision})"
        )
        print(json.dumps(manifest.row_counts, indent=2))
        print(f"versions kept: {len(versions(settings))} (slc rollback restores the previous)")
    print_refusals(settings, records)
    print_warnings(current, records)
    print_gate_report(settings)
    return 0


def print_rates(records: list) -> None:
    """Partner reporting rates per feed and series (ingest.reporting_rates, the rules of
    mart_reporting_rates), then each feed's total."""
    import polars as pl

    from ingest.reporting_rates import period_reports, summary

    rates = summary(period_reports(records))
    if rates.is_empty():
        print("reporting rates: no delivery on a calendar yet")
        return
    print("reporting rates (the calendars of ingest/feeds.yml; on time = landed by the due date):")
    head = (
        f"  {'feed':<6} {'series':<24} {'expected':>8} {'received':>8} {'on time':>7} "
        f"{'late':>5} {'missing':>7} {'corrected':>9} {'refused':>7}  rate  on time  reasons"
    )
    print(head)

    def pct(value: float | None) -> str:
        return f"{value:>5.1f}%" if value is not None else "     -"

    for row in rates.iter_rows(named=True):
        print(
            f"  {row['feed']:<6} {(row['series'] or '(unnamed files)'):<24} "
            f"{row['expected']:>8} {row['received']:>8} {row['on_time']:>7} {row['late']:>5} "
            f"{row['missing']:>7} {row['corrected']:>9} {row['refused']:>7} "
            f"{pct(row['reporting_rate'])} {pct(row['on_time_rate'])}  "
            f"{row['refusal_reasons'] or ''}"
        )
    print("per feed:")
    totals = rates.group_by("feed", maintain_order=True).agg(
        pl.col("expected", "received", "on_time", "late", "missing", "corrected", "refused").sum()
    )
    for row in totals.iter_rows(named=True):
        rate = 100 * row["received"] / row["expected"] if row["expected"] else None
        print(
            f"  {row['feed']:<6} {row['expected']} expected, {row['received']} received "
            f"({pct(rate).strip()}), {row['on_time']} on time, {row['late']} late, "
            f"{row['missing']} missing, {row['corrected']} corrected, {row['refused']} refused"
        )


def print_warnings(current: set[str], records: list) -> None:
    """What the readers said about current deliveries they accepted (columns kept aside)."""
    said = [r for r in records if r.warnings and r.sha256 in current]
    if not said:
        return
    print(f"current deliveries loaded with a warning: {len(said)}")
    for r in said[-10:]:
        print(f"  {r.feed} {r.file_name}: {r.warnings}")


def print_refusals(settings: Settings, records: list) -> None:
    """Refused deliveries: those a later revision replaced, and those still refused (their
    bronze gate or contract stops every run until a corrected file arrives)."""
    refused = [r for r in records if r.status == "rejected"]
    if not refused:
        return
    replaced = replacements(records)
    open_ = [r for r in refused if not replaced[r.file_name]]
    print(
        f"refused deliveries: {len(refused)}, of which {len(refused) - len(open_)} replaced "
        f"by a later revision and {len(open_)} not (see landing/<feed>/rejected/*.error.txt)"
    )
    for r in open_[-10:]:
        print(f"  REFUSED {r.feed} {r.file_name}")
        for line in (r.error or "").splitlines()[1:6] or [r.error or ""]:
            print(f"    - {line}")


def print_gate_report(settings: Settings) -> None:
    """The last run of the mart gates: how many passed, and why the failed ones failed."""
    if not settings.gate_report.exists():
        print("mart gates: not run yet")
        return
    report = json.loads(settings.gate_report.read_text(encoding="utf-8"))
    print(
        f"mart gates: {report['checked_at'][:19]} (run {report['run_id']}): "
        f"{len(report['passed'])} passed, {len(report['failed'])} failed"
    )
    for failed in report["failed"]:
        print(f"  FAILED {failed['mart']}")
        for failure in failed["failures"]:
            print(f"    - {failure}")
    if report["failed"]:
        print("  nothing was published by that run: the published files are the previous ones")


def parse_month(text: str) -> str:
    """'2021-12' -> '2021-12'; anything else is a usage error."""
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a month such as 2021-12") from None
    return text


def parse_age(text: str) -> float:
    """'90d', '12h', '30m' -> seconds."""
    units = {"d": 86400, "h": 3600, "m": 60}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: expected a duration such as 90d, 12h or 30m")
    return int(text[:-1]) * units[text[-1]]


def cmd_purge_raw(settings: Settings, args: argparse.Namespace) -> int:
    """Delete archived and rejected raw files older than the retention period."""
    from ingest.raw_files import purge_raw

    deleted = purge_raw(settings, args.older_than)
    for path in deleted:
        print(f"deleted {path}")
    print(f"{len(deleted)} raw file(s) older than {args.older_than / 86400:g} days deleted")
    return 0


def cmd_rollback(settings: Settings, args: argparse.Namespace) -> int:
    from publishing.publish import rollback

    manifest = rollback(settings)
    print(f"published files now point at version {manifest.version} ({manifest.published_at})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slc", description="SLC programme warehouse: operations without the UI."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {
        "docs": (cmd_docs, "regenerate the feed docs' tables and the survey seeds"),
        "keygen": (cmd_keygen, "create the pseudonymisation key file ($SLC_PSEUDONYM_KEY_FILE)"),
        "refresh": (cmd_refresh, "run the whole asset graph once (dbt --full-refresh)"),
        "report": (
            cmd_report,
            "refresh, then write the reports of --month YYYY-MM (default: the closed month)",
        ),
        "status": (cmd_status, "deliveries handled, last publish and its row counts"),
        "purge-raw": (
            cmd_purge_raw,
            "delete archived and rejected raw files older than --older-than (e.g. 90d)",
        ),
        "rollback": (cmd_rollback, "point the published files back at the previous version"),
        "paths": (cmd_paths, "where the published warehouse, reports and data docs are"),
        "sql": (cmd_sql, "read-only SQL on the published warehouse (slc sql -c 'select ...')"),
        "spark-build": (
            cmd_spark_build,
            "build the dbt project's seeds and models on a local Spark from the current "
            "bronze (docs/scale-out.md); --compare: against the published marts",
        ),
        "ui": (cmd_ui, "start the Dagster UI and daemon on 127.0.0.1"),
        "ui-team": (
            cmd_ui_team,
            "start the daemon and the webserver as two processes on a PostgreSQL instance "
            "(dagster.postgres.yaml; DAGSTER_PG_* name the server)",
        ),
    }
    for name, (func, help_text) in commands.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=func)
        if name == "purge-raw":
            command.add_argument(
                "--older-than", type=parse_age, required=True, help="e.g. 90d, 12h, 30m"
            )
        if name == "report":
            command.add_argument("--month", type=parse_month, help="YYYY-MM")
        if name == "status":
            command.add_argument(
                "--rates",
                action="store_true",
                help="partner reporting rates per feed and series (mart_reporting_rates)",
            )
        if name in ("refresh", "report"):
            command.add_argument(
                "--verbose", action="store_true", help="Dagster's full log (DEBUG events too)"
            )
        if name == "spark-build":
            command.add_argument("--verbose", action="store_true", help="dbt's log")
            command.add_argument(
                "--compare",
                action="store_true",
                help="compare every mart with the published one (equal when bronze has not "
                "changed since the last publish)",
            )
        if name == "sql":
            command.add_argument(
                "-c", dest="command_sql", metavar="SQL", help="run one statement and exit"
            )
            export = command.add_mutually_exclusive_group()
            export.add_argument("--csv", metavar="OUT", help="with -c: write the result as CSV")
            export.add_argument(
                "--parquet", metavar="OUT", help="with -c: write the result as Parquet"
            )
        if name in ("ui", "ui-team"):
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=3000)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(Settings.from_env(), args)


if __name__ == "__main__":
    raise SystemExit(main())
