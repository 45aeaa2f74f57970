{%- set db = cookiecutter | backend -%}
"""Inserting many rows by the fastest path the driver offers.

`insert_rows` takes rows already validated (the repositories do that) and
sends them inside the caller's transaction:

{%- if db.name == "postgresql" %}
- PostgreSQL: psycopg's `COPY ... FROM STDIN`, several times faster than an
  INSERT per row or multi-row VALUES. Its errors are psycopg's own; they are
  wrapped as SQLAlchemy wraps a statement's (`IntegrityError` for a taken
  unique value, with the SQLSTATE), so `errors.translate` maps them as
  usual, and a lost connection is invalidated as SQLAlchemy would.
{%- endif %}
- SQLite: the driver's `executemany`, each value bound through its column's
  type once per distinct value (the batch's timestamps are one value), past
  SQLAlchemy's per-row parameter processing.
- {% if db.name in ("postgresql", "sqlite") %}Elsewhere{% else %}{{ db.label }}{% endif %}: a Core INSERT as executemany, which SQLAlchemy batches
  within the dialect's parameter limits.

All rows go in, or, at the first error, none of what this call sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
{%- if db.name == "postgresql" %}
from sqlalchemy.exc import DBAPIError
{%- endif %}
from sqlalchemy.types import TypeEngine


def insert_rows(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert `rows` (dicts with the same keys: column names) into `table`."""
    if not rows:
        return
    backend = connection.dialect.name
{%- if db.name == "postgresql" %}
    if backend == "postgresql":
        preparer = connection.dialect.identifier_preparer
        columns = ", ".join(preparer.quote(name) for name in rows[0])
        statement = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
        _copy(connection, statement, _bound(connection, table, rows))
        return
{%- endif %}
    if backend == "sqlite":
        # The INSERT as SQLAlchemy writes it for these columns, sent as is.
        compiled = insert(table).compile(
            dialect=connection.dialect, column_keys=list(rows[0])
        )
        connection.exec_driver_sql(str(compiled), _bound(connection, table, rows))
        return
    connection.execute(insert(table), list(rows))


def _bound(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as tuples of what SQLAlchemy would hand the driver: each value
    through its column type's bind processing (a TypeDecorator's included).
    Built column by column, then zipped: far fewer Python steps per value."""
    columns = []
    for name in rows[0]:
        values = [row[name] for row in rows]
        process = _processor(connection, table.c[name].type)
        columns.append(values if process is None else list(map(process, values)))
    return list(zip(*columns, strict=True))


def _processor(
    connection: Connection, column_type: TypeEngine[Any]
) -> Callable[[Any], Any] | None:
    """The type's bind processor for this dialect (as a statement would run
    it: SQLite's turns datetimes into its text format), run once per
    distinct value."""
    dialect = connection.dialect
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    done: dict[Any, Any] = {}

    def once(value: Any) -> Any:
        try:
            return done[value]
        except KeyError:
            done[value] = result = process(value)
            return result
        except TypeError:  # not hashable: processed every time
            return process(value)

    return once
{%- if db.name == "postgresql" %}


def _copy(connection: Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """Run `statement`, a COPY FROM STDIN, with `rows`, on the psycopg
    connection under `connection`: in its transaction, its errors wrapped."""
    dbapi = connection.dialect.loaded_dbapi
    pooled = connection.connection
    driver_connection: Any = pooled.driver_connection  # psycopg's Connection
    cursor = driver_connection.cursor()
    # The engine's statement events, as for any statement: the commit-outcome
    # tracking must see the write (else a lost COMMIT reply would be retried,
    # and the rows copied twice), and the slow-query log its duration.
    events = connection.dispatch
    try:
        events.before_cursor_execute(connection, cursor, statement, None, None, True)
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        events.after_cursor_execute(connection, cursor, statement, None, None, True)
    except dbapi.Error as error:
        lost = connection.dialect.is_disconnect(error, pooled.dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            statement,
            None,
            error,
            dbapi.Error,
            connection_invalidated=lost,
            dialect=connection.dialect,
        ) from error
    finally:
        cursor.close()
{%- endif %}
