"""Raw files out of landing: loaded ones to the archive, refused ones to `rejected/` with
their one-line error, and their deletion after the retention period.

Raw files hold personal data in clear: every folder and file here is owner-only, and a
mode or time is only ever set through the descriptor the run read (`landing.Claim`).
"""

from __future__ import annotations

import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

from ingest import landing
from ingest.settings import FEEDS, Settings


def archive(
    settings: Settings, feed: str, path: Path, sha256: str, claim: landing.Claim | None
) -> None:
    """Keep the raw file, readable by its owner only, out of the landing folder. The mode
    and time are set on the descriptor the run read, never through a path."""
    landing.move_aside(settings.home, path, settings.archive(feed), f"{sha256[:12]}__{path.name}")
    if claim is not None:
        claim.protect()  # its age is the time since it was archived (`slc purge-raw`)


def reject(
    settings: Settings, feed: str, path: Path, error: str, claim: landing.Claim | None
) -> None:
    """Move a refused entry to `rejected/` (owner-only) with its one-line `.error.txt`."""
    name = landing.stored_name(path.name)
    folder = settings.rejected(feed)
    if os.path.lexists(path):
        target = landing.move_aside(settings.home, path, folder, name)
        if claim is None:  # a link, FIFO or folder: its own time, never its target's
            os.utime(target, follow_symlinks=False)
    if claim is not None:
        claim.protect()
    landing.write_private(folder / f"{name}.error.txt", error + "\n")


def purge_raw(settings: Settings, older_than_s: float, now: float | None = None) -> list[Path]:
    """Delete raw files archived or rejected more than `older_than_s` seconds ago.

    Raw files hold personal data in clear; bronze keeps only pseudonyms, so once a file is
    older than the retention period the raw copy goes. The registry keeps its sha256.
    """
    cutoff = (now if now is not None else datetime.now(UTC).timestamp()) - older_than_s
    deleted: list[Path] = []
    for feed in FEEDS:
        for folder in (settings.archive(feed), settings.rejected(feed)):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                info = path.lstat()  # a link is judged and removed itself, never its target
                if info.st_mtime >= cutoff:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(path)
                else:
                    path.unlink()
                deleted.append(path)
    return deleted
