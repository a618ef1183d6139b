"""Sensors: one per feed turns each new landed file into one ingest run; one more starts a
single rebuild when a burst of deliveries has been loaded.

A landing run is keyed by the file's sha256 and its drop time: the same drop never starts
two runs, and bytes dropped again are handled (recorded as a duplicate, archived) instead of
waiting forever. Whoever asks, the bronze asset never loads bytes already in bronze.
"""

from __future__ import annotations

import json
import time

import dagster as dg

from ingest import landing
from ingest.deliveries import max_delivery_bytes, pending_entries, sha256_file
from ingest.registry import read_registry
from ingest.settings import FEEDS, Settings
from orchestration.assets.bronze import BRONZE_BY_FEED
from orchestration.assets.dbt import dbt_graph
from orchestration.changes import (
    CHANGED_FEEDS_TAG,
    REGISTRY_UPTO_TAG,
    changes_since_publish,
    rebuild_selection,
)
from orchestration.jobs import INGEST_TAG, rebuild_job
from orchestration.runs import reap_dead_runs

#: A landed file that no run took within this time is stuck (its run failed): the rebuild
#: no longer waits for it.
STUCK_AFTER_S = 600
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def landing_sensor(
    feed: str, bronze_asset: dg.AssetsDefinition, job: dg.UnresolvedAssetJobDefinition
) -> dg.SensorDefinition:
    op_name = bronze_asset.node_def.name

    @dg.sensor(
        name=f"{feed}_landing",
        job=job,
        # The sensor daemon's own loop is five seconds: no sensor is evaluated more often.
        minimum_interval_seconds=5,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Watches landing/{feed}/ and requests one ingest run per new file.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        settings = Settings.from_env()
        settle = settings.landing_settle_seconds
        # The cursor remembers the digest of files still waiting, so a queued 150 MB file is
        # not hashed again on every tick.
        known: dict[str, list[str]] = json.loads(context.cursor) if context.cursor else {}
        waiting: dict[str, list[str]] = {}
        now = time.time()
        # Links, FIFOs, folders and bad names get a run too: it refuses them, with one line
        # in its log and in `slc status`; the sensor never opens them.
        ready, _ = landing.settled(pending_entries(settings, feed), settle, now)
        for entry in ready:
            path = entry.path
            stamp = f"{entry.size}:{entry.mtime_ns}"
            cached = known.get(path.name)
            if cached and cached[0] == stamp:
                digest = cached[1]
            elif entry.problem is not None:
                digest = f"refused-{entry.size}"
            elif entry.size > max_delivery_bytes():
                digest = f"size-{entry.size}"  # refused unread by the run; not worth hashing
            else:
                try:
                    digest = sha256_file(path)
                except OSError:
                    continue  # taken by a run, or swapped for a link: seen at the next tick
            waiting[path.name] = [stamp, digest]
            yield dg.RunRequest(
                run_key=f"{feed}:{digest}:{entry.mtime_ns}",
                run_config={"ops": {op_name: {"config": {"file": path.name}}}},
                tags={
                    "slc/feed": feed,
                    "slc/file": landing.shown(path.name)[:200],
                    "slc/sha256": digest,
                },
            )
        context.update_cursor(json.dumps(waiting))

    return _sensor


@dg.sensor(
    name="rebuild_after_deliveries",
    job=rebuild_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "One rebuild (dbt, gates, publish, reports) per burst of loaded deliveries: waits "
        "until no landed file is waiting and no ingest run is in flight."
    ),
)
def rebuild_sensor(context: dg.SensorEvaluationContext):
    # A run killed while it held the writer pool would block every later rebuild.
    reap_dead_runs(context.instance, context.log.warning)
    settings = Settings.from_env()
    records = read_registry(settings)
    done = int(context.cursor or 0)
    if done > len(records):  # the registry was reset (a new data root)
        done = 0
    new = [r for r in records[done:] if r.status == "loaded"]
    if not new:
        context.update_cursor(str(len(records)))
        return dg.SkipReason("no delivery loaded since the last rebuild")
    now = time.time()
    waiting = [
        entry
        for feed in FEEDS
        for entry in pending_entries(settings, feed)
        if now - entry.ctime < STUCK_AFTER_S
    ]
    loading = context.instance.get_runs_count(
        dg.RunsFilter(statuses=IN_FLIGHT, tags={INGEST_TAG: list(FEEDS)})
    )
    if waiting or loading:
        return dg.SkipReason(
            f"burst in progress: {len(waiting)} file(s) waiting, {loading} ingest run(s) "
            f"in flight, {len(new)} delivery(ies) loaded so far"
        )
    context.update_cursor(str(len(records)))
    changes = changes_since_publish(settings)
    tags = {"slc/deliveries_loaded": str(len(new)), REGISTRY_UPTO_TAG: str(changes.upto)}
    repository = context.repository_def
    if changes.feeds is None or repository is None:
        # Everything: the job's own selection.
        return dg.RunRequest(
            run_key=f"rebuild:{len(records)}", tags={**tags, CHANGED_FEEDS_TAG: "all"}
        )
    graph = repository.asset_graph
    selection = rebuild_selection(
        changes.feeds,
        graph,
        dbt_graph.model_key,
        BRONZE_BY_FEED,
        rebuild_job.selection.resolve(graph),
    )
    context.log.info(f"change-driven rebuild: {changes.why}; {len(selection)} assets")
    return dg.RunRequest(
        run_key=f"rebuild:{len(records)}",
        asset_selection=sorted(selection, key=lambda k: k.to_user_string()),
        tags={**tags, CHANGED_FEEDS_TAG: ",".join(sorted(changes.feeds))},
    )
