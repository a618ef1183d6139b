"""The dbt project on DuckDB and on Spark, side by side (issue 29; docs/scale-out.md).

For each scale, in a data root of its own under the work folder: every delivery is landed
and the `refresh` job loads and builds it (not timed), then the same seeds and models
(`dbt build --full-refresh --resource-type seed --resource-type model`, no data tests) are
built once on DuckDB (profiles.yml target `build`) and once on a local Spark (target
`spark`, orchestration/spark_build.py), over the same bronze, one after the other. The
marts of the two builds are compared (`mart_differences`). `make bench` writes the result
as the section "dbt on DuckDB and on Spark" of BENCHMARKS.md.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

HEADING = "## dbt on DuckDB and on Spark"
DBT_MODELS = ["build", "--full-refresh", "--resource-type", "seed", "--resource-type", "model"]


def bench_engines(scale: float, seed: int, work: Path) -> dict:
    """Build one scale's warehouse, then time the dbt models on each engine."""
    import dagster as dg

    from bench.run import deliveries, ensure_sample, job_run, land, use_home
    from orchestration.dbt_cli import DbtInvocation, invocation_folder
    from orchestration.spark_build import build_on_spark, mart_differences

    root = work / f"scale-{scale:g}"
    sample = ensure_sample(root, scale, seed)
    entries = deliveries(sample)
    home = root / "engines"
    shutil.rmtree(home, ignore_errors=True)
    settings = use_home(home)
    land(sample, home, entries)
    print(f"scale {scale:g}: loading every delivery (refresh, not timed)", flush=True)
    (refresh,) = job_run("refresh")(dg.DagsterInstance.ephemeral())
    bronze_bytes = sum(p.stat().st_size for p in (home / "bronze").rglob("*.parquet"))

    print(f"scale {scale:g}: dbt models on DuckDB", flush=True)
    started = time.perf_counter()
    folder = invocation_folder(settings.dbt_target)
    DbtInvocation(DBT_MODELS, settings, folder, echo=False).run()
    duckdb_seconds = time.perf_counter() - started

    print(f"scale {scale:g}: dbt models on Spark", flush=True)
    spark = build_on_spark(settings)
    differences = mart_differences(settings.build_db, spark)
    marts = sum(1 for p in (spark.warehouse / "marts.db").iterdir() if p.is_dir())
    return {
        "scale": scale,
        "deliveries": len(entries),
        "bronze_mb": bronze_bytes / 1e6,
        "refresh_ok": refresh.success,
        "duckdb": duckdb_seconds,
        "spark": spark.seconds,
        "marts": marts,
        "differences": differences,
    }


def section(results: list[dict], measured: str) -> str:
    """The BENCHMARKS.md section of these results."""
    lines = [
        HEADING,
        "",
        f"Measured {measured} by `make bench` (`bench/engines.py`). The same seeds and models "
        "(no data tests) over the same bronze, rebuilt whole: `dbt build --full-refresh` on "
        "DuckDB, then on a local Spark 4.0 (dbt-spark, `session` method, `local[2]`, 2 GB "
        "driver), one after the other. The Spark time includes starting its JVM (a few "
        "seconds, once per build).",
        "",
        "| scale | deliveries | bronze Parquet | DuckDB (s) | Spark (s) | Spark / DuckDB "
        "| marts equal |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        equal = (
            f"{r['marts'] - len(r['differences'])} of {r['marts']}"
            if r["refresh_ok"]
            else "refresh failed"
        )
        lines.append(
            f"| {r['scale']:g} | {r['deliveries']} | {r['bronze_mb']:,.0f} MB | "
            f"{r['duckdb']:.1f} | {r['spark']:.1f} | {r['spark'] / r['duckdb']:.1f}x | {equal} |"
        )
    for r in results:
        for table, what in r["differences"].items():
            lines.append(f"- scale {r['scale']:g}, `{table}` differs: {what}")
    return "\n".join(lines) + "\n"


def _split(out: Path) -> tuple[str, str | None, str]:
    """`out` as (what precedes the section, the section or None, what follows it). The
    hand-written analysis (bench/run.notes_start) always follows."""
    from bench.run import notes_start

    text = out.read_text(encoding="utf-8") if out.exists() else ""
    at = notes_start(text)
    measured, analysis = (text, "") if at is None else (text[:at], text[at:])
    if HEADING not in measured:
        return measured, None, analysis
    start = measured.index(HEADING)
    end = measured.find("\n## ", start + len(HEADING))
    section = measured[start:] if end < 0 else measured[start : end + 1]
    return measured[:start], section, ("" if end < 0 else measured[end + 1 :]) + analysis


def current_section(out: Path) -> str | None:
    """The section as `out` holds it (the last run that measured the engines), if any."""
    section = _split(out)[1]
    return section.rstrip() + "\n" if section else None


def write_section(out: Path, text: str) -> None:
    """Put `text` in place of the section of the same heading in `out`, or before the
    hand-written analysis, or at the end."""
    before, _, after = _split(out)
    updated = before + text + "\n" + after if after else before.rstrip() + "\n\n" + text
    out.write_text(updated, encoding="utf-8")
