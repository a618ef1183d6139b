"""`make bench`: how the platform behaves as the work grows, written to BENCHMARKS.md.

For each sample scale, in a data root of its own under the work folder:

1. **Full refresh**: every delivery landed, then the `refresh` job in-process (ingest of
   every delivery, dbt build with tests, mart gates, publish, reports, dbt docs). Each
   phase's time comes from the run's step events; its peak memory from sampling the resident
   memory of this process and its children (dbt runs as one) every 0.1 s.
2. **Incremental refresh**: a second root loaded up to the month before the last; then the
   last month's deliveries of every feed land and go the daemon's way (one ingest run per
   file, as the landing sensors request them, then the `rebuild` the rebuild sensor
   requests: the assets downstream of the feeds that changed). Then the **one-file
   incremental**: one more IOM export, the same way, its fixed costs itemised.
3. **Latency**: with `dagster dev` (webserver and daemon) running on that root, one more
   delivery is dropped; the time until the published version changes.
4. **Floors**: the same transformations as one DuckDB SQL script (dbt's compiled SQL of
   every seed and model, in dependency order, one connection, no tests, no dbt, no
   Dagster) over the same bronze Parquet, next to the transform phase; and the read floor
   (every delivery read with Polars or fastexcel and written to Parquet, no logic) next to
   the ingest phase.
5. **Fixed overheads**: Python start with the code location imported, a full dbt parse,
   GX's import, and a Dagster run's start (run start to first step).
6. **dbt on DuckDB and on Spark** (`--engine-scales`, bench/engines.py): the same seeds and
   models built on each engine over the same bronze, and their marts compared.

Nothing here is asserted: the targets are in BENCHMARKS.md next to what was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The bench copies whole files (written aside, then renamed): no need to wait for them to
#: settle, except in the latency run, which measures the daemon's own way.
SETTLE = "SLC_LANDING_SETTLE_SECONDS"
os.environ.setdefault(SETTLE, "0")
VENV_BIN = Path(sys.executable).parent
PHASES = ("ingest", "transform", "gates", "publish", "reports", "docs")
#: Issue 28's targets: ratios within one run, and the wall times of before.
TARGETS = {
    "full_1": 60.0,
    "full_10": 300.0,
    "memory_10": 3 * 2**30,
    "incremental_ratio": 0.25,
    "floor_ratio": 1.3,
    "read_ratio": 1.5,
    "latency_1": 30.0,
    "latency_10": 60.0,
}


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    import dagster
    import dbt.version
    import duckdb
    import great_expectations
    import polars

    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{mem_kb / 2**20:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": f"dagster {dagster.__version__}, dbt-core {dbt.version.__version__}, "
        f"duckdb {duckdb.__version__}, polars {polars.__version__}, "
        f"great_expectations {great_expectations.__version__}",
    }


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class MemorySampler:
    """Samples the resident memory of this process tree in a thread."""

    def __init__(self, every: float = 0.1) -> None:
        self.every, self.samples = every, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), _tree_rss(os.getpid())))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: float, end: float) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


@dataclass
class Phase:
    seconds: float = 0.0
    peak_bytes: int = 0
    windows: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class JobTiming:
    wall: float
    #: Runs that succeeded, of all (an ingest run fails by design when it refuses a file).
    succeeded: int
    runs: int
    phases: dict[str, Phase]
    #: Wall time outside every step: Dagster's run start and end, between steps.
    outside_steps: float
    peak_bytes: int
    #: Seconds per step key, summed over runs (what dominates).
    steps: dict[str, float] = field(default_factory=dict)


def phase_of(step_key: str) -> str:
    from orchestration import keys

    if step_key.startswith(f"{keys.BRONZE}__"):
        return "ingest"
    if step_key == "slc_dbt_models":
        return "transform"
    if "gate" in step_key:
        return "gates"
    if step_key == keys.step(keys.PUBLISHED_WAREHOUSE):
        return "publish"
    if step_key in {keys.step(k) for k in keys.REPORTS}:
        return "reports"
    if step_key == keys.step(keys.DBT_DOCS):
        return "docs"
    return "other"


def timed_runs(run) -> JobTiming:
    """Run `run(instance)` (one or more in-process runs) and time it by phase."""
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    with MemorySampler() as sampler:
        start = time.time()
        results = run(instance)
        wall = time.time() - start
    phases = {name: Phase() for name in (*PHASES, "other")}
    steps: dict[str, float] = {}
    for result in results:
        started: dict[str, float] = {}
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type_value
            if kind == "STEP_START":
                started[event.step_key] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
                phase = phases[phase_of(event.step_key)]
                window = (started[event.step_key], entry.timestamp)
                phase.seconds += window[1] - window[0]
                phase.windows.append(window)
                steps[event.step_key] = steps.get(event.step_key, 0.0) + window[1] - window[0]
    for phase in phases.values():
        phase.peak_bytes = max((sampler.peak(*w) for w in phase.windows), default=0)
    return JobTiming(
        wall=wall,
        succeeded=sum(r.success for r in results),
        runs=len(results),
        phases=phases,
        outside_steps=wall - sum(steps.values()),
        peak_bytes=sampler.peak(start, start + wall),
        steps=steps,
    )


def use_home(home: Path):
    from ingest.settings import Settings

    os.environ["SLC_HOME"] = str(home)
    settings = Settings.from_env()
    settings.ensure_dirs()
    return settings


def deliveries(sample: Path) -> list[dict]:
    return json.loads((sample / "manifest.json").read_text(encoding="utf-8"))["deliveries"]


def land(sample: Path, home: Path, entries: list[dict]) -> None:
    from slc_samples.generate import LANDING

    for entry in entries:
        source = sample / entry["path"]
        target = home / "landing" / LANDING[entry["feed"]] / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, partial)
        partial.rename(target)


def sensor_runs(instance) -> list:
    """One tick of each landing sensor, then each requested ingest run: the daemon's way."""
    from orchestration.definitions import defs

    results = []
    for sensor in defs.sensors:
        if not sensor.name.endswith("_landing"):
            continue
        import dagster as dg

        tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        for request in tick.run_requests:
            job = defs.resolve_job_def(sensor.job_name)
            results.append(
                job.execute_in_process(
                    run_config=request.run_config,
                    instance=instance,
                    tags=request.tags,
                    raise_on_error=False,
                )
            )
    return results


