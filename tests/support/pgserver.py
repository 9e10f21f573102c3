"""A throwaway PostgreSQL server for the test suite.

The PostgreSQL half of the tests runs against a real server, started from the machine's
initdb/pg_ctl in a fresh temporary directory on a free loopback port, so it never touches
a cluster the machine already runs. PostgreSQL refuses to run as root, so when the suite
runs as root (CI containers) the server runs as the `postgres` user instead.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Applied on top of initdb's postgresql.conf; durability is pointless for a throwaway server.
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}
_START_ATTEMPTS = 3  # a free port can be taken between choosing it and binding it
_TIMEOUT_S = 60
_LOG_TAIL_LINES = 40
_DBNAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PgServerError(RuntimeError):
    """The test PostgreSQL server could not be set up, started or stopped."""


@dataclass
class PgServer:
    """A running server; `stop()` shuts it down and deletes everything it wrote."""

    datadir: Path
    port: int
    socket_dir: Path
    bin_dir: Path = field(repr=False)
    _stopped: bool = field(default=False, init=False, repr=False)

    @property
    def tempdir(self) -> Path:
        """The directory holding the data dir, socket dir and log; removed by `stop()`."""
        return self.datadir.parent

    @property
    def logfile(self) -> Path:
        return self.tempdir / "server.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (which nobody may be using)."""
        if template is None:
            self._execute("CREATE DATABASE {}", name)
        else:
            self._execute("CREATE DATABASE {} TEMPLATE {}", name, template)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        # FORCE: a test that failed halfway may leave connections behind.
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    def stop(self) -> None:
        if self._stopped:
            return
        if (self.datadir / "postmaster.pid").exists():
            # "immediate" only when a fast shutdown hangs, e.g. on a stuck client.
            for mode in ("fast", "immediate"):
                done = _run_pg(
                    self.bin_dir,
                    "pg_ctl",
                    "stop",
                    "-D",
                    str(self.datadir),
                    "-m",
                    mode,
                    "-w",
                    "-t",
                    str(_TIMEOUT_S),
                )
                if done.returncode == 0:
                    break
            else:
                raise PgServerError(
                    f"could not stop the test PostgreSQL server in {self.datadir}:\n"
                    f"{done.stdout}{_log_tail(self.logfile)}"
                )
        shutil.rmtree(self.tempdir, ignore_errors=True)
        self._stopped = True

    def _execute(self, statement: str, *dbnames: str) -> None:
        """Run one statement on an autocommit connection (CREATE/DROP DATABASE need one)."""
        for dbname in dbnames:
            if not _DBNAME.fullmatch(dbname):
                raise ValueError(
                    f"invalid database name {dbname!r}: use 1-63 lowercase letters, digits "
                    "or underscores, not starting with a digit"
                )
        import psycopg  # imported late: finding binaries must work without the driver
        from psycopg import sql

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL(statement).format(*map(sql.Identifier, dbnames)))


def require_pg_bin() -> None:
    """Skip without server binaries, with the reason printed, except under CI=true,
    where a CI image that lost PostgreSQL must fail rather than pass silently."""
    import pytest

    if find_pg_bin() is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no PostgreSQL server binaries (initdb, pg_ctl) were found")
    pytest.skip(
        "no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql "
        "to run the PostgreSQL half"
    )


def find_pg_bin() -> Path | None:
    """Find the directory holding initdb and pg_ctl.

    Looks at $PG_BIN, then PATH, then Debian's /usr/lib/postgresql/*/bin (newest first);
    Debian keeps the server binaries off PATH.
    """
    explicit = os.environ.get("PG_BIN")
    if explicit:
        if _has_server_binaries(Path(explicit)):
            return Path(explicit)
        raise PgServerError(f"PG_BIN={explicit} does not contain both initdb and pg_ctl")
    on_path = shutil.which("initdb")
    if on_path:
        # Resolve symlinks: pg_ctl finds `postgres` next to its real location.
        real_dir = Path(on_path).resolve().parent
        if _has_server_binaries(real_dir):
            return real_dir
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    return next((d for d in debian if _has_server_binaries(d)), None)


