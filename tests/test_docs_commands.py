"""Every shell command the README and the analyst guide mark runnable works as written.

A fenced block opened with "```bash runnable" holds commands a reader types from the
repository after `make demo`; each line runs here with bash, in the repository, against a
published warehouse (`partner_warehouse`), and must succeed and print something.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from ingest.settings import REPO_ROOT

DOCS = (REPO_ROOT / "README.md", REPO_ROOT / "docs" / "analyst-guide.md")


def runnable_commands() -> list[tuple[str, str]]:
    """(document, command) for each line of each runnable block."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(r"^ *```bash runnable\n(.*?)^ *```", text, flags=re.S | re.M):
            for line in block.splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    found.append((doc.name, line))
    return found


def test_the_docs_show_the_analyst_commands():
    commands = [c for _, c in runnable_commands()]
    assert any(c.startswith(".venv/bin/slc sql -c") for c in commands)
    assert {d for d, _ in runnable_commands()} == {d.name for d in DOCS}


@pytest.mark.parametrize(("doc", "command"), runnable_commands(), ids=lambda v: v[:50])
def test_a_documented_command_runs_as_written(partner_warehouse, doc: str, command: str):
    settings = partner_warehouse[0]
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=REPO_ROOT,
        env={**os.environ, "SLC_HOME": str(settings.home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{doc}: {command}\n{done.stderr}"
    assert done.stdout.strip(), f"{doc}: {command} printed nothing"
