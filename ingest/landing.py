"""The landing folders: what waits there, and how it is read and moved, never followed.

A delivery is a regular file directly in `landing/<feed>/`. Everything else found there is
refused with one line, never read: a symbolic link (wherever it points), a FIFO, a folder,
a device, a socket, a name that starts with a dot, holds a control character or is longer
than the name limit. Names ending in `.part` or `.tmp` are copies in progress and wait.

Files are opened with `O_NOFOLLOW` and checked with `fstat` on the opened descriptor, so a
file swapped for a link after the listing is refused too; a run holds an exclusive lock
on each file it loads until the file has left landing, so two runs never load one file.
Nothing outside the data root is read, moved or changed: every folder written to is
checked to be a real folder below it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.limits import NAME_LENGTH

#: Copies still being written: left for a later run (documented in docs/feeds/README.md).
IN_PROGRESS_SUFFIXES = (".part", ".tmp")
#: Folders of a landing folder that belong to the platform, not to partners.
RESERVED = ("rejected",)


class OutsideDataRoot(RuntimeError):
    """A folder the platform would write to is a link, or lies outside the data root."""


class NotADelivery(Exception):
    """What was found at a landing path cannot be loaded; the message says why, in one line."""


class Busy(Exception):
    """Another run holds the file (it is loading it); this run leaves it alone."""


def kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISREG, "regular file"),
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISDIR, "folder"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
    ):
        if test(mode):
            return name
    return "special file"


def _printable(ch: str) -> bool:
    """Neither a control character nor a byte that was not UTF-8 (a surrogate escape)."""
    return ch.isprintable() and not 0xDC80 <= ord(ch) <= 0xDCFF


def shown(name: str) -> str:
    """A name as an error line may show it: control characters and undecodable bytes as
    `?`, cut to the name limit (the cut said)."""
    text = "".join(ch if _printable(ch) else "?" for ch in name)
    limit = NAME_LENGTH.value
    return text if len(text) <= limit else f"{text[: limit - 30]}… ({len(text):,} characters)"


def not_regular(kind: str) -> str:
    """Why an entry that is not a regular file is refused (one wording everywhere)."""
    return f"not a regular file ({kind}): only files are loaded, nothing is followed"


def name_problem(name: str) -> str | None:
    """Why a file name cannot be a delivery, or None."""
    if name in (".", "..") or "/" in name or "\x00" in name:
        return "not a file name"
    if name.startswith("."):
        return "the name starts with a dot (a hidden file): rename it and drop it again"
    if not all(_printable(ch) for ch in name):
        return "the name holds control characters or bytes that are not UTF-8: rename it"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > NAME_LENGTH.value:
        return (
            f"the name is {size:,} bytes long > {NAME_LENGTH.value} "
            f"({NAME_LENGTH.hint()}): rename it and drop it again"
        )
    return None


def in_progress(name: str) -> bool:
    return name.endswith(IN_PROGRESS_SUFFIXES)


def stored_name(name: str) -> str:
    """The name a refused entry is kept under in `rejected/`: its own when it is a valid
    name, else a printable one cut to the limit with a digest of the original (unique)."""
    if name_problem(name) is None:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    clean = "".join(ch if ch.isprintable() and ch != "/" else "_" for ch in name)
    clean = clean.encode("utf-8", "ignore")[: NAME_LENGTH.value - 20].decode("utf-8", "ignore")
    return f"{clean.lstrip('.') or 'unnamed'}~{digest}"


@dataclass(frozen=True)
class Entry:
    """One thing found in a landing folder (never followed)."""

    path: Path
    kind: str
    size: int
    mtime: float
    mtime_ns: int
    #: When the entry last changed in landing (copied, renamed, its time set): how long it
    #: has waited, whatever modification time the partner's copy kept.
    ctime: float = 0.0

    @property
    def problem(self) -> str | None:
        """Why it is refused without being read, or None for a loadable file."""
        return (
            not_regular(self.kind) if self.kind != "regular file" else name_problem(self.path.name)
        )


def check_inside(root: Path, folder: Path) -> Path:
    """`folder` (created owner-only when absent) is a real folder below `root`: no part of
    it below the root is a link, and its real path lies under the root's real path."""
    root_real = root.resolve()
    folder = folder.absolute()
    try:
        relative = folder.relative_to(root.absolute())
    except ValueError:
        raise OutsideDataRoot(f"{folder} is not inside the data root {root}") from None
    current = root.absolute()
    for part in relative.parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):  # another run made it meanwhile
                os.mkdir(current, 0o700)
            mode = os.lstat(current).st_mode
        if not stat.S_ISDIR(mode):
            raise OutsideDataRoot(
                f"{current} is a {kind_of(mode)}, not a folder: nothing is written through it "
                "(remove it; the platform recreates the folder)"
            )
    if not current.resolve().is_relative_to(root_real):
        raise OutsideDataRoot(f"{current} resolves outside the data root {root}")
    return current


