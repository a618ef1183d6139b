"""Run this virtualenv's dbt as a child process and read its structured log as it goes.

dbt writes one JSON object per line (`--log-format json`); a node's result line names the
node, its status and its failures. The dbt step turns those into Dagster materialisations
and check results (orchestration/assets/dbt.py); everything else is dbt's own log, echoed
to stdout (the step's compute log) and kept in the invocation's `dbt.log`.
Each invocation gets a target folder of its own (`<step>-<run>-<random>`), seeded with the
last parse so dbt re-parses only the files that changed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.settings import Settings

VENV_BIN = Path(sys.executable).parent
DBT = VENV_BIN / "dbt"
PARTIAL_PARSE = "partial_parse.msgpack"
#: dbt's manifest, in an invocation's folder and (the last parse) in the target folder.
MANIFEST = "manifest.json"
#: dbt's log events that carry one node's result.
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})


class DbtError(Exception):
    """dbt ended with an error: the command, its exit code and dbt's error lines."""


@dataclass(frozen=True)
class NodeResult:
    """One node's result line: which node, its status ('success', 'pass', 'fail', 'warn',
    'error', 'skipped'...), its failing rows for a test, and the raw event."""

    unique_id: str
    status: str
    failures: int | None
    event: Mapping[str, Any]

    @property
    def timing(self) -> dict[str, Any]:
        info = self.event["data"]["node_info"]
        stamps = ("node_started_at", "node_finished_at")
        return {k: info[k] for k in stamps if info.get(k) not in {None, ""}}


def dbt_process_env(settings: Settings) -> dict[str, str]:
    """This process's environment, the project's paths and this virtualenv's bin first."""
    env = {**os.environ, **settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    return env


def invocation_folder(target: Path, step: str | None = None, run_id: str | None = None) -> Path:
    """A new folder under `target` for one invocation, with the last parse copied in; its
    name starts with the step and the run, when given, so a person finds a run's folder."""
    parts = [step, run_id[:7] if run_id else None, uuid.uuid4().hex[:7]]
    folder = target / "-".join(part for part in parts if part)
    folder.mkdir(parents=True)
    if (target / PARTIAL_PARSE).exists():
        shutil.copyfile(target / PARTIAL_PARSE, folder / PARTIAL_PARSE)
    return folder


@dataclass
class DbtInvocation:
    """`dbt <args>` for the project of `settings`, its artifacts in `target_path`."""

    args: Sequence[str]
    settings: Settings
    target_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    echo: bool = True
    #: Where the child's stderr goes; None: into stdout, read as dbt's log. An adapter that
    #: runs an engine in dbt's process (Spark's JVM) writes its own log there.
    stderr_log: Path | None = None
    errors: list[str] = field(default_factory=list)
    returncode: int | None = None

    @property
    def command(self) -> list[str]:
        project = str(self.settings.dbt_project_dir)
        return [
            str(DBT),
            "--no-use-colors",
            "--log-format",
            "json",
            "--log-format-file",
            "debug",
            *self.args,
            "--project-dir",
            project,
            "--profiles-dir",
            project,
        ]

    def results(self, meanwhile: Callable[[], object] | None = None) -> Iterator[NodeResult]:
        """Run dbt, yield each node's result as it finishes; raise DbtError if dbt failed.

        `meanwhile` is called once dbt has started, before its log is read: work of this
        process that dbt's start-up (seconds of imports and parsing) would otherwise leave
        a core idle for. dbt's lines wait in the pipe meanwhile."""
        env = {
            **dbt_process_env(self.settings),
            "DBT_TARGET_PATH": str(self.target_path),
            "DBT_LOG_PATH": str(self.target_path),
            **self.env,
        }
        with (
            open(self.stderr_log, "ab") if self.stderr_log else nullcontext() as stderr,
            subprocess.Popen(
                self.command,
                cwd=self.settings.dbt_project_dir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr or subprocess.STDOUT,
                text=True,
                encoding="utf-8",
            ) as process,
        ):
            assert process.stdout is not None
            try:
                if meanwhile is not None:
                    meanwhile()
                for line in process.stdout:
                    result = self._read(line)
                    if result is not None:
                        yield result
            except BaseException:
                process.terminate()  # the step was stopped: stop dbt with it
                raise
            self.returncode = process.wait()
        if self.returncode != 0:
            detail = "\n".join(self.errors[-20:]) or "no error line; see dbt.log in the folder"
            raise DbtError(
                f"`dbt {' '.join(self.args)}` failed with exit code {self.returncode} "
                f"(artifacts in {self.target_path}):\n{detail}"
            )

    def run(self) -> DbtInvocation:
        """Run to the end, raising DbtError if dbt failed."""
        for _ in self.results():
            pass
        return self

    def _read(self, line: str) -> NodeResult | None:
        try:
            event = json.loads(line)
            info = event["info"]
        except (ValueError, KeyError, TypeError):
            # Not a structured line (a crash before dbt's logger started): keep it.
            text = line.rstrip()
            if text:
                self.errors.append(text)
                self._echo(text)
            return None
        message = str(info.get("msg", ""))
        if info.get("level") == "error":
            self.errors.append(message)
        self._echo(message)
        data = event.get("data", {})
        node = data.get("node_info") or {}
        unique_id = node.get("unique_id")
        if info.get("name") not in RESULT_EVENTS or not unique_id:
            return None
        if unique_id.startswith("unit_test"):
            return None
        status = node.get("node_status") or str(data.get("status", "")).lower()
        failures = data.get("num_failures")
        return NodeResult(unique_id, status, failures, event)

    def _echo(self, message: str) -> None:
        if self.echo and message:
            print(message, flush=True)


def parse(settings: Settings, stale: Callable[[], bool] = lambda: True) -> Path:
    """`dbt parse` into the target folder: the manifest the code location reads.

    Every run process imports the code location, so several may find the manifest stale
    at once (a fresh data root, a dbt file changed): one parses while the others wait on a
    lock, then find it fresh (`stale`) and parse nothing. dbt writes its manifest in an
    invocation folder of its own; the manifest is renamed into place last, whole, so a
    reader never sees half of one."""
    target = settings.dbt_target
    target.mkdir(parents=True, exist_ok=True)
    manifest = target / MANIFEST
    with open(target / ".parse.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and not stale():
            return manifest
        folder = invocation_folder(target, "parse")
        try:
            DbtInvocation(["parse"], settings, folder, echo=False).run()
            if (folder / PARTIAL_PARSE).exists():
                os.replace(folder / PARTIAL_PARSE, target / PARTIAL_PARSE)
            os.replace(folder / MANIFEST, manifest)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return manifest
