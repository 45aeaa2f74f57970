"""Alembic: the migrations build exactly the models' schema, and undo it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.models import Base
from {{ cookiecutter.package_name }}.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_migrations_match_the_models(connection: Connection) -> None:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []


def test_single_head(alembic_config: Config) -> None:
    assert len(ScriptDirectory.from_config(alembic_config).get_heads()) == 1


def test_downgrade_to_base_and_back(
    alembic_config: Config, migration_connection: Connection
) -> None:
    command.downgrade(alembic_config, "base")
    tables = set(inspect(migration_connection).get_table_names())
    assert tables <= {"alembic_version"}
    command.upgrade(alembic_config, "head")
    tables = set(inspect(migration_connection).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_offline_sql_creates_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "get_settings", lambda: Settings(db_type="sqlite"))
    output = io.StringIO()
    config = Config(PROJECT_ROOT / "alembic.ini", output_buffer=output)
    config.attributes["keep_logging"] = True
    command.upgrade(config, "head", sql=True)  # `alembic upgrade head --sql`
    sql = output.getvalue()
    assert "CREATE TABLE users" in sql
    assert "CREATE TABLE profiles" in sql
    assert "CONSTRAINT uq_users_email UNIQUE (email)" in sql
