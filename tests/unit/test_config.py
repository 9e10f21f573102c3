"""The database setting and the one secret-masking helper, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.config import ConfigError, days_from_env, redact, resolve_db_url

# --- redact -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://u:s3cret@db.example.org/t", "postgresql://u:***@db.example.org/t"),
        ("postgresql+psycopg://u:p@ss@h:5432/t", "postgresql+psycopg://u:***@h:5432/t"),
        ("postgresql://u:pa/ss@h/t", "postgresql://u:***@h/t"),
        ("smtp://desk%40example.org:s3cret@mail:587", "smtp://desk%40example.org:***@mail:587"),
        (
            "postgresql://u@h/t?password=s3cret&sslmode=require",
            "postgresql://u@h/t?password=***&sslmode=require",
        ),
        ("host=h user=u password=s3cret dbname=t", "host=h user=u password=*** dbname=t"),
        ("host=h password='s3 cret' dbname=t", "host=h password=*** dbname=t"),
        ("error on postgresql://u:s3cret@h/t: refused", "error on postgresql://u:***@h/t: refused"),
        ("postgresql://u@h:5432/t", "postgresql://u@h:5432/t"),
        ("sqlite:////home/me/tracker.db", "sqlite:////home/me/tracker.db"),
    ],
)
def test_redact_masks_passwords_written_in_the_text(text: str, shown: str) -> None:
    assert redact(text) == shown
    assert redact(shown) == shown


def test_redact_hides_the_passwords_of_the_given_urls_wherever_they_are_quoted() -> None:
    url = "postgresql://u:p%40ss%2Fw0rd@h/t?password=other"
    message = 'FATAL: password "p@ss/w0rd" refused; also "p%40ss%2Fw0rd" and other'
    shown = redact(message, url, None)
    assert "p@ss/w0rd" not in shown and "p%40ss%2Fw0rd" not in shown and "other" not in shown
    assert shown.startswith("FATAL: password")


def test_redact_hides_given_secrets_longest_first() -> None:
    assert redact("login as u with hunter2hunter2", secrets=["hunter2", "hunter2hunter2"]) == (
        "login as u with ***"
    )
    assert redact("nothing secret", secrets=[None, ""]) == "nothing secret"


# --- resolve_db_url -----------------------------------------------------------------


def test_a_plain_path_is_an_absolute_sqlite_url(tmp_path: Path) -> None:
    assert resolve_db_url(str(tmp_path / "t.db"), {}) == f"sqlite:///{tmp_path / 't.db'}"


def test_the_option_wins_over_the_environment_and_the_default_needs_neither() -> None:
    env = {"TRACKER_DB": "/elsewhere.db"}
    assert resolve_db_url("/here.db", env) == "sqlite:////here.db"
    assert resolve_db_url(None, env) == "sqlite:////elsewhere.db"
    assert resolve_db_url(None, {}).endswith("tracker.db")


@pytest.mark.parametrize(
    ("given", "env", "message"),
    [
        ("", {}, "--db is empty"),
        ("  ", {}, "--db is empty"),
        (None, {"TRACKER_DB": ""}, "TRACKER_DB is empty"),
        (None, {"TRACKER_DB": " "}, "TRACKER_DB is empty: give a file path"),
    ],
)
def test_a_blank_setting_is_refused_not_replaced_by_the_default(
    given: str | None, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_db_url(given, env)


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///", "sqlite:///:memory:", "sqlite:///file:x?mode=memory"]
)
def test_an_in_memory_sqlite_database_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match=r"in-memory database.*tracker needs a file"):
        resolve_db_url(url, {})


def test_an_sqlite_url_with_a_host_is_refused() -> None:
    with pytest.raises(ConfigError, match="three slashes"):
        resolve_db_url("sqlite://host/t.db", {})


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:hunt@er2@db.example.org/t", "postgres://u:hunt@e/r2@db.example.org/t"],
)
def test_an_unencoded_at_sign_in_the_password_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_db_url(url, {})
    message = str(caught.value)
    assert "percent-encode it as %40" in message
    assert "hunt" not in message and "r2" not in message
    assert "u:***@db.example.org" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p%40ss@h/t", "postgresql+psycopg://u:p%40ss@h/t"),
        ("postgres://u:pa/ss@h/t", "postgresql+psycopg://u:pa/ss@h/t"),
        (
            "postgresql://h/t?application_name=me@there",
            "postgresql+psycopg://h/t?application_name=me@there",
        ),
    ],
)
def test_postgresql_urls_that_parse_as_written_are_accepted(url: str, expected: str) -> None:
    assert resolve_db_url(url, {}) == expected


def test_a_setting_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"--db is not valid UTF-8 \('/tmp/caf\?.db'\)"):
        resolve_db_url("/tmp/caf\udce9.db", {})
    with pytest.raises(ConfigError, match="TRACKER_DB is not valid UTF-8"):
        resolve_db_url(None, {"TRACKER_DB": "postgresql://u:s3cr\udce9t@h/t"})


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 90), ("", 90), ("  ", 90), (" 30 ", 30), ("1", 1), ("3650", 3650)]
)
def test_days_from_env_reads_a_bounded_whole_number(raw: str | None, expected: int) -> None:
    env = {} if raw is None else {"X_DAYS": raw}
    assert days_from_env("X_DAYS", 90, 1, 3650, env) == expected


@pytest.mark.parametrize("raw", ["0", "3651", "-5", "1e3", "ten", "99999999999999999999"])
def test_days_from_env_refuses_what_it_cannot_use(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"X_DAYS='.*' must be a whole number of days from 1"):
        days_from_env("X_DAYS", 90, 1, 3650, {"X_DAYS": raw})
