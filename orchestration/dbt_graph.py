"""The dbt project as Dagster sees it, read from dbt's manifest.json: one asset per seed and
model, one asset check per data test, and the dbt selection of a subset of them.

Reading the manifest is plain JSON: the code location neither imports dbt nor dagster-dbt
(importing them costs more than the rest of the code location together, in every run
process, ingest runs included). The rules are dagster-dbt's, kept so the asset keys, checks
and lineage stay as they were:
- a model's key is its configured schema and its name (`marts/fct_returns`), a seed's too
  (`reference/countries`), a source's is `meta.dagster.asset_key` or source/table;
- a test attached to one node (generic tests name it, singular tests have one parent) is a
  check of that node's asset, blocking when its severity is `error`; a test on a source is a
  check of the source's asset (the bronze assets), run by the dbt step;
- a test with several parents and no attached node is not a check: dbt runs it, and its
  result is logged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg

#: dbt resources that are Dagster assets (ephemeral models are not: they build nothing).
ASSET_RESOURCE_TYPES = ("model", "seed", "snapshot")
#: dbt's statuses of a node that built (or kept) its relation.
BUILT_STATUSES = frozenset({"success", "no-op", "reused", "warn"})
#: The metadata key on each spec that names its dbt node.
UNIQUE_ID = "dbt/unique_id"


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return props.get("config", {}).get("meta") or props.get("meta") or {}


def node_asset_key(props: Mapping[str, Any]) -> dg.AssetKey:
    """`meta.dagster.asset_key` when set; else source/table for a source, schema/name for a
    node with a configured schema, its name otherwise."""
    configured = _meta(props).get("dagster", {}).get("asset_key")
    if configured:
        return dg.AssetKey(configured)
    if props["resource_type"] == "source":
        return dg.AssetKey([props["source_name"], props["name"]])
    if props.get("version"):
        return dg.AssetKey([props["alias"]])
    schema = props.get("config", {}).get("schema")
    return dg.AssetKey([schema, props["name"]] if schema else [props["name"]])


def _is_asset(props: Mapping[str, Any]) -> bool:
    return (
        props["resource_type"] in ASSET_RESOURCE_TYPES
        and props.get("config", {}).get("materialized") != "ephemeral"
    )


def _code_version(props: Mapping[str, Any]) -> str | None:
    """The SQL's sha1 (a seed's file checksum): as dagster-dbt versions them."""
    code = props.get("raw_code") or props.get("raw_sql")
    if code:
        return hashlib.sha1(code.encode("utf-8")).hexdigest()
    return props.get("checksum", {}).get("checksum")


def _column_schema(props: Mapping[str, Any]) -> dg.TableSchema | None:
    columns = props.get("columns") or {}
    if not columns:
        return None
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=column.get("data_type") or "?",
                description=column.get("description") or None,
            )
            for name, column in columns.items()
        ]
    )


@dataclass(frozen=True)
class DbtGraph:
    """The manifest's nodes as asset and check specs, and the way back from Dagster's
    selection to dbt's. `group` and `owners` say where each asset shows in the UI."""

    manifest: Mapping[str, Any]
    group: Callable[[Mapping[str, Any]], str | None] = field(default=lambda props: None)
    owners: Sequence[str] = ()

    @classmethod
    def load(cls, path: Path, **kwargs: Any) -> DbtGraph:
        return cls(json.loads(path.read_text(encoding="utf-8")), **kwargs)

    def props(self, unique_id: str) -> Mapping[str, Any]:
        return self.manifest["nodes"].get(unique_id) or self.manifest["sources"][unique_id]

    def key(self, unique_id: str) -> dg.AssetKey:
        return node_asset_key(self.props(unique_id))

    @cached_property
    def asset_ids(self) -> list[str]:
        """The seeds, models and snapshots, in the manifest's order."""
        return [uid for uid, props in self.manifest["nodes"].items() if _is_asset(props)]

    def _parents(self, unique_id: str) -> set[str]:
        """The node's parents that are assets or sources, through ephemeral models."""
        found: set[str] = set()
        queue = list(self.props(unique_id).get("depends_on", {}).get("nodes", []))
        seen: set[str] = set()
        while queue:
            parent = queue.pop()
            if parent in seen:
                continue
            seen.add(parent)
            props = self.props(parent)
            if props["resource_type"] == "source" or _is_asset(props):
                found.add(parent)
            elif props["resource_type"] == "model":  # ephemeral: look through it
                queue.extend(props.get("depends_on", {}).get("nodes", []))
        return found

    def attached(self, test_id: str) -> str | None:
        """The node a test checks: the one it is attached to, or its only parent."""
        props = self.manifest["nodes"][test_id]
        parents = props["depends_on"]["nodes"]
        if len(parents) == 1:
            return parents[0]
        return props.get("attached_node")

    @cached_property
    def tests(self) -> list[str]:
        return [uid for uid, p in self.manifest["nodes"].items() if p["resource_type"] == "test"]

    @cached_property
    def check_test_ids(self) -> dict[dg.AssetCheckKey, str]:
        """Each check's test, for the tests attached to an asset or a source."""
        checks: dict[dg.AssetCheckKey, str] = {}
        for test in self.tests:
            attached = self.attached(test)
            if attached is None:
                continue
            props = self.props(attached)
            if props["resource_type"] != "source" and not _is_asset(props):
                continue
            name = self.manifest["nodes"][test]["name"]
            checks[dg.AssetCheckKey(node_asset_key(props), name)] = test
        return checks

    @cached_property
    def check_key_by_test(self) -> dict[str, dg.AssetCheckKey]:
        return {test: key for key, test in self.check_test_ids.items()}

    @cached_property
    def asset_specs(self) -> list[dg.AssetSpec]:
        specs = []
        for uid in self.asset_ids:
            props = self.manifest["nodes"][uid]
            metadata: dict[str, Any] = {UNIQUE_ID: uid}
            schema = _column_schema(props)
            if schema is not None:
                metadata["dagster/column_schema"] = schema
            relation = props.get("relation_name")
            if relation:
                metadata["dagster/relation_identifier"] = relation.replace('"', "")
            specs.append(
                dg.AssetSpec(
                    key=node_asset_key(props),
                    deps=sorted((self.key(p) for p in self._parents(uid)), key=str),
                    description=props.get("description") or None,
                    group_name=self.group(props),
                    owners=list(self.owners),
                    kinds={"dbt", self.manifest["metadata"].get("adapter_type", "duckdb")},
                    code_version=_code_version(props),
                    metadata=metadata,
                    skippable=True,
                )
            )
        return specs

    @cached_property
    def check_specs(self) -> list[dg.AssetCheckSpec]:
        specs = []
        for key, test in self.check_test_ids.items():
            props = self.manifest["nodes"][test]
            others = {self.key(p) for p in self._parents(test)} - {key.asset_key}
            severity = (props.get("config", {}).get("severity") or "error").lower()
            specs.append(
                dg.AssetCheckSpec(
                    name=key.name,
                    asset=key.asset_key,
                    description=props.get("description") or None,
                    additional_deps=sorted(others, key=str),
                    blocking=severity == "error",
                    metadata={UNIQUE_ID: test},
                )
            )
        return specs

    def model_key(self, name: str) -> dg.AssetKey:
        """The asset key of the model (or seed) called `name`."""
        try:
            return self._key_by_name[name]
        except KeyError:
            raise KeyError(f"no dbt model or seed named {name!r} in the manifest") from None

    @cached_property
    def _key_by_name(self) -> dict[str, dg.AssetKey]:
        # The first node of a name, as the search it replaces found it.
        out: dict[str, dg.AssetKey] = {}
        for uid in self.asset_ids:
            out.setdefault(self.manifest["nodes"][uid]["name"], self.key(uid))
        return out

    @cached_property
    def _id_by_key(self) -> dict[dg.AssetKey, str]:
        return {self.key(uid): uid for uid in self.asset_ids}

    def source_checks_upstream(self, keys: Iterable[dg.AssetKey]) -> set[dg.AssetCheckKey]:
        """The checks on sources read by the assets `keys`: dbt runs them with those assets."""
        sources = {
            self.key(parent)
            for key in keys
            for parent in self._parents(self._id_by_key[key])
            if parent.startswith("source.")
        }
        return {check for check in self.check_test_ids if check.asset_key in sources}

    def selection(
        self,
        selected: AbstractSet[dg.AssetKey],
        selected_checks: AbstractSet[dg.AssetCheckKey],
    ) -> tuple[list[str], str]:
        """dbt's `--select` for a subset of the assets and checks, and its indirect selection.

        With every check of the selected assets selected, dbt selects their tests itself
        (eager: a test runs when any of its parents is built, so the relationship tests that
        touch a rebuilt model run too); checks picked without their asset are named. With a
        check of a selected asset left out, every test is named (indirect selection empty).
        """
        checks = set(selected_checks) | self.source_checks_upstream(selected)
        names = [".".join(self.manifest["nodes"][self._id_by_key[k]]["fqn"]) for k in selected]
        left_out = {k for k in self.check_test_ids if k.asset_key in selected} - checks
        if left_out:
            tests = checks
            indirect = "empty"
        else:
            tests = {k for k in checks if k.asset_key not in selected}
            indirect = "eager"
        names += [self.manifest["nodes"][self.check_test_ids[k]]["name"] for k in tests]
        return ["--select", " ".join(sorted(names))], indirect