def rebuild_runs(instance) -> list:
    """The rebuild the rebuild sensor requests after the ingest runs (the assets downstream
    of the feeds that changed, or everything when the published version says so)."""
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.sensors import rebuild_sensor

    tick = rebuild_sensor.evaluate_tick(
        dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    )
    job = defs.resolve_job_def("rebuild")
    return [
        job.execute_in_process(
            instance=instance,
            asset_selection=list(request.asset_selection) if request.asset_selection else None,
            tags=request.tags,
            raise_on_error=False,
        )
        for request in tick.run_requests
    ]


def job_run(name: str, run_config: dict | None = None):
    def run(instance) -> list:
        from orchestration.definitions import defs

        job = defs.resolve_job_def(name)
        result = job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False
        )
        return [result]

    return run


def floor_seconds(settings, work: Path) -> tuple[float, float, list[tuple[str, float]]]:
    """Compile the project (`--full-refresh`: incremental models compile as full builds;
    against a copy of the build database, which the KoBo staging's compile-time queries of
    the seeds need), then run every seed and model as one DuckDB script in an empty
    database: (compile s, run s, the slowest statements)."""
    import duckdb

    folder = work / "floor"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "compile").mkdir(parents=True)
    compile_db = folder / "compile" / "slc_build.duckdb"
    shutil.copyfile(settings.build_db, compile_db)
    db = folder / "slc_build.duckdb"  # the catalog name dbt's compiled SQL uses
    env = {**os.environ, **settings.dbt_env(), "SLC_BUILD_DB": str(compile_db)}
    project = REPO / "dbt_project"
    started = time.time()
    subprocess.run(
        [
            str(VENV_BIN / "dbt"),
            "compile",
            "--full-refresh",
            "--target-path",
            str(folder / "target"),
            "-q",
        ],
        cwd=project,
        env=env,
        check=True,
    )
    compiled = time.time() - started
    shutil.rmtree(folder / "compile")
    db.unlink(missing_ok=True)
    manifest = json.loads((folder / "target" / "manifest.json").read_text())
    nodes = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")}
    order: list[str] = []

    def visit(key: str) -> None:
        if key in order or key not in nodes:
            return
        for parent in nodes[key].get("depends_on", {}).get("nodes", []):
            visit(parent)
        order.append(key)

    for key in sorted(nodes):
        visit(key)
    statements = []
    for key in order:
        node = nodes[key]
        name = f'"{node["schema"]}"."{node["alias"]}"'
        schema = f'create schema if not exists "{node["schema"]}"'
        if node["resource_type"] == "seed":
            path = project / node["original_file_path"]
            body = f"select * from read_csv('{path}', header = true)"
            statements.append((key, f"{schema}; create or replace table {name} as {body}"))
        else:
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            sql = node["compiled_code"]
            statements.append((key, f"{schema}; create or replace {kind} {name} as {sql}"))
    (folder / "floor.sql").write_text(";\n\n".join(s for _, s in statements) + ";\n")
    con = duckdb.connect(str(db))
    timings = []
    try:
        started = time.time()
        for key, statement in statements:
            t = time.time()
            con.execute(statement)
            timings.append((key.split(".")[-1], time.time() - t))
        ran = time.time() - started
    finally:
        con.close()
    return compiled, ran, sorted(timings, key=lambda x: -x[1])[:5]


