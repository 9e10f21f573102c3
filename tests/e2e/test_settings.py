"""Database settings the command line must refuse or report clearly, and secrets it
must never print: unreachable servers, foreign databases, blank or in-memory
settings, files that are not databases, and arguments that are not UTF-8.

Every refusal is exit status 2, one message naming what is wrong, no traceback,
nothing written, and no password in the output.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from support.db_kinds import both_backends
from support.procs import child_env, run_tracker, tracker_argv

from tracker.cli.main import cli

SECRET = "s3cret-Pw"


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"TRACKER_DB": None, **(env or {})})


def refused(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert SECRET not in result.output
    return result.output


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a server that does not answer is not an empty database ------------------------------


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_db_current_on_an_unreachable_server_is_an_error_not_an_empty_database(
    scheme: str,
) -> None:
    url = f"{scheme}://tracker:{SECRET}@127.0.0.1:{closed_port()}/tracker"
    out = refused(invoke("--db", url, "db", "current"), "cannot connect to the database")
    assert "tracker:***@127.0.0.1" in out
    assert "empty" not in out


def test_a_password_given_as_a_url_parameter_is_masked_too() -> None:
    url = f"postgresql://tracker@127.0.0.1:{closed_port()}/tracker?password={SECRET}"
    out = refused(invoke("--db", url, "status"), "cannot connect to the database")
    assert "password=***" in out


def test_an_unencoded_at_sign_in_the_password_is_refused_before_connecting() -> None:
    url = f"postgresql://tracker:{SECRET}@x@127.0.0.1:{closed_port()}/tracker"
    out = refused(invoke("--db", url, "status"), "percent-encode it as %40")
    assert "x@127.0.0.1" not in out and "resolve" not in out


@pytest.mark.slow
def test_the_scheduler_on_an_unreachable_database_says_so(tmp_path: Path) -> None:
    url = f"postgresql://tracker:{SECRET}@127.0.0.1:{closed_port()}/tracker"
    for mode in (["--once"], []):
        done = run_tracker("--db", url, "scheduler", "run", *mode, env={})
        assert done.returncode == 2, done.stderr
        assert "cannot connect to the database" in done.stderr
        assert "tracker:***@127.0.0.1" in done.stderr
        assert SECRET not in done.stderr + done.stdout
        assert "Traceback" not in done.stderr


@pytest.mark.postgres
def test_a_missing_database_on_a_live_server_is_an_error(pg_server: object) -> None:
    base = pg_server.url(f"missing_{uuid.uuid4().hex}")  # type: ignore[attr-defined]
    url = base.replace("postgres@", f"postgres:{SECRET}@")
    out = refused(invoke("--db", url, "db", "current"), "cannot connect to the database")
    assert "does not exist" in out
    assert "postgres:***@" in out


@both_backends
def test_db_current_reports_a_new_database_as_empty(empty_db_url: str) -> None:
    result = invoke("--db", empty_db_url, "db", "current")
    assert result.exit_code == 0, result.output
    assert "empty (no schema yet)" in result.output or "no database yet" in result.output


def test_db_current_creates_no_file(tmp_path: Path) -> None:
    path = tmp_path / "not-yet.db"
    result = invoke("--db", str(path), "db", "current")
    assert result.exit_code == 0, result.output
    assert f"{path}: no database yet" in result.output
    assert not path.exists()


# --- databases tracker did not make ------------------------------------------------------


@pytest.fixture
def foreign_url(empty_db_url: str) -> Iterator[str]:
    """A database holding someone else's table and no alembic_version."""
    engine = sa.create_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
    engine.dispose()
    yield empty_db_url


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@both_backends
@pytest.mark.parametrize("command", [["status"], ["db", "upgrade"], ["db", "current"]])
def test_a_foreign_database_is_refused_not_upgraded(foreign_url: str, command: list[str]) -> None:
    out = refused(invoke("--db", foreign_url, *command), "is not a tracker database", "customers")
    assert "Refusing to add tracker's tables" in out
    assert table_names(foreign_url) == {"customers"}


# --- SQLite settings that cannot work ------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///"])
def test_an_in_memory_sqlite_url_is_refused(url: str) -> None:
    refused(invoke("--db", url, "status"), "in-memory database", "tracker needs a file")


def test_a_directory_is_not_an_sqlite_database(tmp_path: Path) -> None:
    refused(invoke("--db", str(tmp_path), "status"), f"{tmp_path} is not an SQLite database")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n", encoding="utf-8")
    for command in (["status"], ["db", "current"], ["db", "upgrade"]):
        refused(invoke("--db", str(notes), *command), f"{notes} is not an SQLite database")
    assert notes.read_text(encoding="utf-8") == "my notes, not a database\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_damaged_sqlite_file_is_reported_as_not_a_database(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    refused(invoke("--db", str(damaged), "status"), f"{damaged} is not an SQLite database")


def test_an_existing_database_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    assert invoke("--db", str(path), "status").exit_code == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    assert invoke("--db", f"sqlite:///{path}", "db", "current").exit_code == 0


# --- blank settings ---------------------------------------------------------------------


def test_a_blank_db_option_is_refused(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    refused(invoke("--db", "", "status", env=env), "--db is empty", "leave --db out")
    refused(invoke("--db", "  ", "status", env=env), "--db is empty")
    assert not (tmp_path / "data").exists()


def test_a_blank_tracker_db_is_refused_rather_than_using_the_default(tmp_path: Path) -> None:
    env: dict[str, str | None] = {"TRACKER_DB": "", "XDG_DATA_HOME": str(tmp_path / "data")}
    refused(invoke("status", env=env), "TRACKER_DB is empty", "unset TRACKER_DB")
    assert not (tmp_path / "data").exists()


def test_tracker_db_is_used_when_set(tmp_path: Path) -> None:
    path = tmp_path / "from-env.db"
    result = invoke("db", "upgrade", env={"TRACKER_DB": str(path)})
    assert result.exit_code == 0, result.output
    assert path.exists()


# --- arguments that are not UTF-8 -------------------------------------------------------------


def test_an_argument_that_is_not_utf8_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    db = tmp_path / "t.db"
    out = refused(
        invoke("--db", str(db), "add", "x", "--title", "caf\udce9", "--by", "mx"),
        "argument 6 ('caf?') is not valid UTF-8",
    )
    assert "\udce9" not in out
    assert not db.exists()
    refused(invoke("--db", str(tmp_path / "caf\udce9.db"), "status"), "not valid UTF-8")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_bytes_that_are_not_utf8_on_a_real_command_line_are_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    argv = [a.encode() for a in tracker_argv("--db", db, "show")] + [b"caf\xe9"]
    done = subprocess.run(
        argv, env=child_env({"LC_ALL": "C.UTF-8"}), capture_output=True, check=False
    )
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2, stderr
    assert "argument 4 ('caf?') is not valid UTF-8" in stderr
    assert "Traceback" not in stderr
    assert not Path(db).exists()
