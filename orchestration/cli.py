"""`slc`: the operations a data engineer runs without the UI."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from ingest.deliveries import read_registry
from ingest.settings import REPO_ROOT, Settings

#: Sample landing data placed by `slc place-samples`: (feed, file under the reference dir).
SAMPLES = [
    ("frontex", Path("frontex") / "Frontex-Monthly_detections_of_IBC_20220204.csv"),
]


def _dagster(*args: str) -> int:
    """Run the Dagster CLI of this virtualenv against our code location and instance."""
    exe = Path(sys.executable).parent / "dagster"
    env = dict(os.environ)
    env.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    instance_yaml = Path(env["DAGSTER_HOME"]) / "dagster.yaml"
    if not instance_yaml.exists():
        shutil.copy(REPO_ROOT / "dagster.yaml", instance_yaml)
    return subprocess.call([str(exe), *args, "-m", "orchestration.definitions"], env=env)


def cmd_place_samples(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the real public feeds into their landing folders (copies; sources untouched)."""
    settings.ensure_dirs()
    for feed, relative in SAMPLES:
        source = settings.reference_dir / relative
        if not source.exists():
            print(f"missing sample: {source} (set SLC_REFERENCE_DIR)", file=sys.stderr)
            return 2
        target = settings.landing(feed) / source.name
        shutil.copyfile(source, target)
        print(f"placed {target}")
    return 0


def cmd_refresh(settings: Settings, args: argparse.Namespace) -> int:
    """Materialise the whole asset graph once through Dagster (recorded in DAGSTER_HOME)."""
    return _dagster("job", "execute", "-j", "refresh")


def cmd_ui(settings: Settings, args: argparse.Namespace) -> int:
    return _dagster("dev", "-h", args.host, "-p", str(args.port))


def cmd_paths(settings: Settings, args: argparse.Namespace) -> int:
    reports = sorted(settings.reports.glob("*/*.html"))
    print(f"data root:           {settings.home}")
    print(f"published warehouse: {settings.published_db}  (read-only DuckDB)")
    print(f"published marts:     {settings.published_marts}/*.parquet")
    for report in reports:
        print(f"report:              {report}")
    print(f"data docs:           {settings.data_docs / 'index.html'}")
    print("open the UI:         make ui   (http://127.0.0.1:3000)")
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from orchestration.publish import current_version, read_manifest, versions

    records = read_registry(settings)
    counts = Counter((r.feed, r.status) for r in records)
    print("deliveries:")
    if not records:
        print("  none yet")
    for (feed, status), n in sorted(counts.items()):
        print(f"  {feed:<10} {status:<10} {n}")
    for r in records[-10:]:
        rows = f"{r.rows_read} read = {r.rows_bronze} bronze + {r.rows_quarantined} quarantined"
        print(
            f"  {r.received_at[:19]} {r.feed} {r.file_name} {r.status}"
            + (f" — {r.error.splitlines()[0]}" if r.error else f" ({rows})")
        )
    current = current_version(settings)
    if current is None:
        print("published: nothing yet")
    else:
        manifest = read_manifest(current)
        print(
            f"published: version {manifest.version} at {manifest.published_at} "
            f"(run {manifest.run_id}, git {manifest.git_revision})"
        )
        print(json.dumps(manifest.row_counts, indent=2))
        print(f"versions kept: {len(versions(settings))} (slc rollback restores the previous)")
    return 0


def cmd_rollback(settings: Settings, args: argparse.Namespace) -> int:
    from orchestration.publish import rollback

    manifest = rollback(settings)
    print(f"published files now point at version {manifest.version} ({manifest.published_at})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slc", description="SLC programme warehouse: operations without the UI."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {
        "place-samples": (cmd_place_samples, "copy the shipped real feeds into landing folders"),
        "refresh": (cmd_refresh, "run the whole asset graph once through Dagster"),
        "status": (cmd_status, "deliveries handled, last publish and its row counts"),
        "rollback": (cmd_rollback, "point the published files back at the previous version"),
        "paths": (cmd_paths, "where the published warehouse, reports and data docs are"),
        "ui": (cmd_ui, "start the Dagster UI and daemon on 127.0.0.1"),
    }
    for name, (func, help_text) in commands.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=func)
        if name == "ui":
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=3000)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(Settings.from_env(), args)


if __name__ == "__main__":
    raise SystemExit(main())
