"""Alembic's entry point for the BigQuery dataset: the analytics tables.

Run as `alembic {{ "" if cookiecutter.database_backend == "bigquery" else "-n analytics " }}upgrade head`. The dataset comes
from the settings (BQ_DATASET_ID), and is created in BQ_LOCATION if missing;
a caller can pass an open connection in `config.attributes["connection"]`,
as the test suite does.

BigQuery runs DDL without transactions and Alembic takes no lock there: a
revision that fails halfway stays half applied, and two deploys migrating at
once can both apply the same revision. Keep one operation per revision, and
run one deploy at a time.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from google.cloud.bigquery import TimePartitioning
from sqlalchemy import Connection
from sqlalchemy_bigquery import BigQueryDialect

from {{ cookiecutter.package_name }}.infra.bigquery import (
    client_of,
    create_bigquery_engine,
    ensure_dataset,
)
from {{ cookiecutter.package_name }}.models.analytics_event import (
    AnalyticsBase,
)
from {{ cookiecutter.package_name }}.settings import get_settings

config = context.config
# Code that runs Alembic from Python (the test suite) keeps its own logging.
if config.config_file_name is not None and not config.attributes.get("keep_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _no_primary_key(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
    # BigQuery has no primary keys. The dialect reports one without a name,
    # which Alembic 1.18+ cannot compare (python-bigquery-sqlalchemy#1297);
    # an empty one compares cleanly.
    return {"constrained_columns": [], "name": None}


BigQueryDialect.get_pk_constraint = _no_primary_key


def render_item(
    type_: str, obj: object, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Write table options such as TimePartitioning into new revisions, with the import."""
    if isinstance(obj, TimePartitioning):
        autogen_context.imports.add(
            "from google.cloud.bigquery import TimePartitioning",
        )
        return f"TimePartitioning(field={obj.field!r})"
    return False


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (`--sql`)."""
    context.configure(
        dialect_name="bigquery",
        target_metadata=AnalyticsBase.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    settings = get_settings()
    engine = create_bigquery_engine(settings)
    try:
        with engine.connect() as connection:
            ensure_dataset(
                client_of(connection), settings.bq_dataset_id, settings.bq_location
            )
            run_migrations(connection)
    finally:
        engine.dispose()


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=AnalyticsBase.metadata,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
