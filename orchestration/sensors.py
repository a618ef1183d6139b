"""One sensor per feed: a new file in its landing folder requests a refresh run.

The run key is the file's sha256, so the same bytes never start two runs; the bronze
asset also refuses bytes already in bronze, whoever asks.
"""

import dagster as dg

from ingest.deliveries import pending_files, sha256_of
from ingest.settings import Settings
from orchestration.jobs import refresh_job


def landing_sensor(feed: str, bronze_asset: dg.AssetsDefinition) -> dg.SensorDefinition:
    op_name = bronze_asset.node_def.name

    @dg.sensor(
        name=f"{feed}_landing",
        job=refresh_job,
        minimum_interval_seconds=10,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Watches landing/{feed}/ and requests one run per new file.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        settings = Settings.from_env()
        for path in pending_files(settings, feed):
            sha = sha256_of(path.read_bytes())
            yield dg.RunRequest(
                run_key=f"{feed}:{sha}",
                run_config={"ops": {op_name: {"config": {"file": path.name}}}},
                tags={"slc/feed": feed, "slc/file": path.name, "slc/sha256": sha},
            )

    return _sensor
