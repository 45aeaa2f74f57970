"""Alembic's entry point: runs migrations with the application's settings and models.

The URL comes from `get_db_url()` (DATABASE_URL or the DB_* settings). A caller
can pass an open connection in `config.attributes["connection"]`, as the test
suite does, to migrate inside its own transaction.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from {{ cookiecutter.package_name }}.infra.database import (
    create_db_engine,
    get_db_url,
)
from {{ cookiecutter.package_name }}.models import Base
from {{ cookiecutter.package_name }}.models.types import UTCDateTime

config = context.config
# Code that runs Alembic from Python (the test suite) keeps its own logging.
if config.config_file_name is not None and not config.attributes.get("keep_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(
    type_: str, obj: object, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Write the project's own column types into new revisions, with their import."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add(
            "from {{ cookiecutter.package_name }}.models.types import UTCDateTime",
        )
        return "UTCDateTime()"
    return False


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    url = get_db_url()
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = create_db_engine(get_db_url())
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_item=render_item,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
