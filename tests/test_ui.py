"""The Dagster UI for real: the webserver's GraphQL API and the pages, in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest.settings import FEEDS
from tests.browser import render
from tests.conftest import DAGSTER_YAML

pytestmark = pytest.mark.slow

EXPECTED_ASSETS = {
    "bronze/frontex_detections",
    "staging/stg_frontex__detections",
    "marts/fct_irregular_crossings",
    "marts/mart_irregular_crossings_yearly",
    "marts/dim_country",
    "published/warehouse",
    "reports/mali_report",
    "reports/regional_report",
}

QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation {
            repositories {
              name
              assetNodes {
                assetKey { path }
                groupName
                description
                owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
                assetChecksOrError { __typename ... on AssetChecks { checks { name blocking } } }
              }
              sensors { name sensorState { status } }
              schedules { name cronSchedule executionTimezone }
              jobs { name }
            }
          }
        }
      }
    }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@contextmanager
def _webserver(dagster_home: Path, slc_home: Path):
    """The webserver on an instance and a data root, until the block ends."""
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "SLC_HOME": str(slc_home)}
    exe = Path(sys.executable).parent / "dagster-webserver"
    log = open(dagster_home / "webserver.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(exe), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((dagster_home / "webserver.log").read_text()[-3000:]) from None
            time.sleep(1)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def webserver(published_home: Path, tmp_path_factory: pytest.TempPathFactory):
    dagster_home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(DAGSTER_YAML, dagster_home / "dagster.yaml")
    with _webserver(dagster_home, published_home) as port:
        yield port


def test_code_location_loads_every_definition(webserver: int):
    data = graphql(webserver, QUERY)
    assert "errors" not in data, data.get("errors")
    (entry,) = data["data"]["workspaceOrError"]["locationEntries"]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    (repo,) = location["repositories"]
    nodes = {"/".join(n["assetKey"]["path"]): n for n in repo["assetNodes"]}
    assert set(nodes) >= EXPECTED_ASSETS
    assert all(n["description"] for n in nodes.values()), "every asset has a description"
    # Who to call: the partner's team for its bronze assets, the data and M&E teams after.
    owners = {
        key: {o.get("team") or o.get("email") for o in n["owners"]} for key, n in nodes.items()
    }
    assert all(owners.values()), [k for k, o in owners.items() if not o]
    assert owners["bronze/iom_cases"] == {"iom-data"}
    assert owners["marts/dim_country"] == {"slc-data"}
    assert owners["reports/mali_report"] == {"slc-m-and-e"}
    assert "docs/feeds/iom.md" in nodes["bronze/iom_cases"]["description"]
    checks = {
        f"{key}:{c['name']}": c["blocking"]
        for key, n in nodes.items()
        for c in n["assetChecksOrError"].get("checks", [])
    }
    assert checks["bronze/frontex_detections:bronze_gate"] is True
    assert checks["marts/mart_irregular_crossings_yearly:gx_gate"] is True
    assert (
        "staging/stg_frontex__detections:not_null_stg_frontex__detections_nationality_iso3"
        in checks
    )
    # dbt's tests on the bronze sources are checks of the bronze assets.
    assert "bronze/iom_cases:source_not_null_bronze_iom_iom_cases_mission" in checks
    # Each feed with a delivery calendar has its freshness check, a warning.
    for feed in ("iom_cases", "ejom_forms", "aecid_activities", "kobo_surveys"):
        assert checks[f"bronze/{feed}:delivered_on_calendar"] is False
    assert {s["name"] for s in repo["sensors"]} == {
        *(f"{feed}_landing" for feed in FEEDS),
        "rebuild_after_deliveries",
    }
    (schedule,) = repo["schedules"]
    assert (schedule["cronSchedule"], schedule["executionTimezone"]) == (
        "0 6 5 * *",
        "Africa/Bamako",
    )
    assert {"refresh", "rebuild", *(f"ingest_{feed}" for feed in FEEDS)} <= {
        j["name"] for j in repo["jobs"]
    }


def test_asset_graph_page_renders_without_error(webserver: int, tmp_path: Path):
    dom, console_errors = render(
        f"http://127.0.0.1:{webserver}/asset-groups", tmp_path / "asset_graph.png", wait_ms=20000
    )
    for group in ("bronze", "staging", "marts", "published", "reports", "reference"):
        assert f">{group}<" in dom, f"group {group} missing from the lineage page"
    for marker in ("Something went wrong", "Unexpected Application Error", "PythonError"):
        assert marker not in dom
    assert not console_errors, console_errors


def test_report_renders_its_chart_in_a_browser(published_home: Path, tmp_path: Path):
    """With the real feeds only (no partner delivery yet) the Mali report still renders:
    Figure 1 is drawn from Frontex, and each survey figure says it has no data."""
    (report,) = (published_home / "reports").glob("*/rapport_mali.fr.html")
    dom, console_errors = render(report.as_uri(), tmp_path / "report.png", wait_ms=3000)
    assert 'id="figure-1"' in dom
    figure = dom.split('id="figure-1"', 1)[1].split("</figure>", 1)[0]
    assert figure.count("<path") > 10, "the chart has marks"
    figure_2 = dom.split('id="figure-2"', 1)[1].split("</figure>", 1)[0]
    assert "Aucune réponse publiée" in figure_2 and "<svg" not in figure_2
    assert not console_errors, console_errors


CHECK_EXECUTIONS = """
{
  assetCheckExecutions(
    assetKey: {path: ["bronze", "%s"]}, checkName: "delivered_on_calendar", limit: 1
  ) { status evaluation { success severity description } }
}
"""


def test_a_feed_with_missing_months_fails_its_freshness_check(partner_warehouse):
    """The partner sample replayed to 2019-08 lacks months of some series (EJOM's forms
    deliver in months of activity, late IOM months are still to come): the calendar check
    of each such feed failed, as a warning that names them, in the UI's API."""
    from ingest.calendars import missing_deliveries
    from ingest.registry import read_registry

    settings, _, _, _, dagster_home = partner_warehouse
    loaded = [r for r in read_registry(settings) if r.status == "loaded"]
    behind = {}
    with _webserver(dagster_home, settings.home) as port:
        for feed, asset in (
            ("iom", "iom_cases"),
            ("ejom", "ejom_forms"),
            ("aecid", "aecid_activities"),
        ):
            missing = missing_deliveries(feed, [r.file_name for r in loaded if r.feed == feed])
            data = graphql(port, CHECK_EXECUTIONS % asset)
            assert "errors" not in data, data.get("errors")
            (execution,) = data["data"]["assetCheckExecutions"]
            evaluation = execution["evaluation"]
            assert evaluation["success"] is (not missing), (feed, evaluation)
            assert evaluation["severity"] == "WARN"
            for series, periods in missing.items():
                assert f"{series}: {periods[0]}" in evaluation["description"]
            behind[feed] = missing
    assert behind["ejom"], "the sample's EJOM forms have months without a delivery"
