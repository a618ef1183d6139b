"""Headless Debian Chromium, driven from the command line (no browser download)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1400,1000",
]


def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError("chromium is not installed: `make test` installs Debian's package")
    return path


def _run(url: str, extra: list[str], wait_ms: int) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={wait_ms}",
                *extra,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )


def render(url: str, screenshot: Path, wait_ms: int = 15000) -> tuple[str, list[str]]:
    """Screenshot `url` after `wait_ms` of virtual time; return its DOM and console errors."""
    shot = _run(url, [f"--screenshot={screenshot}"], wait_ms)
    if not screenshot.exists() or screenshot.stat().st_size < 5000:
        raise AssertionError(f"no screenshot of {url}: {shot.stderr[-2000:]}")
    dom = _run(url, ["--dump-dom"], wait_ms)
    console_errors = [
        line
        for line in (shot.stderr + dom.stderr).splitlines()
        if "CONSOLE" in line
        and ("Uncaught" in line or ":ERROR:" in line or "error" in line.lower())
    ]
    return dom.stdout, console_errors
