"""Alembic: the migrations build exactly the models' schema, and undo it."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, func, inspect, select
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.infra.database import create_db_engine
from {{ cookiecutter.package_name }}.models import Base, Profile, User
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


#: A revision that makes SQLite rebuild `users` (copy, drop, rename): what
#: autogenerate writes for most changes to a SQLite table.
REBUILD_USERS = """
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"


def upgrade():
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.alter_column("username", type_=sa.String(150))


def downgrade():
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.alter_column("username", type_=sa.String(100))
"""
#: A revision that deletes users and leaves their profiles pointing nowhere.
ORPHAN_PROFILES = """
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade():
    op.execute("DELETE FROM users WHERE username = 'user1'")


def downgrade():
    pass
"""


@pytest.fixture
def sqlite_migrations(tmp_path: Path) -> Iterator[tuple[Config, Engine]]:
    """The project's migrations plus REBUILD_USERS and ORPHAN_PROFILES, for a
    SQLite file whose engine enforces foreign keys, as the application's does."""
    scripts = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "migrations", scripts)
    (scripts / "versions" / "0003_rebuild_users.py").write_text(REBUILD_USERS)
    (scripts / "versions" / "0004_orphan_profiles.py").write_text(ORPHAN_PROFILES)
    engine = create_db_engine(f"sqlite+pysqlite:///{tmp_path / 'kept.db'}", Settings())
    config = Config(PROJECT_ROOT / "alembic.ini")
    config.set_main_option("script_location", str(scripts))
    # An engine, as pytest-alembic passes it; env.py opens its own connection.
    config.attributes.update(connection=engine, keep_logging=True)
    yield config, engine
    engine.dispose()


def row_counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        users = connection.scalar(select(func.count()).select_from(User))
        profiles = connection.scalar(select(func.count()).select_from(Profile))
    return users or 0, profiles or 0


def add_users_with_profiles(engine: Engine, count: int) -> None:
    with Session(engine) as session:
        for n in range(count):
            user = User(username=f"user{n}", email=f"user{n}@example.com")
            user.password_hash = "x"
            user.profile = Profile(bio=f"bio {n}")
            session.add(user)
        session.commit()


def test_sqlite_table_rebuilds_keep_every_row(
    sqlite_migrations: tuple[Config, Engine],
) -> None:
    config, engine = sqlite_migrations
    command.upgrade(config, "0002")
    add_users_with_profiles(engine, 3)
    command.upgrade(config, "0003")  # users copied, dropped, renamed
    assert row_counts(engine) == (3, 3)
    command.downgrade(config, "0002")  # and back
    assert row_counts(engine) == (3, 3)
    with engine.connect() as connection:  # enforced again afterwards
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_migration_that_breaks_a_reference_is_undone(
    sqlite_migrations: tuple[Config, Engine],
) -> None:
    config, engine = sqlite_migrations
    command.upgrade(config, "0003")
    add_users_with_profiles(engine, 3)
    with pytest.raises(CommandError, match="foreign key points at no row"):
        command.upgrade(config, "0004")
    assert row_counts(engine) == (3, 3)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0003"


def test_sqlite_migration_in_a_transaction_with_foreign_keys_on_is_refused(
    sqlite_migrations: tuple[Config, Engine],
) -> None:
    config, engine = sqlite_migrations
    command.upgrade(config, "0002")
    add_users_with_profiles(engine, 3)
    with engine.begin() as connection:  # foreign keys on, transaction begun
        config.attributes["connection"] = connection
        with pytest.raises(RuntimeError, match="before the transaction begins"):
            command.upgrade(config, "0003")
    assert row_counts(engine) == (3, 3)
