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


@pytest.fixture(scope="module")
def webserver(published_home: Path, tmp_path_factory: pytest.TempPathFactory):
    dagster_home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(DAGSTER_YAML, dagster_home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "SLC_HOME": str(published_home)}
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
    yield port
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


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
    for group in ("bronze", "staging", "marts", "publish", "reports", "reference"):
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
