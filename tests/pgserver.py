"""A real PostgreSQL server for the tests: Debian's binaries, a throwaway cluster, 127.0.0.1.

``start(folder)`` runs ``initdb`` into ``folder`` (as the ``postgres`` user when the tests run
as root: PostgreSQL refuses to run as root), starts the server on a free port of 127.0.0.1
only, with password (SCRAM) authentication and a known password, and returns a
:class:`Server` whose ``url`` connects and whose ``stop()`` shuts it down. No mock: the
loader, the copy and the reports talk to this server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: The password of the test cluster's user (a secret the tests check never leaks).
PASSWORD = "s3cret-Pg-pass"
USER = "salesnb"


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (the newest Debian install), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Server:
    """A running test server."""

    folder: Path
    port: int
    bin: Path
    as_postgres: bool

    @property
    def url(self) -> str:
        """``postgresql://salesnb:<password>@127.0.0.1:<port>/salesnb``."""
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{USER}"

    def url_without_password(self) -> str:
        """The same URL without the password (for the environment / .pgpass tests)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{USER}"

    def stop(self) -> None:
        """Stop the server (fast shutdown)."""
        _run(self, [str(self.bin / "pg_ctl"), "-D", str(self.folder / "db"), "-m", "fast",
                    "-w", "stop"], check=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(server: Server, args: list[str], check: bool = True) -> None:
    if server.as_postgres:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=check, capture_output=True, text=True, timeout=120)


def start(folder: Path) -> Server:
    """Create and start a cluster in ``folder``; raise RuntimeError saying what is missing."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb): apt-get install "
                           "postgresql (.ci/run does)")
    folder.mkdir(parents=True, exist_ok=True)
    as_postgres = os.geteuid() == 0
    server = Server(folder=folder, port=_free_port(), bin=bin_dir, as_postgres=as_postgres)
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_postgres:
        shutil.chown(folder, "postgres")
        shutil.chown(pwfile, "postgres")
    try:
        _run(server, [str(bin_dir / "initdb"), "-D", str(folder / "db"), "-U", USER,
                      "--pwfile", str(pwfile), "--auth=scram-sha-256", "-E", "UTF8",
                      "--locale=C.UTF-8"])
        _run(server, [str(bin_dir / "pg_ctl"), "-D", str(folder / "db"), "-w", "-t", "60",
                      "-l", str(folder / "server.log"), "-o",
                      f"-c listen_addresses=127.0.0.1 -c port={server.port} "
                      f"-c unix_socket_directories={folder} -c fsync=off", "start"])
    except subprocess.CalledProcessError as exc:
        log = folder / "server.log"
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr.strip()} "
                           f"{log.read_text()[-500:] if log.exists() else ''}") from None
    import psycopg

    with psycopg.connect(f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{server.port}/postgres",
                         autocommit=True) as con:
        con.execute(f"CREATE DATABASE {USER}")
    return server
