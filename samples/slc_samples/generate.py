"""`slc-samples generate`: every partner delivery of 2017-05..2021-12, replayed into landing.

Deterministic for a seed. Memory stays bounded: IOM, the only large feed, is generated one
country mission at a time and written one monthly export at a time. The real public feeds
(EUTF results export, Frontex) are copied beside the generated ones, unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from slc_samples.aecid import write_aecid
from slc_samples.config import config, iom_volumes, month
from slc_samples.ejom import write_ejom
from slc_samples.iom import Delivery, mission_cases, write_mission
from slc_samples.surveys import write_surveys
from slc_samples.timeline import months
from slc_samples.writers import DirtLog

MANIFEST = "manifest.json"
DIRT_MANIFEST = "dirt_manifest.json"
#: Landing folder of each feed (the four EJOM forms share one).
LANDING = {
    "iom": "iom",
    "ejom_registration": "ejom",
    "ejom_training": "ejom",
    "ejom_kits": "ejom",
    "ejom_smes": "ejom",
    "aecid": "aecid",
    "kobo": "kobo",
    "eutf_rsr": "eutf_rsr",
    "frontex": "frontex",
}
REAL_FEEDS = [
    ("eutf_rsr", "eutf_rsr/EUTF_akvo_results.csv", "2021-12-17"),
    ("eutf_rsr", "eutf_rsr/EUTF_projects_akvo.csv", "2021-12-17"),
    ("eutf_rsr", "eutf_rsr/EUTF_akvo_recipients.csv", "2021-12-17"),
    ("eutf_rsr", "eutf_rsr/EUTF_akvo_orgs.csv", "2021-12-17"),
    ("frontex", "frontex/Frontex-Monthly_detections_of_IBC_20220204.csv", "2022-02-04"),
]


def h1_2020_returns(scale: float, volumes: dict[str, dict[str, int]]) -> dict[str, int]:
    """Returns of January-June 2020 by mission: fixed shares, the rest by mission size."""
    fixed = {k: v for k, v in config()["iom"]["returns_2020_h1"].items() if k != "others"}
    others = [c for c in volumes if c not in fixed]
    sizes = np.array([max(volumes[c]["3.5"], volumes[c]["3.5 bis"]) for c in others], dtype=float)
    from slc_samples.timeline import allocate

    shared = allocate(round(config()["iom"]["returns_2020_h1"]["others"] * scale), sizes)
    return {
        **{k: round(v * scale) for k, v in fixed.items()},
        **dict(zip(others, shared.tolist(), strict=True)),
    }


def _mission(job: tuple) -> tuple:
    """Generate and write one IOM mission (runs in a worker process)."""
    iso3, scale, volumes, h1, seed, out, month_list = job
    cases = mission_cases(iso3, scale, volumes, h1, seed)
    rng = np.random.default_rng([seed, 7, sum(map(ord, iso3))])
    dirt = DirtLog()
    written = write_mission(cases, out, rng, dirt, month_list)
    summary = f"{cases.returnees.height} returnees, {cases.transit.height} transit cases"
    return iso3, written, dirt.entries, summary, cases if iso3 == "MLI" else None


def generate(
    out: Path, scale: float, seed: int, reference_dir: Path, log=print, workers: int | None = None
) -> dict:
    """Write the sample deliveries under `out` and their manifest; returns the manifest."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    cfg = config()
    dirt = DirtLog()
    volumes = iom_volumes(reference_dir)
    h1 = h1_2020_returns(scale, volumes)
    month_list = months(month(cfg["period"]["start"]), month(cfg["period"]["end"]))
    deliveries: list[Delivery] = []
    mali = None
    # One IOM mission per worker process (the missions are independent); results are merged
    # in country order, so the output does not depend on which worker finished first.
    jobs = [
        (iso3, scale, volumes[iso3], h1[iso3], seed, out, month_list) for iso3 in cfg["countries"]
    ]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers or os.cpu_count() or 1, len(jobs)), mp_context=context
    ) as pool:
        for done, (iso3, written, entries, summary, cases) in enumerate(
            pool.map(_mission, jobs), start=1
        ):
            deliveries += written
            dirt.entries.extend(entries)
            log(f"{time.monotonic() - started:6.1f} s [{done}/{len(jobs)}] iom {iso3}: {summary}")
            if cases is not None:
                mali = cases
    assert mali is not None
    deliveries += write_ejom(out, scale, seed, mali.referred, mali.returnees, dirt)
    log(f"{time.monotonic() - started:6.1f} s ejom: 4 Akvo Flow forms written")
    deliveries += write_aecid(out, scale, seed, dirt)
    log(f"{time.monotonic() - started:6.1f} s aecid: workbooks written")
    deliveries += write_surveys(out, seed, dirt)
    log(f"{time.monotonic() - started:6.1f} s kobo: survey exports written")
    for feed, relative, delivered in REAL_FEEDS:
        source = reference_dir / relative
        target = out / LANDING[feed] / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        deliveries.append(
            Delivery(feed, target, source.stem, dt.date.fromisoformat(delivered), 0, "real")
        )
    dirt.write(out / DIRT_MANIFEST)
    manifest = {
        "seed": seed,
        "scale": scale,
        "period": cfg["period"],
        "seconds": round(time.monotonic() - started, 1),
        "dirt": dirt.counts(),
        "deliveries": [
            {
                **asdict(d),
                "path": str(d.path.relative_to(out)),
                "delivered_on": d.delivered_on.isoformat(),
            }
            for d in sorted(deliveries, key=lambda d: (d.delivered_on, str(d.path)))
        ],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def read_manifest(sample_dir: Path) -> dict:
    return json.loads((sample_dir / MANIFEST).read_text(encoding="utf-8"))


def replay(
    sample_dir: Path, landing_root: Path, until: str | None = None, pause: float = 0.0, log=print
) -> list[Path]:
    """Copy deliveries into landing/<feed>/ in the order partners sent them, month by month.

    `until` (YYYY-MM) stops after that month's deliveries; `pause` waits between months so
    the sensors see one month at a time.
    """
    manifest = read_manifest(sample_dir)
    copied: list[Path] = []
    current = None
    total = sum(1 for e in manifest["deliveries"] if not until or e["delivered_on"][:7] <= until)
    for entry in manifest["deliveries"]:
        delivered = entry["delivered_on"][:7]
        if until and delivered > until:
            break
        if current is not None and delivered != current and pause:
            log(f"{current}: landed, {len(copied)} of {total} deliveries so far")
            time.sleep(pause)
        current = delivered
        source = sample_dir / entry["path"]
        target = landing_root / LANDING[entry["feed"]] / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source, target)
            # The file lands with the date the partner sent it (noon UTC): reporting rates
            # judge a delivery's timeliness by its time in landing.
            sent = dt.datetime.fromisoformat(entry["delivered_on"]).replace(hour=12, tzinfo=dt.UTC)
            os.utime(target, (sent.timestamp(), sent.timestamp()))
            copied.append(target)
    log(f"replayed {len(copied)} deliveries into {landing_root}")
    return copied
