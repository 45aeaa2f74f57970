"""The generated test suites: green at once without a server, and on the real servers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import (
    BACKENDS,
    CONTEXT,
    LIVE_BACKENDS,
    SERVER_BACKENDS,
    Renderer,
    Server,
    missing,
    project_env,
    run,
)

PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-p",
    "no:cacheprovider",
    "-W",
    "error::DeprecationWarning",
]
#: Tests each server project marks `server` (skipped on the SQLite fallback),
#: in tests/test_server.py and tests/test_faults.py (the latter only with --faults).
SERVER_TESTS = {"tests/test_server.py": 3, "tests/test_faults.py": 5}


def closed_port() -> str:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def outcome(output: str) -> tuple[int, int]:
    """(passed, skipped) from pytest's summary; fails on any failure or error."""
    summary = output.strip().splitlines()[-1]
    match = re.fullmatch(
        r"=* ?(\d+) passed(?:, (\d+) skipped)? in [\d.]+s( \(.*\))? ?=*", summary
    )
    assert match, summary
    return int(match[1]), int(match[2] or 0)


def header(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("database: "))


@pytest.mark.parametrize("backend", BACKENDS)
def test_suite_passes_without_a_server(render: Renderer, backend: str) -> None:
    project = render(database_backend=backend)
    env = project_env(project, DB_HOST="127.0.0.1", DB_PORT=closed_port())
    result = run([*PYTEST, "-rs"], project, env)
    assert result.returncode == 0, result.output
    passed, skipped = outcome(result.stdout)
    assert passed >= 80
    if backend == "sqlite":
        assert skipped == 0
        assert header(result.stdout) == "database: sqlite+pysqlite://"
        return
    facts = CONTEXT["_backends"][backend]
    shown = header(result.stdout)
    assert shown.startswith(
        f"database: in-memory SQLite, because {facts['drivername']}://"
    )
    assert "is not available" in shown
    assert skipped == sum(SERVER_TESTS.values())
    for path, count in SERVER_TESTS.items():
        reason = f"{path}: needs {facts['a_server']} at TEST_DATABASE_URL"
        assert f"SKIPPED [{count}] {reason}" in result.stdout


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
@pytest.mark.parametrize("how", ["CI=true", "--require-db"])
def test_missing_server_fails_when_required(
    render: Renderer, backend: str, how: str
) -> None:
    project = render(database_backend=backend)
    env = project_env(project, DB_HOST="127.0.0.1", DB_PORT=closed_port())
    args = PYTEST
    if how == "CI=true":
        env["CI"] = "true"
    else:
        args = [*PYTEST, "--require-db"]
    result = run(args, project, env)
    assert result.returncode == 4, result.output  # pytest's usage error
    assert "test database: " in result.output
    assert "is not available" in result.output
    assert " passed" not in result.output


@pytest.mark.server
@pytest.mark.parametrize("backend", LIVE_BACKENDS)
def test_suite_passes_on_the_real_server(
    render: Renderer, server_factory: Callable[[str], Server], backend: str
) -> None:
    server = server_factory(backend)
    project = render(database_backend=backend)
    # DB_* parts, not a URL: the suite derives "<DB_NAME>_test" and creates it,
    # logging in with a password full of URL-breaking characters.
    env = project_env(project, CI="true", **server.env())
    result = run([*PYTEST, "--faults"], project, env)
    assert result.returncode == 0, result.output
    passed, skipped = outcome(result.stdout)
    assert passed >= 90
    assert skipped == 0  # the server and fault tests ran too
    shown = header(result.stdout)
    drivername = CONTEXT["_backends"][backend]["drivername"]
    assert shown.startswith(f"database: {drivername}://{server.user}:***@")
    assert f":{server.env()['DB_PORT']}/{server.database}_test" in shown
    assert server.password not in result.output


@pytest.fixture(scope="session")
def python313() -> Path:
    """Python 3.13: TEMPLATE_TEST_PYTHON313, or pyenv's 3.13.0."""
    given = os.environ.get("TEMPLATE_TEST_PYTHON313")
    if given:
        return Path(given)
    pyenv = shutil.which("pyenv")
    if pyenv:
        prefix = subprocess.run(
            [pyenv, "prefix", "3.13.0"], capture_output=True, text=True, check=False
        )
        if prefix.returncode == 0:
            return Path(prefix.stdout.strip()) / "bin" / "python"
    missing("no Python 3.13: set TEMPLATE_TEST_PYTHON313")
    raise AssertionError("unreachable")


@pytest.mark.server
def test_pip_install_and_suite_on_python_313(
    render: Renderer,
    server_factory: Callable[[str], Server],
    python313: Path,
    tmp_path: Path,
) -> None:
    """The contract's install command on the newest Python here, then the suite on PostgreSQL."""
    server = server_factory("postgresql")
    project = render(database_backend="postgresql", project_slug="py313")
    venv = tmp_path / "venv"
    assert run([str(python313), "-m", "venv", str(venv)], tmp_path).returncode == 0
    pip = run([str(venv / "bin" / "pip"), "install", "-q", "-e", ".[dev]"], project)
    assert pip.returncode == 0, pip.output
    env = {
        "CI": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": "",
        **server.env(),
    }
    env["DB_NAME"] = f"{server.database}_py313"
    python = str(venv / "bin" / "python")
    result = run([python, *PYTEST[1:]], project, env)
    assert result.returncode == 0, result.output
    assert "Python 3.13" in result.stdout
    passed, skipped = outcome(result.stdout)
    assert passed >= 80
    assert skipped == SERVER_TESTS["tests/test_faults.py"]  # without --faults
    server.admin(f"DROP DATABASE IF EXISTS {server.database}_py313_test WITH (FORCE)")
