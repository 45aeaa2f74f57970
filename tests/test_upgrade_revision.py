"""The revision CHANGELOG.md gives older projects, run on a database they built.

tests/data/schema_before_bigint_ids/ holds the DDL the previous first
migrations wrote (32-bit ids; timestamps without time zone on PostgreSQL).
Rows go into it, the revision runs from a project of the current template,
and then: the columns have the new types, the rows the same instants (UTC),
and the current models match the database (`alembic check`) and work on it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from conftest import LIVE_BACKENDS, TEMPLATE, Renderer, Server, project_env, run

ALEMBIC = [sys.executable, "-m", "alembic"]
REVISION = TEMPLATE / "changelog" / "20261201_bigint_ids_and_zoned_timestamps.py"
USERNAME_KEY = TEMPLATE / "changelog" / "20261202_username_key.py"
OLD_SCHEMA = Path(__file__).parent / "data" / "schema_before_bigint_ids"
CREATED = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
#: The old columns held UTC wall times without a zone.
OLD_ROWS = [
    "INSERT INTO users (username, email, password_hash, active, created_at,"
    " updated_at, version) VALUES ('ada', 'ada@example.com', 'x', TRUE,"
    " '2030-01-02 03:04:05.678901', '2030-01-02 03:04:05.678901', 1)",
    "INSERT INTO profiles (user_id, bio, created_at, updated_at, version)"
    " SELECT id, 'first', created_at, updated_at, 1 FROM users",
]
EXPECTED_TYPES = {
    "postgresql": ("bigint", "timestamp with time zone"),
    "mysql": ("bigint", "datetime"),
}
#: Run by the project's own code after the upgrade: the old row reads back as
#: the same instant, and new rows with a profile can be written.
USE_THE_MODELS = f"""
from datetime import datetime
from sqlalchemy import select
from my_service.infra.database import get_session
from my_service.models import Profile, User
with get_session() as session:
    ada = session.scalars(select(User)).one()
    assert ada.username_key == "ada", ada.username_key
    assert ada.created_at == datetime.fromisoformat({CREATED.isoformat()!r}), ada.created_at
    grace = User(username="grace", email="grace@example.com", password_hash="x")
    session.add(grace)
    session.flush()
    session.add(Profile(user_id=grace.id, bio="second"))
"""


@pytest.mark.server
@pytest.mark.parametrize("backend", LIVE_BACKENDS)
def test_revision_converts_an_old_database(
    render: Renderer,
    server_factory: Callable[[str], Server],
    backend: str,
    tmp_path: Path,
) -> None:
    server = server_factory(backend)
    database = f"{server.database}_old"
    server.admin(
        {
            "postgresql": f'CREATE DATABASE "{database}" OWNER {server.user}',
            "mysql": f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4",
        }[backend]
    )
    engine = create_engine(
        server.url(database), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            for statement in statements((OLD_SCHEMA / f"{backend}.sql").read_text()):
                connection.exec_driver_sql(statement)
            for statement in OLD_ROWS:
                connection.execute(text(statement))

        project = tmp_path / "project"
        shutil.copytree(render(database_backend=backend), project)
        shutil.copy(REVISION, project / "migrations" / "versions")
        shutil.copy(USERNAME_KEY, project / "migrations" / "versions")
        # A session time zone other than UTC: the conversion must not use it.
        env = project_env(
            project, PGTZ="Asia/Tokyo", **{**server.env(), "DB_NAME": database}
        )
        for command in (["upgrade", "head"], ["check"]):
            result = run([*ALEMBIC, *command], project, env)
            assert result.returncode == 0, result.output
        assert "No new upgrade operations detected." in result.output

        integer, timestamp = EXPECTED_TYPES[backend]
        with engine.connect() as connection:
            types = dict(
                connection.execute(
                    text(
                        "SELECT CONCAT(table_name, '.', column_name), data_type"
                        " FROM information_schema.columns"
                        " WHERE table_schema = :schema"
                        " AND table_name IN ('users', 'profiles')"
                    ),
                    {"schema": "public" if backend == "postgresql" else database},
                ).all()
            )
            stamps = connection.execute(
                text("SELECT created_at, updated_at FROM profiles")
            ).one()
        for column in ("id", "version"):
            assert types[f"users.{column}"] == integer
            assert types[f"profiles.{column}"] == integer
        assert types["profiles.user_id"] == integer
        assert {
            types[f"{t}.{c}"]
            for t in ("users", "profiles")
            for c in ("created_at", "updated_at")
        } == {timestamp}
        # The same instants: timestamptz reads back aware, DATETIME as UTC wall time.
        for stamp in stamps:
            assert stamp == (
                CREATED if backend == "postgresql" else CREATED.replace(tzinfo=None)
            )

        used = run([sys.executable, "-c", USE_THE_MODELS], project, env)
        assert used.returncode == 0, used.output
    finally:
        engine.dispose()


def statements(script: str) -> list[str]:
    """The statements of an SQL script, without its comments."""
    bodies = (
        "\n".join(line for line in part.splitlines() if not line.startswith("--"))
        for part in script.split(";\n")
    )
    return [body.strip() for body in bodies if body.strip()]
