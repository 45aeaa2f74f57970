"""Alembic's entry point: runs migrations with the application's settings and models.

The URL comes from `get_db_url()` (DATABASE_URL or the DB_* settings). A caller
can pass an open connection in `config.attributes["connection"]`, as the test
suite does, to migrate inside its own transaction, or an engine, as
pytest-alembic does.

On SQLite, migrations run with foreign keys off (batch mode rebuilds tables,
and with them on, dropping the old table would delete the rows that reference
it), and then `PRAGMA foreign_key_check` must find no broken reference, or the
migration fails and nothing is committed.

Statements run without the application's statement and lock timeouts, unless
DB_MIGRATION_STATEMENT_TIMEOUT and DB_MIGRATION_LOCK_TIMEOUT set some: a long
migration must not be cut off by a web request's budget. A bad setting, or a
database that cannot be reached, is one line (`FAILED: ...`), not a traceback.
{%- if cookiecutter.database_backend == "oracle" %}

`alembic upgrade head --sql` writes a script for a DBA to run in SQL*Plus or
SQLcl on Oracle 19c (no BOOLEAN or JSON type, no bind variables);
`alembic -x oracle_version=23 upgrade head --sql` writes it for 23ai. Online,
the dialect reads the server's own version instead.
{%- endif %}
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import URL, Connection, Engine
{%- if cookiecutter.database_backend == "oracle" %}
from sqlalchemy.dialects.oracle.base import OracleDialect
{%- endif %}
from sqlalchemy.exc import SQLAlchemyError

from {{ cookiecutter.package_name }}.errors import translate
from {{ cookiecutter.package_name }}.infra.database import (
    create_db_engine,
    get_db_url,
    sqlite_foreign_keys_off,
)
from {{ cookiecutter.package_name }}.models import Base
from {{ cookiecutter.package_name }}.models.types import UTCDateTime
from {{ cookiecutter.package_name }}.settings import (
    SettingsError,
    get_settings,
)

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


def database_url() -> URL:
    """The URL from the settings; a bad setting is Alembic's one-line error."""
    try:
        return get_db_url()
    except SettingsError as error:
        raise CommandError(str(error)) from None


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    url = database_url()
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
{%- if cookiecutter.database_backend == "oracle" %}
    dialect = context.get_context().dialect
    if isinstance(dialect, OracleDialect):
        write_for_oracle_release(dialect, offline_oracle_version())
{%- endif %}
    with context.begin_transaction():
        context.run_migrations()
{%- if cookiecutter.database_backend == "oracle" %}


#: The Oracle release an offline script is written for: 19c, the oldest
#: supported one. `-x oracle_version=N` names another.
DEFAULT_OFFLINE_ORACLE_VERSION = 19


def offline_oracle_version() -> int:
    """The release given by `alembic -x oracle_version=N`, else 19 (19c)."""
    given = context.get_x_argument(as_dictionary=True).get("oracle_version")
    if given is None:
        return DEFAULT_OFFLINE_ORACLE_VERSION
    if not given.isdigit() or int(given) < 12:
        raise CommandError(
            f"-x oracle_version={given}: give the major release, 12 or later "
            "(19 for 19c, 23 for 23ai)"
        )
    return int(given)


def write_for_oracle_release(dialect: OracleDialect, version: int) -> None:
    """Set what the dialect learns from a server when it connects (online):
    without one it assumes the newest release.

    BOOLEAN is a type from 23ai on (earlier: SMALLINT holding 0 and 1), JSON
    from 21c. And no RETURNING: Alembic writes the revision into
    alembic_version as SQL text, which SQLAlchemy would read back with
    `RETURNING ... INTO :ret_0`, a bind variable a script has no value for.
    """
    dialect.server_version_info = (version,)
    dialect.supports_native_boolean = version >= 23
    dialect._supports_oracle_json = version >= 21
    dialect.insert_returning = False
{%- endif %}


def run_migrations_online() -> None:
    """Run the migrations on the given connection or engine, or on a new engine."""
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        run_migrations(given)
        return
    if isinstance(given, Engine):
        engine = given
    else:
        engine = create_db_engine(database_url(), get_settings().for_migrations())
    try:
        connection = engine.connect()
    except SQLAlchemyError as error:  # unreachable, login refused, no database
        raise CommandError(str(translate(error, engine.url))) from None
    try:
        with connection:
            run_migrations(connection)
    finally:
        if engine is not given:
            engine.dispose()


def run_migrations(connection: Connection) -> None:
    outside_a_transaction = not connection.in_transaction()
    with sqlite_foreign_keys_off(connection):
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
            render_item=render_item,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            on_version_apply=check_foreign_keys,
        )
        with context.begin_transaction():
            context.run_migrations()
        if outside_a_transaction and connection.in_transaction():
            connection.commit()  # what Alembic began after its own commit (reads)


def check_foreign_keys(
    ctx: MigrationContext, *_args: object, **_kwargs: object
) -> None:
    """On SQLite, fail a migration (before it commits) that left a row
    referencing a row that is gone."""
    connection = ctx.connection
    if connection is None or connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise CommandError(
            f"the migration left {len(broken)} rows whose foreign key points at "
            f"no row (first: {table} rowid {rowid} -> {parent}); it was undone"
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
