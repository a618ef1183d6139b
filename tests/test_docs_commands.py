"""Every shell command the README and the analyst guide mark runnable works as written.

A fenced block opened with "```bash runnable" holds commands a reader types from the
repository after `make demo`; each line runs here with bash, in the repository, against a
published warehouse (`partner_warehouse`), and must succeed and print something. Blocks
without the mark are synopses (placeholders such as DIR) or rewrite repository files.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from ingest.settings import REPO_ROOT

DOCS = (REPO_ROOT / "README.md", REPO_ROOT / "docs" / "analyst-guide.md")


def runnable_blocks() -> list[tuple[str, list[str]]]:
    """(document, its commands) for each runnable block: a block runs as one script, in
    order, so a command may use what the one before it made."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in re.findall(r"^ *```bash runnable\n(.*?)^ *```", text, flags=re.S | re.M):
            lines = [line.strip() for line in block.splitlines()]
            found.append((doc.name, [line for line in lines if line and not line.startswith("#")]))
    return found


def test_the_docs_show_the_analyst_commands():
    commands = [c for _, block in runnable_blocks() for c in block]
    assert any(c.startswith(".venv/bin/slc sql -c") for c in commands)
    assert {d for d, _ in runnable_blocks()} == {d.name for d in DOCS}


@pytest.mark.parametrize(("doc", "commands"), runnable_blocks(), ids=lambda v: str(v)[:50])
def test_documented_commands_run_as_written(partner_warehouse, doc: str, commands: list[str]):
    settings = partner_warehouse[0]
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO_ROOT,
            env={**os.environ, "SLC_HOME": str(settings.home)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{doc}: {command}\n{done.stderr}"
        assert done.stdout.strip(), f"{doc}: {command} printed nothing"
