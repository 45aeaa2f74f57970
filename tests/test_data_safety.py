"""The generated suite never erases data it was not made for.

A development database with the longest name the server allows (PostgreSQL
would cut "<63 bytes>_test" back to the name itself), holding a marker row:
a full run of the generated suite leaves the row where it was, and pointing
TEST_DATABASE_URL at a database that holds data is refused with one line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from conftest import (
    FACTS,
    FAULTS_FILE,
    FAULTS_SKIPPED,
    LIVE_BACKENDS,
    Renderer,
    Server,
    project_env,
    run,
    run_suite,
)

ALEMBIC = [sys.executable, "-m", "alembic"]
MARKER = "marker-row"


def marker_rows(server: Server, database: str) -> list[str]:
    engine = create_engine(server.url(database), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            query = text("SELECT username FROM users WHERE username = :name")
            return list(connection.scalars(query, {"name": MARKER}))
    finally:
        engine.dispose()


@pytest.mark.server
@pytest.mark.parametrize("backend", LIVE_BACKENDS)
def test_longest_database_name_keeps_its_data(
    render: Renderer,
    server_factory: Callable[[str], Server],
    backend: str,
    tmp_path: Path,
) -> None:
    server = server_factory(backend)
    project = render(database_backend=backend)
    limit = FACTS[backend]["name_max_bytes"]
    development = f"{server.database}_" + "d" * (limit - len(server.database) - 1)
    assert len(development) == limit
    server.admin(
        {
            "postgresql": f'CREATE DATABASE "{development}" OWNER {server.user}',
            "mysql": f"CREATE DATABASE `{development}` CHARACTER SET utf8mb4",
        }[backend]
    )
    env = project_env(project, CI="true", **{**server.env(), "DB_NAME": development})
    migrate = run([*ALEMBIC, "upgrade", "head"], project, env)
    assert migrate.returncode == 0, migrate.output
    server.admin(
        "INSERT INTO users (username, username_key, email, password_hash, active,"
        f" created_at, updated_at, version) VALUES ('{MARKER}', '{MARKER.lower()}',"
        " 'marker@example.com', 'x',"
        " TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
        database=development,
    )

    suite = run_suite(project, env, tmp_path / "report.xml")
    suite.assert_green(skipped={FAULTS_FILE: FAULTS_SKIPPED})
    # The header names the database the suite used: a shortened, hashed name.
    used = suite.header.rsplit("/", 1)[1].split("?")[0]
    assert used != development
    assert used.endswith("_test")
    assert len(used.encode()) <= limit
    assert marker_rows(server, development) == [MARKER]

    # TEST_DATABASE_URL at that database: as the development one, and (with
    # DB_NAME elsewhere) as a database whose name does not say "test".
    target = server.url(development).render_as_string(hide_password=False)
    refusals = {
        "is the development database": env,
        "is not named for tests": {**env, "DB_NAME": server.database},
    }
    for reason, settings in refusals.items():
        refused = run_suite(
            project, {**settings, "TEST_DATABASE_URL": target}, tmp_path / "no.xml"
        )
        assert refused.result.returncode == 4, refused.result.output  # usage error
        lines = [
            line
            for line in refused.result.output.splitlines()
            if "test database: " in line
        ]
        assert len(lines) == 1, refused.result.output
        assert reason in lines[0]
        assert (
            "TEST_DATABASE_URL" in lines[0] or "TEST_DATABASE_MAY_BE_ERASED" in lines[0]
        )
        assert server.password not in refused.result.output
        assert refused.passed == set()
        assert marker_rows(server, development) == [MARKER]