def private_folder(root: Path, folder: Path) -> Path:
    """`check_inside`, and the folder owner-only (raw data and error files live there)."""
    checked = check_inside(root, folder)
    os.chmod(checked, 0o700)
    return checked


def scan(root: Path, folder: Path) -> list[Entry]:
    """Everything waiting in a landing folder, sorted by name: loadable files and entries to
    refuse alike; copies in progress and the platform's own folders left out."""
    if not os.path.lexists(folder):
        return []
    check_inside(root, folder)
    entries = []
    with os.scandir(folder) as listing:
        for item in listing:
            if item.name in RESERVED and item.is_dir(follow_symlinks=False):
                continue
            if in_progress(item.name):
                continue
            try:
                info = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # taken by another run meanwhile
            entries.append(
                Entry(
                    folder / item.name,
                    kind_of(info.st_mode),
                    info.st_size,
                    info.st_mtime,
                    info.st_mtime_ns,
                    info.st_ctime,
                )
            )
    return sorted(entries, key=lambda e: e.path.name)


def settled(entries: list[Entry], settle_s: float, now: float) -> tuple[list[Entry], list[Entry]]:
    """(entries unchanged for `settle_s` seconds, entries still being written)."""
    ready = [e for e in entries if now - e.mtime >= settle_s]
    return ready, [e for e in entries if now - e.mtime < settle_s]


def config_file_name(value: str, folder: Path) -> Path:
    """The landing path of a run config's `file`: a name in `folder`, nothing else."""
    if not value or value != os.path.basename(value) or value in (".", "..") or "\x00" in value:
        raise ValueError(
            f"run config 'file' must be the name of a file in {folder}, "
            f"not a path: {shown(value)!r}"
        )
    return folder / value


class Claim:
    """A landed file opened without following links, locked for this run, its bytes read
    from the descriptor (a swap of the path after the check changes nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            self.fd = os.open(path, flags)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotADelivery(not_regular("symbolic link")) from None
            raise
        try:
            info = os.fstat(self.fd)
            if not stat.S_ISREG(info.st_mode):
                raise NotADelivery(not_regular(kind_of(info.st_mode)))
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy(f"{path.name}: being loaded by another run") from None
            # Locked: the file is still the one at the path (a run that loaded it before
            # moved it out of landing while holding the lock).
            now = os.lstat(path)
            if (now.st_ino, now.st_dev) != (info.st_ino, info.st_dev):
                raise FileNotFoundError(errno.ENOENT, "handled by another run", str(path))
            self.size = info.st_size
            #: When the file landed: its modification time as the partner's copy left it.
            self.landed_at = datetime.fromtimestamp(info.st_mtime, UTC)
        except BaseException:
            os.close(self.fd)
            raise

    def read(self) -> bytes:
        """The file's bytes, in one allocation when the file did not grow since the open."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        chunks = [os.read(self.fd, self.size + 1)]
        while chunk := os.read(self.fd, 1 << 24):
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def protect(self) -> None:
        """Owner-only, its age the time it was moved (`slc purge-raw`): on the descriptor."""
        os.fchmod(self.fd, 0o600)
        os.utime(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def move_aside(root: Path, path: Path, folder: Path, name: str) -> Path:
    """Move a landed entry (file, link, FIFO, folder) into `folder` under `name`: a rename,
    which moves the entry itself and never what a link points at."""
    target = private_folder(root, folder) / name
    if os.path.lexists(target) and (os.path.isdir(target) or os.path.isdir(path)):
        target = target.with_name(f"{name}~{time.time_ns()}")  # a folder is never merged
    os.replace(path, target)
    return target


def write_private(path: Path, text: str) -> None:
    """Write a small file owner-only, never through a link."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
