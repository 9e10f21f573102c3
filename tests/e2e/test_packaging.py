"""The built wheel works away from the checkout.

`cli/` and `migrations/` are installed as `tracker.cli` and `tracker.migrations`; a
mistake in that mapping passes every other test (they import from the checkout) and
breaks only for users. So a real wheel is built, installed into a bare directory, and
exercised from a process whose working directory is not the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUILD_LEFTOVERS = (
    ".git",
    ".venv",
    ".ci-venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "*.db",
)


@dataclass(frozen=True)
class Installed:
    site: Path
    workdir: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run Python with only the installed wheel on its path, outside the checkout."""
        env = {**os.environ, "PYTHONPATH": str(self.site)}
        env.pop("TRACKER_DB", None)
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def check(self, code: str) -> str:
        done = self.run("-c", textwrap.dedent(code))
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    source, dist, site, workdir = base / "src", base / "dist", base / "site", base / "work"
    workdir.mkdir()
    # A copy of the tree: setuptools' build/ directory keeps files deleted from the
    # source and would ship them, and the shared checkout stays untouched.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        [*pip, "wheel", ".", "--no-deps", "--no-build-isolation", "-w", str(dist)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    wheels = list(dist.glob("tracker-*.whl"))
    assert len(wheels) == 1, wheels
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheels[0])],
        check=True,
        capture_output=True,
    )
    return Installed(site=site, workdir=workdir)


def test_the_installed_package_is_the_one_imported(installed: Installed) -> None:
    out = installed.check("""
        import tracker, tracker.cli, tracker.migrations
        for module in (tracker, tracker.cli, tracker.migrations):
            print(module.__file__)
    """)
    assert all(line.startswith(str(installed.site)) for line in out.splitlines()), out


@pytest.mark.parametrize("name", ["cli", "migrations"])
def test_no_top_level_cli_or_migrations_package_is_installed(
    installed: Installed, name: str
) -> None:
    installed.check(f"""
        try:
            import {name}
        except ModuleNotFoundError:
            pass
        else:
            raise SystemExit("top-level {name!r} importable from " + {name}.__file__)
    """)
    assert not (installed.site / name).exists()


def test_the_migration_scripts_are_package_data(installed: Installed) -> None:
    out = installed.check("""
        from importlib.resources import files
        root = files("tracker.migrations")
        for name in ("env.py", "script.py.mako", "versions/0001_initial.py"):
            print(name, root.joinpath(name).is_file())
    """)
    assert out.split() == [
        "env.py",
        "True",
        "script.py.mako",
        "True",
        "versions/0001_initial.py",
        "True",
    ]


def test_the_installed_package_creates_a_database(installed: Installed) -> None:
    db = installed.workdir / "api.db"
    out = installed.check(f"""
        from tracker.adapters.db import Database
        from tracker.adapters.schema import SCHEMA_REVISION
        d = Database("sqlite:///{db}")
        d.ensure_schema()
        print(d.current_revision(), SCHEMA_REVISION)
    """)
    revision, expected = out.split()
    assert revision == expected
    assert db.is_file()


def test_the_installed_command_upgrades_a_database(installed: Installed) -> None:
    if not (ROOT / "cli" / "main.py").exists():
        pytest.skip("cli/main.py is not written yet: no `tracker db upgrade` to test")
    db = installed.workdir / "cli.db"
    url = f"sqlite:///{db}"

    done = installed.run("-m", "tracker.cli.main", "--db", url, "db", "upgrade")

    assert done.returncode == 0, done.stdout + done.stderr
    current = installed.run("-m", "tracker.cli.main", "--db", url, "db", "current")
    assert current.returncode == 0, current.stdout + current.stderr
    assert "up to date" in current.stdout


def test_the_installed_command_publishes_with_its_templates_and_style_sheet(
    installed: Installed,
) -> None:
    """Templates and CSS are package data: a wheel without them publishes nothing."""
    url = f"sqlite:///{installed.workdir / 'site.db'}"
    site = installed.workdir / "site"
    done = installed.run("-m", "tracker.cli.main", "--db", url, "publish", str(site))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (site / "site.css").read_text().startswith("/* The published site's")
    assert "<title>Commitments tracker</title>" in (site / "index.html").read_text()
