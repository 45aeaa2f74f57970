"""The generated test suites: green at once without a server, and on the real servers."""

from __future__ import annotations

import re
import socket
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


#: The tests of a BigQuery project that need the emulator (a hybrid project
#: has one more, for DataAccess), and those that need nothing running.
EMULATOR_TESTS = 8
BIGQUERY_UNIT_TESTS = 7


@pytest.mark.parametrize("backend", BACKENDS)
def test_suite_passes_without_a_server(render: Renderer, backend: str) -> None:
    project = render(database_backend=backend)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    env = project_env(
        project,
        DB_HOST="127.0.0.1",
        DB_PORT=closed_port(),
        BIGQUERY_EMULATOR_HOST=nowhere,
    )
    result = run([*PYTEST, "-rs"], project, env)
    assert result.returncode == 0, result.output
    passed, skipped = outcome(result.stdout)
    if backend == "bigquery":
        assert passed == BIGQUERY_UNIT_TESTS
        assert skipped == EMULATOR_TESTS
        assert (
            f"needs a BigQuery emulator at BIGQUERY_EMULATOR_HOST: {nowhere} does not answer"
            in result.stdout
        )
        return
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


@pytest.mark.parametrize(
    "answers",
    [
        {"database_backend": "bigquery"},
        {"database_backend": "postgresql", "use_bigquery_analytics": True},
    ],
    ids=["bigquery", "postgresql+analytics"],
)
def test_analytics_suites_pass_on_the_emulator(
    render: Renderer,
    bigquery_emulator: str,
    server_factory: Callable[[str], Server],
    answers: dict[str, object],
) -> None:
    project = render(**answers)
    env = project_env(project, CI="true", BIGQUERY_EMULATOR_HOST=bigquery_emulator)
    if answers["database_backend"] == "postgresql":
        env.update(server_factory("postgresql").env())
    result = run(PYTEST, project, env)
    assert result.returncode == 0, result.output
    passed, skipped = outcome(result.stdout)
    # The emulator tests ran; only the slower fault tests wait for --faults.
    hybrid = "use_bigquery_analytics" in answers
    assert skipped == (SERVER_TESTS["tests/test_faults.py"] if hybrid else 0)
    assert passed >= EMULATOR_TESTS + BIGQUERY_UNIT_TESTS


def test_analytics_tests_fail_under_ci_without_an_emulator(render: Renderer) -> None:
    project = render(database_backend="bigquery")
    nowhere = f"http://127.0.0.1:{closed_port()}"
    result = run(
        PYTEST, project, project_env(project, CI="true", BIGQUERY_EMULATOR_HOST=nowhere)
    )
    assert result.returncode == 1
    assert f"{EMULATOR_TESTS} errors" in result.stdout.splitlines()[-1]
    assert "(CI=true)" in result.stdout


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
