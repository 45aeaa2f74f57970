"""The generated test suites: green at once without a server, and on the real servers.

Every run is judged by its outcomes, read from pytest's JUnit report: no test
failed or errored, and exactly the expected tests were skipped, for the
expected reasons.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from test_walks import WALKED

from conftest import (
    BACKENDS,
    FACTS,
    FAULTS_FILE,
    FAULTS_SKIPPED,
    LIVE_BACKENDS,
    PSYCOPG2,
    PYTEST,
    SERVER_BACKENDS,
    Renderer,
    Server,
    project_env,
    run,
    run_suite,
)

#: The files of a server project whose tests need the server itself.
SERVER_FILES = {"tests/test_server.py", "tests/test_faults.py"}
#: The files of the tests that need a BigQuery emulator.
EMULATOR_FILES = {
    "tests/analytics/test_analytics_emulator.py",
    "tests/analytics/test_analytics_cli_emulator.py",
}


def closed_port() -> str:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b not in WALKED])
def test_suite_passes_without_a_server(
    render: Renderer, backend: str, tmp_path: Path
) -> None:
    """The backends the walks do not cover (they run their README's `pytest`
    before any server starts, and check the same: test_walks.check_suite_run)."""
    project = render(database_backend=backend)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    env = project_env(
        project,
        DB_HOST="127.0.0.1",
        DB_PORT=closed_port(),
        BIGQUERY_EMULATOR_HOST=nowhere,
    )
    suite = run_suite(project, env, tmp_path / "report.xml")
    if backend == "bigquery":
        reason = f"needs a BigQuery emulator at BIGQUERY_EMULATOR_HOST: {nowhere} does not answer"
        assert all(why.startswith(reason) for why in suite.skipped.values())
        suite.assert_green(
            skipped=dict.fromkeys(EMULATOR_FILES, next(iter(suite.skipped.values())))
        )
        return
    facts = FACTS[backend]
    assert suite.header.startswith(
        f"database: in-memory SQLite, because {facts['drivername']}://"
    )
    assert "is not available" in suite.header
    # Exactly the server's own tests are skipped, each saying why.
    reason = f"needs {facts['a_server']} at TEST_DATABASE_URL"
    suite.assert_green(skipped=dict.fromkeys(SERVER_FILES, reason))


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
    render: Renderer,
    server_factory: Callable[[str], Server],
    backend: str,
    tmp_path: Path,
) -> None:
    """Every test but the fault tests (test_walks.py runs them, as CI does),
    in two pytest-xdist workers, logging in with a hostile password."""
    server = server_factory(backend)
    project = render(database_backend=backend)
    # DB_* parts, not a URL: the suite derives "<DB_NAME>_test_gwN" and creates
    # it, logging in with a password full of URL-breaking characters.
    env = project_env(project, CI="true", **server.env())
    suite = run_suite(project, env, tmp_path / "report.xml", "-n", "2")
    suite.assert_green(skipped={FAULTS_FILE: FAULTS_SKIPPED})
    assert "tests/test_server.py" in suite.files(suite.passed)
    drivername = FACTS[backend]["drivername"]
    assert suite.header.startswith(
        f"database: one per pytest-xdist worker, e.g. {drivername}://{server.user}:***@"
    )
    assert f"/{server.database}_test_gw0" in suite.header
    assert server.password not in suite.result.output


def test_psycopg2_project_passes_the_same_live_suite(
    render: Renderer, server_factory: Callable[[str], Server], tmp_path: Path
) -> None:
    """psycopg2 in place of psycopg 3: the whole generated suite, the fault
    tests included (COPY through copy_expert, cut connections, lost COMMIT
    replies), on the real server, logging in with a hostile password."""
    server = server_factory("postgresql")
    project = render(**PSYCOPG2)
    env = project_env(project, CI="true", **server.env())
    suite = run_suite(project, env, tmp_path / "report.xml", "--faults", "-n", "2")
    suite.assert_green()
    assert {"tests/test_server.py", FAULTS_FILE} <= suite.files(suite.passed)
    assert suite.header.startswith(
        f"database: one per pytest-xdist worker, e.g. postgresql+psycopg2://{server.user}:***@"
    )
    assert server.password not in suite.result.output


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
    tmp_path: Path,
) -> None:
    project = render(**answers)
    env = project_env(project, CI="true", BIGQUERY_EMULATOR_HOST=bigquery_emulator)
    hybrid = "use_bigquery_analytics" in answers
    if hybrid:
        env.update(server_factory("postgresql").env())
    suite = run_suite(project, env, tmp_path / "report.xml")
    assert suite.failed == {}, suite.result.output[-4000:]
    assert suite.files(suite.passed) >= EMULATOR_FILES
    # Only the slower fault tests wait for --faults.
    suite.assert_green(skipped={FAULTS_FILE: FAULTS_SKIPPED} if hybrid else None)


def test_analytics_tests_fail_under_ci_without_an_emulator(
    render: Renderer, tmp_path: Path
) -> None:
    project = render(database_backend="bigquery")
    nowhere = f"http://127.0.0.1:{closed_port()}"
    env = project_env(project, CI="true", BIGQUERY_EMULATOR_HOST=nowhere)
    suite = run_suite(project, env, tmp_path / "report.xml")
    assert suite.result.returncode == 1
    assert suite.files(suite.failed) == EMULATOR_FILES
    assert not EMULATOR_FILES & suite.files(suite.passed)
    assert suite.skipped == {}
    assert "(CI=true)" in suite.result.stdout


@pytest.mark.server
def test_a_mariadb_url_runs_the_server_tests(
    render: Renderer, server_factory: Callable[[str], Server], tmp_path: Path
) -> None:
    """TEST_DATABASE_URL spelled `mariadb+pymysql://`: the server tests run."""
    server = server_factory("mysql")
    project = render(database_backend="mysql")
    url = server.url(f"{server.database}_mariadb_test").set(
        drivername="mariadb+pymysql"
    )
    env = project_env(
        project, CI="true", TEST_DATABASE_URL=url.render_as_string(hide_password=False)
    )
    suite = run_suite(project, env, tmp_path / "report.xml", "tests/test_server.py")
    suite.assert_green()
    assert "database: mariadb+pymysql://" in suite.header
