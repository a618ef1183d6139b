"""The dbt project as Dagster sees it, from a small manifest: keys, lineage, checks, and the
dbt selection of a subset (orchestration/dbt_graph.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pytest

from orchestration.dbt_graph import DbtGraph


def _node(kind: str, name: str, parents: Sequence[str] = (), **extra: Any) -> dict[str, Any]:
    return {
        "resource_type": kind,
        "name": name,
        "fqn": ["slc", name],
        "depends_on": {"nodes": list(parents)},
        "config": {"schema": extra.pop("schema", None), **extra.pop("config", {})},
        "raw_code": f"select 1 -- {name}",
        **extra,
    }


SOURCE = "source.slc.bronze_iom.iom_cases"
STG = "model.slc.stg_iom"
DIM = "model.slc.dim_country"
FCT = "model.slc.fct_returns"
EPHEMERAL = "model.slc.int_tmp"
MANIFEST: dict[str, Any] = {
    "metadata": {"adapter_type": "duckdb"},
    "sources": {
        SOURCE: {
            "resource_type": "source",
            "source_name": "bronze_iom",
            "name": "iom_cases",
            "config": {"meta": {"dagster": {"asset_key": ["bronze", "iom_cases"]}}},
        }
    },
    "nodes": {
        STG: _node("model", "stg_iom", [SOURCE], schema="staging"),
        EPHEMERAL: _node("model", "int_tmp", [STG], config={"materialized": "ephemeral"}),
        DIM: _node("seed", "dim_country", schema="marts"),
        FCT: _node("model", "fct_returns", [EPHEMERAL, DIM], schema="marts"),
        "test.slc.not_null_src": _node("test", "source_not_null_mission", [SOURCE]),
        "test.slc.unique_fct": _node("test", "unique_fct_returns_id", [FCT]),
        "test.slc.rel": _node(
            "test",
            "relationships_fct_country",
            [DIM, FCT],
            attached_node=FCT,
            config={"severity": "warn"},
        ),
        "test.slc.two_parents": _node("test", "fct_matches_stg", [STG, FCT]),
    },
}
GRAPH = DbtGraph(MANIFEST)
FCT_KEY = dg.AssetKey(["marts", "fct_returns"])
STG_KEY = dg.AssetKey(["staging", "stg_iom"])
BRONZE = dg.AssetKey(["bronze", "iom_cases"])


def test_keys_and_lineage_follow_the_schema_and_look_through_ephemeral_models():
    specs = {spec.key: spec for spec in GRAPH.asset_specs}
    assert set(specs) == {STG_KEY, FCT_KEY, dg.AssetKey(["marts", "dim_country"])}
    assert {d.asset_key for d in specs[FCT_KEY].deps} == {
        STG_KEY,
        dg.AssetKey(["marts", "dim_country"]),
    }
    assert {d.asset_key for d in specs[STG_KEY].deps} == {BRONZE}
    assert GRAPH.model_key("fct_returns") == FCT_KEY
    with pytest.raises(KeyError, match="no dbt model or seed named 'fct_nothing'"):
        GRAPH.model_key("fct_nothing")


def test_tests_attached_to_one_node_are_checks_blocking_at_error_severity():
    checks = {(c.asset_key, c.name): c for c in GRAPH.check_specs}
    assert set(checks) == {
        (BRONZE, "source_not_null_mission"),
        (FCT_KEY, "unique_fct_returns_id"),
        (FCT_KEY, "relationships_fct_country"),
    }
    assert checks[(FCT_KEY, "unique_fct_returns_id")].blocking
    assert not checks[(FCT_KEY, "relationships_fct_country")].blocking
    assert {
        d.asset_key for d in checks[(FCT_KEY, "relationships_fct_country")].additional_deps
    } == {dg.AssetKey(["marts", "dim_country"])}


def test_a_subset_with_all_its_checks_lets_dbt_pick_the_tests():
    fct_checks = {c.key for c in GRAPH.check_specs if c.asset_key == FCT_KEY}
    select, indirect = GRAPH.selection({FCT_KEY}, fct_checks)
    assert (select, indirect) == (["--select", "slc.fct_returns"], "eager")
    # A staging model brings the tests on the source it reads, named.
    stg = GRAPH.selection({STG_KEY}, set())
    assert stg == (["--select", "slc.stg_iom source_not_null_mission"], "eager")


def test_a_check_left_out_names_every_test_and_turns_indirect_selection_off():
    unique = dg.AssetCheckKey(FCT_KEY, "unique_fct_returns_id")
    select, indirect = GRAPH.selection({FCT_KEY}, {unique})
    assert (select, indirect) == (["--select", "slc.fct_returns unique_fct_returns_id"], "empty")