def read_floor_seconds(sample: Path, entries: list[dict], work: Path) -> float:
    """Every delivery read and written to Parquet with no logic: CSV with Polars (every
    column as text), each sheet of a workbook with fastexcel (calamine). What ingest cannot
    go below on this machine."""
    import fastexcel
    import polars as pl

    out = work / "read_floor"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.time()
    for n, entry in enumerate(entries):
        path = sample / entry["path"]
        if path.suffix.lower() == ".csv":
            frame = pl.read_csv(
                path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True
            )
            frame.write_parquet(out / f"{n}.parquet")
        else:
            workbook = fastexcel.read_excel(path)
            for i, _ in enumerate(workbook.sheet_names):
                sheet = workbook.load_sheet(i, header_row=None).to_polars()
                sheet.write_parquet(out / f"{n}-{i}.parquet")
    seconds = time.time() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def overheads(settings) -> dict[str, float]:
    """Fixed costs, each in a fresh process."""

    def seconds(args: list[str], **kw) -> float:
        started = time.time()
        subprocess.run(args, check=True, capture_output=True, **kw)
        return time.time() - started

    python = str(VENV_BIN / "python")
    env = {**os.environ, **settings.dbt_env()}
    return {
        "python start": seconds([python, "-c", "pass"]),
        "python start + code location import": seconds(
            [python, "-c", "import orchestration.definitions"], cwd=REPO, env=env
        ),
        "dbt parse (full)": seconds(
            [
                str(VENV_BIN / "dbt"),
                "parse",
                "--no-partial-parse",
                "--target-path",
                str(settings.home / "bench_parse"),
                "-q",
            ],
            cwd=REPO / "dbt_project",
            env=env,
        ),
        "GX import": seconds([python, "-c", "import great_expectations"]),
        "dbt start (dbt --version)": seconds([str(VENV_BIN / "dbt"), "--version"]),
        "report libraries import": seconds(
            [python, "-c", "import reports.mali, reports.regional"], cwd=REPO, env=env
        ),
    }


