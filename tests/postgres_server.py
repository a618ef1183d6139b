"""A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries (`make test`
installs the package when absent, as it does chromium), its data folder in a temporary
directory, listening on 127.0.0.1 only, with a password. Nothing else of the machine's
PostgreSQL (its clusters, its service) is touched."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.test_ui import free_port

#: Debian keeps each major version's programs here, off the PATH.
DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def binaries() -> Path:
    """The newest installed PostgreSQL's programs; a clear error when there are none."""
    found = sorted(DEBIAN_BINARIES.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `make test` installs Debian's postgresql package"
        )
    return found[-1].parent


@dataclass(frozen=True)
class Server:
    bin: Path
    data: Path
    port: int
    password: str
    user: str = "dagster"
    database: str = "dagster"

    def env(self) -> dict[str, str]:
        """The connection as dagster.postgres.yaml reads it."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.database,
        }


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], **kw) -> None:
    done = subprocess.run(_as_owner(command), capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


@contextmanager
def throwaway_postgres() -> Iterator[Server]:
    """A running server with an empty database `dagster` owned by user `dagster`; stopped
    and deleted afterwards."""
    bin_dir = binaries()
    # Not under pytest's tmp_path: its folders are private to the user running the tests,
    # and the server may run as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="slc-postgres-"))
    root.chmod(0o755)
    data, sockets = root / "data", root / "sockets"
    password = secrets.token_urlsafe(16)
    (root / "pwfile").write_text(password + "\n", encoding="utf-8")
    sockets.mkdir()
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "running as root needs the `postgres` user that Debian's postgresql package "
                "creates (make postgresql installs it)"
            ) from None
        for path in (root, sockets, root / "pwfile"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    server = Server(bin_dir, data, free_port(), password)
    _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            server.user,
            f"--pwfile={root / 'pwfile'}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
        ]
    )
    options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {sockets}"
    log = root / "server.log"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"])
    try:
        env = {**os.environ, "PGPASSWORD": password}
        _run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(server.port),
                "-U",
                server.user,
                server.database,
            ],
            env=env,
        )
        yield server
    finally:
        subprocess.run(
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
