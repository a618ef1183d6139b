"""`slc-samples`: the sample generator's commands (generated partner deliveries, their
replay into landing, and what they were calibrated to reproduce).

It is a separate distribution (samples/pyproject.toml), installed beside the runtime for
development and tests only: the runtime never imports it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.settings import REPO_ROOT, Settings


def cmd_generate(settings: Settings, args: argparse.Namespace) -> int:
    """Generate the partner deliveries (and copy the real feeds beside them)."""
    from slc_samples.generate import generate

    out = Path(args.out) if args.out else settings.samples
    if not settings.reference_dir.exists():
        print(
            f"missing reference data: {settings.reference_dir} (set SLC_REFERENCE_DIR)",
            file=sys.stderr,
        )
        return 2
    manifest = generate(out, args.scale, args.seed, settings.reference_dir)
    print(f"wrote {len(manifest['deliveries'])} deliveries to {out} in {manifest['seconds']} s")
    if args.replay:
        from slc_samples.generate import replay

        replay(out, settings.home / "landing", until=args.until)
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    """Drop generated deliveries into the landing folders, in the order partners sent them."""
    from slc_samples.generate import replay

    source = Path(args.sample_dir) if args.sample_dir else settings.samples
    replay(source, settings.home / "landing", until=args.until, pause=args.pause)
    return 0


def cmd_place(settings: Settings, args: argparse.Namespace) -> int:
    """Generate the sample deliveries once (seed and scale of the config), then land them all."""
    from slc_samples.generate import MANIFEST, generate, replay

    settings.ensure_dirs()
    if not (settings.samples / MANIFEST).exists():
        if not settings.reference_dir.exists():
            print(
                f"missing reference data: {settings.reference_dir} (set SLC_REFERENCE_DIR)",
                file=sys.stderr,
            )
            return 2
        manifest = generate(settings.samples, 1.0, _default_seed(), settings.reference_dir)
        print(f"generated {len(manifest['deliveries'])} deliveries in {manifest['seconds']} s")
    replay(settings.samples, settings.home / "landing")
    return 0


def _default_seed() -> int:
    from slc_samples.config import config

    return int(config()["seed"])


def cmd_calibration(settings: Settings, args: argparse.Namespace) -> int:
    """Measure every calibration target on a generated sample; --write-docs updates the doc."""
    from slc_samples.calibration import calibrate, markdown
    from slc_samples.generate import read_manifest

    sample = Path(args.sample_dir) if args.sample_dir else settings.samples
    manifest = read_manifest(sample)
    results = calibrate(sample, settings.reference_dir, manifest["scale"])
    for r in results:
        if r.status != "met":
            print(f"{r.status:<9} {r.target.id}: target {r.target.target:g}, generated {r.value}")
    misses = sum(r.status == "MISS" for r in results)
    print(
        f"{len(results)} targets: {sum(r.status == 'met' for r in results)} met, "
        f"{sum(r.status == 'conflict' for r in results)} explained conflicts, {misses} misses"
    )
    if args.write_docs:
        target = REPO_ROOT / "docs" / "calibration.md"
        target.write_text(markdown(results, manifest), encoding="utf-8")
        print(f"wrote {target}")
    return 1 if misses else 0


def cmd_linkage(settings: Settings, args: argparse.Namespace) -> int:
    """Precision and recall of the IOM-EJOM linkage of the published warehouse, against the
    truth the sample generator wrote."""
    from slc_samples.linkage import measure_linkage

    sample = Path(args.sample_dir) if args.sample_dir else settings.samples
    q = measure_linkage(settings.published_db, sample / "truth" / "ejom_iom_links.csv")
    for rule, (links, true) in q.by_rule.items():
        print(f"{rule:<22} {links:>6} links, {true:>6} true")
    print(
        f"precision {q.precision:.4f} ({q.true_links}/{q.links}), "
        f"recall {q.recall:.4f} ({q.found_truth}/{q.reachable_truth} true links in the warehouse)"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slc-samples", description="The SLC warehouse's sample partner deliveries."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {
        "generate": (
            cmd_generate,
            "generate partner deliveries (slc-samples generate --scale 1 --seed N --out DIR)",
        ),
        "replay": (cmd_replay, "drop generated deliveries into landing, month by month"),
        "place": (cmd_place, "generate the sample once, then land every delivery"),
        "calibration": (cmd_calibration, "measure the calibration targets on a generated sample"),
        "linkage": (cmd_linkage, "precision and recall of the IOM-EJOM linkage on a sample"),
    }
    for name, (func, help_text) in commands.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(func=func)
        if name == "generate":
            command.add_argument("--scale", type=float, default=1.0)
            command.add_argument("--seed", type=int, default=_default_seed())
            command.add_argument("--out", help="output folder (default: <SLC_HOME>/samples)")
            command.add_argument("--replay", action="store_true", help="then land the deliveries")
            command.add_argument("--until", help="with --replay: stop after this month (YYYY-MM)")
        if name == "replay":
            command.add_argument("sample_dir", nargs="?", help="default: <SLC_HOME>/samples")
            command.add_argument(
                "--until", help="stop after the deliveries of this month (YYYY-MM)"
            )
            command.add_argument(
                "--pause",
                type=float,
                default=0.0,
                help="seconds to wait between months (lets the sensors tick)",
            )
        if name in ("calibration", "linkage"):
            command.add_argument("sample_dir", nargs="?", help="default: <SLC_HOME>/samples")
        if name == "calibration":
            command.add_argument(
                "--write-docs",
                action="store_true",
                help="write docs/calibration.md from the measurement",
            )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(Settings.from_env(), args)


if __name__ == "__main__":
    raise SystemExit(main())