def latency(home: Path, sample: Path, entry: dict, work: Path) -> float | None:
    """Seconds from a delivery dropped in landing to a new published version, with the
    webserver and the daemon running (`dagster dev`); None after 10 minutes."""
    from ingest.settings import Settings
    from publishing.publish import current_version

    settings = Settings(home=home)
    dagster_home = work / "dagster_home_latency"
    shutil.rmtree(dagster_home, ignore_errors=True)
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "SLC_HOME": str(home)}
    env.pop(SETTLE, None)
    with socket.socket() as s:  # a free port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(work / "dagster_dev.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(VENV_BIN / "dagster"), "dev", "-m", "orchestration.definitions", "-p", str(port)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    return None
                time.sleep(1)
        _wait_until_idle(dagster_home)
        before = current_version(settings)
        started = time.time()
        land(sample, home, [entry])
        while time.time() - started < 600:
            now = current_version(settings)
            if now is not None and now != before:
                return time.time() - started
            time.sleep(0.5)
        return None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _wait_until_idle(dagster_home: Path, quiet_s: float = 25, limit_s: float = 600) -> None:
    """Until no run has been queued or running for `quiet_s` (more than a sensor interval).

    A new Dagster home starts the rebuild sensor with an empty cursor, so the daemon first
    rebuilds the deliveries already loaded: the delivery must not wait behind that run."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    busy = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    start = quiet_since = time.monotonic()
    while time.monotonic() - start < limit_s:
        if instance.get_runs_count(dg.RunsFilter(statuses=busy)):
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        time.sleep(1)


#: The feeds that deliver every month (KoBo comes by survey cycle; Frontex and the EUTF
#: export yearly).
MONTHLY_FEEDS = ("iom", "ejom", "aecid")


def latest_full_month(entries: list[dict]) -> str:
    """The latest month in which every monthly feed delivered (EJOM: any of its forms)."""
    feeds: dict[str, set[str]] = {}
    for e in entries:
        feeds.setdefault(e["delivered_on"][:7], set()).add(e["feed"].split("_")[0])
    return max(m for m, f in feeds.items() if set(MONTHLY_FEEDS) <= f)


def ensure_sample(root: Path, scale: float, seed: int) -> Path:
    """The sample of one scale under `root`, generated once and reused by later runs."""
    from slc_samples.generate import generate

    from ingest.settings import Settings

    sample = root / "sample"
    if not (sample / "manifest.json").exists():
        shutil.rmtree(sample, ignore_errors=True)
        print(f"scale {scale:g}: generating the sample", flush=True)
        generate(sample, scale, seed, Settings.from_env().reference_dir, log=lambda *a: None)
    return sample


def bench_scale(scale: float, seed: int, work: Path, with_latency: bool) -> dict:
    root = work / f"scale-{scale:g}"
    sample = ensure_sample(root, scale, seed)
    entries = deliveries(sample)
    sample_bytes = sum((sample / e["path"]).stat().st_size for e in entries)
    out: dict = {"scale": scale, "deliveries": len(entries), "sample_mb": sample_bytes / 1e6}

    # 1. Full refresh.
    full_home = root / "full"
    shutil.rmtree(full_home, ignore_errors=True)
    settings = use_home(full_home)
    land(sample, full_home, entries)
    print(f"scale {scale:g}: full refresh", flush=True)
    out["full"] = timed_runs(job_run("refresh"))

    # 4-5. Floor over the same bronze, and the fixed overheads.
    print(f"scale {scale:g}: floor", flush=True)
    out["floor_compile"], out["floor"], out["floor_top"] = floor_seconds(settings, root)
    out["read_floor"] = read_floor_seconds(sample, entries, root)
    out["overheads"] = overheads(settings)

    # 2. Incremental: every delivery but those of the latest month in which each monthly
    # feed delivers, then that month's.
    last = latest_full_month(entries)
    before = [e for e in entries if e["delivered_on"][:7] != last]
    newest = [e for e in entries if e["delivered_on"][:7] == last]
    iom = [e for e in newest if e["feed"] == "iom"]
    # The last IOM export for the one-file incremental, the one before for the latency.
    one_file = iom[-1] if iom else None
    held_back = iom[-2] if with_latency and len(iom) > 1 else None
    newest = [e for e in newest if e is not held_back and e is not one_file]
    inc_home = root / "incremental"
    shutil.rmtree(inc_home, ignore_errors=True)
    use_home(inc_home)
    land(sample, inc_home, before)
    print(f"scale {scale:g}: incremental (setup: every delivery but {last}'s)", flush=True)
    setup = timed_runs(job_run("refresh"))
    out["incremental_setup_ok"] = setup.succeeded == setup.runs
    land(sample, inc_home, newest)
    print(f"scale {scale:g}: incremental ({len(newest)} deliveries of {last})", flush=True)
    out["incremental"] = timed_runs(lambda i: [*sensor_runs(i), *rebuild_runs(i)])
    out["incremental_month"] = last
    out["incremental_files"] = sorted({e["feed"] for e in newest})
    out["incremental_count"] = len(newest)
    if one_file is not None:
        land(sample, inc_home, [one_file])
        print(f"scale {scale:g}: one-file incremental ({one_file['path']})", flush=True)
        out["one_file"] = timed_runs(lambda i: [*sensor_runs(i), *rebuild_runs(i)])
        out["one_file_path"] = one_file["path"]

    # 3. Latency, daemon running.
    if held_back is not None:
        print(f"scale {scale:g}: latency ({held_back['path']})", flush=True)
        out["latency"] = latency(inc_home, sample, held_back, root)
        out["latency_file"] = held_back["path"]
    return out


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "missed (not reached)"
    return "met" if value <= target else "missed"


def markdown(results: list[dict], info: dict[str, str], started: datetime, revision: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`); timings never go into the tests. "
        f"Measured {started:%Y-%m-%d %H:%M} UTC, revision `{revision}` (at the start).",
        "",
        "## Machine",
        "",
        *(f"- **{k}**: {v}" for k, v in info.items()),
        "",
    ]
    for r in results:
        full: JobTiming = r["full"]
        inc: JobTiming = r["incremental"]
        scale = r["scale"]
        transform = full.phases["transform"].seconds
        lines += [
            f"## Scale {scale:g}",
            "",
            f"{r['deliveries']} deliveries, {r['sample_mb']:,.0f} MB of partner files."
            + (
                f" Measured {r['measured_at']}, revision `{r['revision']}`."
                if r.get("revision")
                else ""
            ),
            "",
            "| phase | full refresh (s) | peak memory | incremental (s) | peak memory |",
            "|---|---:|---:|---:|---:|",
        ]
        for name in (*PHASES, "other"):
            f, i = full.phases[name], inc.phases[name]
            lines.append(
                f"| {name} | {f.seconds:.1f} | {_mb(f.peak_bytes)} | {i.seconds:.1f} | "
                f"{_mb(i.peak_bytes)} |"
            )
        lines += [
            f"| **wall** | **{full.wall:.1f}** | **{_mb(full.peak_bytes)}** | "
            f"**{inc.wall:.1f}** | **{_mb(inc.peak_bytes)}** |",
            "",
            f"- Runs that succeeded: full {full.succeeded} of {full.runs}, incremental "
            f"{inc.succeeded} of {inc.runs} (an ingest run that refuses a delivery fails by "
            f"design; setup succeeded: {r['incremental_setup_ok']}). Incremental: the "
            f"{r['incremental_count']} deliveries of {r['incremental_month']} "
            f"({', '.join(r['incremental_files'])}), the latest "
            "month in which IOM, EJOM and AECID all delivered, one ingest run per file as the "
            "landing sensors request them, then the `rebuild` the rebuild sensor requests "
            "(the assets downstream of the feeds that changed).",
            f"- Dagster's own time (wall outside every step: run start and end, between "
            f"steps): full {full.outside_steps:.1f} s, incremental {inc.outside_steps:.1f} s "
            f"over {inc.runs} runs.",
            f"- Floor: the same seeds and models as one DuckDB script, {r['floor']:.1f} s "
            f"(after a {r['floor_compile']:.1f} s `dbt compile`); slowest statements: "
            + ", ".join(f"{k} {s:.1f} s" for k, s in r["floor_top"])
            + f". Transform phase / floor: **{transform / r['floor']:.1f}x** (the dbt step "
            "also runs the data tests, which the floor does not).",
            "- Slowest steps of the full refresh: "
            + ", ".join(
                f"`{k}` {v:.1f} s" for k, v in sorted(full.steps.items(), key=lambda kv: -kv[1])[:6]
            )
            + ".",
            f"- Read floor: every delivery read with Polars or fastexcel and written to "
            f"Parquet, no logic, {r['read_floor']:.1f} s. Ingest phase / read floor: "
            f"**{full.phases['ingest'].seconds / r['read_floor']:.1f}x**.",
            "- Fixed overheads: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in r["overheads"].items())
            + ".",
        ]
        one: JobTiming | None = r.get("one_file")
        if one is not None:
            lines.append(
                f"- One-file incremental (`{r['one_file_path']}` dropped after the month, the "
                f"daemon's way): **{one.wall:.1f} s** wall, {one.wall / full.wall:.2f} of the "
                f"full refresh, {one.succeeded} of {one.runs} runs succeeded. Steps: "
                + ", ".join(
                    f"`{k}` {v:.1f} s" for k, v in sorted(one.steps.items(), key=lambda kv: -kv[1])
                )
                + f"; Dagster outside the steps {one.outside_steps:.1f} s. Fixed costs inside "
                "those steps are the overheads above: each run process imports the code "
                "location, the dbt step starts dbt (and parses what changed), the gates "
                "import GX, the reports import their drawing libraries."
            )
        if "latency" in r:
            value = r["latency"]
            lines.append(
                f"- Latency, daemon running (`dagster dev`), from `{r['latency_file']}` dropped "
                f"in landing to a new published version: "
                + ("not reached in 600 s" if value is None else f"**{value:.0f} s**")
                + "."
            )
        target_full = TARGETS.get(f"full_{scale:g}")
        verdicts = [
            f"full refresh {full.wall:.0f} s against {target_full:.0f} s: "
            f"{_verdict(full.wall, target_full)}"
            if target_full
            else None,
            f"incremental / full {inc.wall / full.wall:.2f} against "
            f"{TARGETS['incremental_ratio']:.2f}: "
            f"{_verdict(inc.wall / full.wall, TARGETS['incremental_ratio'])}",
            f"transform / floor {transform / r['floor']:.1f}x against "
            f"{TARGETS['floor_ratio']:.1f}x: "
            f"{_verdict(transform / r['floor'], TARGETS['floor_ratio'])}",
            f"ingest / read floor {full.phases['ingest'].seconds / r['read_floor']:.1f}x "
            f"against {TARGETS['read_ratio']:.1f}x: "
            f"{_verdict(full.phases['ingest'].seconds / r['read_floor'], TARGETS['read_ratio'])}",
        ]
        target_latency = TARGETS.get(f"latency_{scale:g}")
        if target_latency:
            verdicts.append(
                f"latency against {target_latency:.0f} s: "
                + (
                    _verdict(r["latency"], target_latency)
                    if "latency" in r
                    else "not measured (--no-latency)"
                )
            )
        if scale == 10:
            verdicts.append(
                f"peak memory {_mb(full.peak_bytes)} against {_mb(TARGETS['memory_10'])}: "
                f"{_verdict(full.peak_bytes, TARGETS['memory_10'])}"
            )
        lines += ["", "Targets: " + "; ".join(v for v in verdicts if v) + ".", ""]
    return "\n".join(lines) + "\n" + notes()


NOTES = Path(__file__).with_name("notes.md")


def notes() -> str:
    """The hand-written analysis (bench/notes.md) that follows the measurements."""
    return NOTES.read_text(encoding="utf-8").strip() + "\n" if NOTES.exists() else ""


def notes_start(text: str) -> int | None:
    """Where the hand-written analysis starts in BENCHMARKS.md's `text` (bench/notes.md's
    first line), or None."""
    first = notes().splitlines()[0] if notes() else None
    return text.index(first) if first and first in text else None


def renote(out: Path) -> None:
    """Replace the analysis at the end of `out` by the current bench/notes.md, keeping the
    measurements (the notes are written while, or after, the bench runs)."""
    text = out.read_text(encoding="utf-8")
    at = notes_start(text)
    if at is not None:
        text = text[:at].rstrip() + "\n\n"
    out.write_text(text + notes(), encoding="utf-8")


def _git_revision() -> str:
    """HEAD, with `+changes` when tracked files differ from it (taken when the bench starts:
    commits made while it runs are not what it measured). BENCHMARKS.md, the bench's own
    output, does not count."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}+changes" if dirty else head


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--seed", type=int, default=20210401)
    parser.add_argument("--work", type=Path, default=Path("/tmp/slc-bench"))
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument(
        "--reuse",
        type=float,
        nargs="*",
        default=[],
        help="scales whose measurements of an earlier run (<work>/scale-N/results.pickle) "
        "are written again instead of measured",
    )
    parser.add_argument(
        "--notes-only", action="store_true", help="only replace the analysis in --out"
    )
    parser.add_argument("--engine-scales", type=float, nargs="*", default=[0.1, 1.0])
    parser.add_argument(
        "--engines-only",
        action="store_true",
        help="only measure dbt on DuckDB and on Spark, and replace that section of --out",
    )
    args = parser.parse_args(argv)
    if args.notes_only:
        renote(args.out)
        return 0
    started = datetime.now(UTC)
    revision = _git_revision()
    info = machine()
    from bench.engines import current_section, section, write_section

    # A run that does not measure the engines keeps the section of the last one that did.
    kept = None if args.engine_scales else current_section(args.out)
    results = []
    for scale in [] if args.engines_only else args.scales:
        saved = args.work / f"scale-{scale:g}" / "results.pickle"
        if scale in args.reuse and saved.exists():  # an earlier run's measurements, as they were
            result = pickle.loads(saved.read_bytes())
        else:
            result = bench_scale(scale, args.seed, args.work, not args.no_latency)
            result["revision"], result["measured_at"] = revision, f"{started:%Y-%m-%d %H:%M} UTC"
            saved.write_bytes(pickle.dumps(result))
        results.append(result)
        args.out.write_text(markdown(results, info, started, revision), encoding="utf-8")
        if kept:
            write_section(args.out, kept)
        print(f"written {args.out}", flush=True)
    if args.engine_scales:
        from bench.engines import bench_engines

        engines = [bench_engines(s, args.seed, args.work) for s in args.engine_scales]
        measured = f"{started:%Y-%m-%d %H:%M} UTC, revision `{revision}`"
        write_section(args.out, section(engines, measured))
        print(f"written {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
