"""`dbt parse` when several run processes import the code location at once: one parses,
the others wait and read its manifest, and nobody reads half a manifest
(orchestration/dbt_cli.parse)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from ingest.settings import Settings
from orchestration import dbt_cli

MANIFEST = json.dumps({"nodes": {f"model.slc.m{i}": {"name": f"m{i}"} for i in range(2000)}})


def test_concurrent_parses_run_dbt_once_and_never_show_half_a_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = Settings(home=tmp_path)
    parses: list[Path] = []

    def slow_parse(invocation: dbt_cli.DbtInvocation) -> dbt_cli.DbtInvocation:
        # dbt writes its manifest over time: half, a pause, the rest.
        parses.append(invocation.target_path)
        with open(invocation.target_path / "manifest.json", "w") as out:
            out.write(MANIFEST[: len(MANIFEST) // 2])
            out.flush()
            time.sleep(0.3)
            out.write(MANIFEST[len(MANIFEST) // 2 :])
        (invocation.target_path / dbt_cli.PARTIAL_PARSE).write_bytes(b"parse")
        return invocation

    monkeypatch.setattr(dbt_cli.DbtInvocation, "run", slow_parse)
    manifest = settings.dbt_target / "manifest.json"
    torn: list[str] = []
    stop = threading.Event()

    def read_while_parsing() -> None:
        while not stop.is_set():
            if manifest.exists():
                try:
                    json.loads(manifest.read_text(encoding="utf-8"))
                except json.JSONDecodeError as exc:
                    torn.append(str(exc))
            time.sleep(0.005)

    reader = threading.Thread(target=read_while_parsing)
    reader.start()
    importers = [
        threading.Thread(target=dbt_cli.parse, args=(settings, lambda: not manifest.exists()))
        for _ in range(3)
    ]
    for thread in importers:
        thread.start()
    for thread in importers:
        thread.join()
    stop.set()
    reader.join()
    assert len(parses) == 1, "the others found the manifest fresh"
    assert torn == []
    assert json.loads(manifest.read_text(encoding="utf-8")) == json.loads(MANIFEST)
    assert (settings.dbt_target / dbt_cli.PARTIAL_PARSE).read_bytes() == b"parse"
    # The invocation folder is gone; the next build copies the kept parse.
    assert sorted(p.name for p in settings.dbt_target.iterdir()) == sorted(
        [".parse.lock", "manifest.json", dbt_cli.PARTIAL_PARSE]
    )


def test_work_given_to_do_meanwhile_runs_while_dbt_runs_and_loses_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`results(meanwhile=...)` calls it once dbt has started and before reading its log;
    every result dbt wrote in the meantime is still read, in order."""
    import sys

    fake = tmp_path / "dbt"
    marker = tmp_path / "dbt_started"
    event = {
        "info": {"name": "LogModelResult", "msg": "ok", "level": "info"},
        "data": {"node_info": {"unique_id": "model.slc.m{i}", "node_status": "success"}},
    }
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib\n"
        f"pathlib.Path({str(marker)!r}).touch()\n"
        f"event = json.dumps({event!r})\n"
        "for i in range(3000):\n"  # more than a pipe holds
        "    print(event.replace('{i}', str(i)), flush=True)\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(dbt_cli, "DBT", fake)
    settings = Settings(home=tmp_path)
    invocation = dbt_cli.DbtInvocation(["build"], settings, tmp_path / "target", echo=False)
    seen: list[bool] = []

    def meanwhile() -> None:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append(marker.exists())

    results = [r.unique_id for r in invocation.results(meanwhile=meanwhile)]
    assert seen == [True]
    assert results == [f"model.slc.m{i}" for i in range(3000)]
