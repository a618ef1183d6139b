"""A rebuild after one feed's delivery builds what that feed reaches (orchestration/changes.py)
and publishes the same marts as a full rebuild of the same bronze."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg

from ingest.registry import read_registry
from tests.conftest import (
    FRONTEX_CSV,
    REFERENCE,
    published_marts,
    run_landing_sensors,
    temporary_home,
)

FIRST_UNTIL = "2019-06"


def _manifest(settings) -> dict:
    return json.loads((settings.published / "manifest.json").read_text())


def test_one_iom_export_rebuilds_what_it_reaches_and_equals_a_full_rebuild(
    tmp_path: Path, small_sample: Path
):
    from slc_samples.generate import replay

    from orchestration.assets.bronze import BRONZE_BY_FEED
    from orchestration.definitions import defs
    from orchestration.sensors import rebuild_sensor

    manifest = json.loads((small_sample / "manifest.json").read_text())
    later = next(
        small_sample / d["path"]
        for d in manifest["deliveries"]
        if d["feed"] == "iom" and d["delivered_on"][:7] > FIRST_UNTIL and "_ML_" in d["path"]
    )
    instance = dg.DagsterInstance.ephemeral()
    rebuild = defs.resolve_job_def("rebuild")
    partner_feeds = [BRONZE_BY_FEED[f] for f in ("iom", "ejom", "aecid")]
    with temporary_home(tmp_path / "warehouse") as settings:
        replay(small_sample, settings.home / "landing", until=FIRST_UNTIL, log=lambda *a: None)
        dg.materialize(partner_feeds, instance=instance, raise_on_error=False)
        shutil.copyfile(FRONTEX_CSV, settings.landing("frontex") / FRONTEX_CSV.name)
        for path in sorted((REFERENCE / "eutf_rsr").glob("*.csv")):
            shutil.copyfile(path, settings.landing("eutf_rsr") / path.name)
        run_landing_sensors(instance)
        assert rebuild.execute_in_process(instance=instance, raise_on_error=False).success
        first = _manifest(settings)
        assert first["registry_offset"] == len(read_registry(settings))
        assert first["rebuilt"] is None and first["dbt_code"]

        # One more IOM export, loaded by its ingest run.
        cursor = str(len(read_registry(settings)))
        shutil.copyfile(later, settings.landing("iom") / later.name)
        dg.materialize([BRONZE_BY_FEED["iom"]], instance=instance)
        tick = rebuild_sensor.evaluate_tick(
            dg.build_sensor_context(
                instance=instance, cursor=cursor, repository_def=defs.get_repository_def()
            )
        )
        (request,) = tick.run_requests
        assert request.tags["slc/changed_feeds"] == "iom"
        selected = {k.to_user_string() for k in request.asset_selection or []}
        assert "marts/fct_returns" in selected and "published/warehouse" in selected
        # Other feeds' staging, and what only they reach, are not rebuilt.
        others = ("stg_frontex", "stg_ejom", "stg_aecid", "stg_kobo", "stg_eutf_rsr")
        assert not {k for k in selected if any(o in k for o in others)}
        assert "marts/fct_irregular_crossings" not in selected
        changed = rebuild.execute_in_process(
            instance=instance,
            asset_selection=list(request.asset_selection or []),
            tags=request.tags,
            raise_on_error=False,
        )
        assert changed.success
        checked = {e.asset_check_key for e in changed.get_asset_check_evaluations()}
        gates = {k.asset_key.to_user_string() for k in checked if k.name == "gx_gate"}
        assert "marts/fct_returns" in gates and "marts/fct_irregular_crossings" not in gates
        incremental = published_marts(settings)
        second = _manifest(settings)
        assert second["registry_offset"] == len(read_registry(settings))
        assert second["rebuilt"] and "fct_irregular_crossings" not in second["rebuilt"]
        assert second["gates_from"]["fct_irregular_crossings"] == first["version"]
        assert second["gates_from"]["fct_returns"] == second["version"]
        assert (
            "fct_irregular_crossings" in second["linked"] and "fct_returns" not in second["linked"]
        )
        version = settings.published_marts.resolve()
        old = settings.published / "versions" / first["version"] / "marts"
        assert (version / "fct_irregular_crossings.parquet").samefile(
            old / "fct_irregular_crossings.parquet"
        )

        # The same bronze, rebuilt whole.
        full = rebuild.execute_in_process(
            instance=instance,
            run_config={"ops": {"slc_dbt_models": {"config": {"full_refresh": True}}}},
            raise_on_error=False,
        )
        assert full.success
        assert _manifest(settings)["rebuilt"] is None
        whole = published_marts(settings)
    assert incremental.keys() == whole.keys()
    differing = [name for name in whole if not incremental[name].equals(whole[name])]
    assert not differing, differing
    assert incremental["fct_returns"].height > 0