def start_postgres(base: Path | None = None) -> PgServer:
    """Create a cluster in a fresh temporary directory under `base` and start it.

    As root, `base` must be traversable by the postgres user; if it is not (pytest's
    tmp_path is private to root), the directory is made under /tmp instead.
    """
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise PgServerError(
            "no PostgreSQL server binaries (initdb, pg_ctl) found on PATH, in $PG_BIN or "
            "in /usr/lib/postgresql/*/bin; install postgresql"
        )
    as_root = os.geteuid() == 0
    parent = base if base is not None else Path(tempfile.gettempdir())
    if as_root:
        _require_postgres_user()
        if not _traversable_by_others(parent):
            parent = Path("/tmp")
            if not _traversable_by_others(parent):
                raise PgServerError("/tmp is not traversable by the postgres user")
    tempdir = Path(tempfile.mkdtemp(prefix="tracker-pg-", dir=parent))
    socket_dir = tempdir / "sock"
    socket_dir.mkdir()
    if as_root:
        for path in (tempdir, socket_dir):
            shutil.chown(path, user="postgres", group=None)
    server = PgServer(datadir=tempdir / "data", port=0, socket_dir=socket_dir, bin_dir=bin_dir)
    atexit.register(server.stop)  # safety net for a session that dies before teardown
    try:
        _initdb(server)
        _start(server)
    except BaseException:
        server.stop()
        raise
    return server


def _initdb(server: PgServer) -> None:
    done = _run_pg(
        server.bin_dir,
        "initdb",
        "-D",
        str(server.datadir),
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    )
    if done.returncode != 0:
        raise PgServerError(f"initdb failed in {server.datadir}:\n{done.stdout}")
    settings = {**_SETTINGS, "unix_socket_directories": str(server.socket_dir)}
    lines = "".join(f"{key} = {_conf_quote(value)}\n" for key, value in settings.items())
    # The file exists and belongs to the server's user, so appending keeps its owner.
    with (server.datadir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# tests/support/pgserver.py\n" + lines)


def _start(server: PgServer) -> None:
    for attempt in range(1, _START_ATTEMPTS + 1):
        server.port = _free_port()
        done = _run_pg(
            server.bin_dir,
            "pg_ctl",
            "start",
            "-D",
            str(server.datadir),
            "-l",
            str(server.logfile),
            "-o",
            f"-p {server.port}",
            "-w",
            "-t",
            str(_TIMEOUT_S),
        )
        if done.returncode == 0:
            _wait_ready(server)
            return
        tail = _log_tail(server.logfile)
        if "could not bind" not in tail or attempt == _START_ATTEMPTS:
            raise PgServerError(
                f"the test PostgreSQL server did not start on port {server.port}:\n"
                f"{done.stdout}{tail}"
            )


def _wait_ready(server: PgServer) -> None:
    """Confirm TCP connections work; pg_ctl -w may have seen only the Unix socket."""
    pg_isready = server.bin_dir / "pg_isready"
    if not pg_isready.exists():
        return  # client tools not installed; pg_ctl -w already waited for readiness
    deadline = time.monotonic() + _TIMEOUT_S
    while True:
        done = subprocess.run(
            [
                str(pg_isready),
                "-h",
                "127.0.0.1",
                "-p",
                str(server.port),
                "-U",
                "postgres",
                "-t",
                "2",
            ],
            capture_output=True,
            text=True,
            check=False,
            env=_clean_env(),
        )
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise PgServerError(
                f"the test PostgreSQL server on port {server.port} does not accept "
                f"connections:\n{done.stdout}{done.stderr}{_log_tail(server.logfile)}"
            )
        time.sleep(0.2)


def _run_pg(bin_dir: Path, program: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a server program, as the postgres user when we are root; output merged."""
    command = [str(bin_dir / program), *args]
    if os.geteuid() == 0:
        if shutil.which("runuser"):
            command = ["runuser", "-u", "postgres", "--", *command]
        else:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
    return subprocess.run(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        env=_clean_env(),
        cwd="/",  # cwd: root's home is not readable by postgres
    )


def _clean_env() -> dict[str, str]:
    """The environment without PG* variables (PGDATA, PGHOST…) that would redirect tools."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"  # English messages: _start looks for "could not bind"
    return env


def _require_postgres_user() -> None:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PgServerError(
            "running as root, but there is no 'postgres' user to run the server as "
            "(PostgreSQL refuses to run as root); install the postgresql package or "
            "create that user"
        ) from None


def _traversable_by_others(path: Path) -> bool:
    path = path.resolve()
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in (path, *path.parents))


def _has_server_binaries(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    """'15' → (15,), '9.6' → (9, 6); unparsable names sort last."""
    parts = bin_dir.parent.name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (-1,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _conf_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _log_tail(logfile: Path) -> str:
    try:
        lines = logfile.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no server log)\n"
    tail = "".join(f"  {line}\n" for line in lines[-_LOG_TAIL_LINES:])
    return f"server log (last lines):\n{tail}"
