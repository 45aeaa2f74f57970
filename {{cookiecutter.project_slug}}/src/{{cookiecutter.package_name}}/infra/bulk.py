{%- set db = cookiecutter | backend -%}
"""Inserting many rows by the fastest path the driver offers.

`insert_rows` sends rows (the repositories check them first) inside the
caller's transaction:

{% if db.name == "postgresql" -%}
- PostgreSQL: `COPY ... FROM STDIN`, several times faster than an INSERT per
  row or multi-row VALUES: psycopg 3's `Cursor.copy`, or psycopg2's
  `copy_expert`, which reads the rows as a file in COPY's text format
  (`_CopyText`), whichever driver `DB_DRIVER` names. The rows may come from
  an iterator, consumed as the COPY runs: the checks that make each row run
  while the server stores the ones before. Its errors are the driver's own; they are
  wrapped as SQLAlchemy wraps a statement's (`IntegrityError` for a taken
  unique value, with the SQLSTATE), so `errors.translate` maps them as
  usual, and a lost connection is invalidated as SQLAlchemy would.
{% endif -%}
- SQLite{% if db.name == "mysql" %} and MySQL / MariaDB{% endif %}: the driver's `executemany`{% if db.name == "mysql" %} (PyMySQL's sends
  multi-row INSERTs, each within its 1 MB statement limit){% endif %}, each value bound
  through its column's type once per distinct value (the batch's timestamps
  are one value), past SQLAlchemy's per-row parameter processing.
{%- if db.name not in ("postgresql", "sqlite", "mysql") %}
- {{ db.label }}: a Core INSERT as executemany, which SQLAlchemy batches
  within the dialect's parameter limits.
{%- endif %}

Any error, the database's or one raised while the rows are produced, leaves
none of them stored once the caller rolls back (the repositories use a
savepoint).
"""

from __future__ import annotations
{% if db.name == "postgresql" %}
import re
{%- endif %}
from collections.abc import Callable, Iterable
{%- if db.name == "postgresql" %}
from functools import lru_cache
{%- endif %}
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
{%- if db.name == "postgresql" %}
from sqlalchemy.exc import DBAPIError
{%- endif %}
from sqlalchemy.types import TypeEngine


def insert_rows(
    connection: Connection, table: Table, rows: Iterable[dict[str, Any]]
) -> int:
    """Insert `rows` (dicts with the same keys: column names) into `table`;
    returns how many."""
    remaining = iter(rows)
    first = next(remaining, None)
    if first is None:
        return 0
{%- if db.name not in ("postgresql", "sqlite", "mysql") %}
    if connection.dialect.name != "sqlite":
        listed = [first, *remaining]
        connection.execute(insert(table), listed)
        return len(listed)
{%- endif %}
    values = map(_binder(connection, table, list(first)), chain([first], remaining))
{%- if db.name == "postgresql" %}
    if connection.dialect.name == "postgresql":
        preparer = connection.dialect.identifier_preparer
        columns = ", ".join(preparer.quote(name) for name in first)
        statement = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
        return _copy(connection, statement, values)
{%- endif %}
    # The INSERT as SQLAlchemy writes it for these columns, sent as is.
    compiled = insert(table).compile(
        dialect=connection.dialect, column_keys=list(first)
    )
    bound: list[Any] = list(values)
{%- if db.name == "mysql" %}
    if not compiled.positional:  # PyMySQL's %(name)s parameters: a dict a row
        names = list(first)
        bound = [dict(zip(names, row, strict=True)) for row in bound]
{%- endif %}
    connection.exec_driver_sql(str(compiled), bound)
    return len(bound)


def _binder(
    connection: Connection, table: Table, columns: list[str]
) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values as SQLAlchemy would hand them to the driver: each
    through its column type's bind processing (a TypeDecorator's included)."""
    take = itemgetter(*columns)
    many = len(columns) > 1  # else `take` returns the value, not a tuple
    processed = [
        (index, process)
        for index, name in enumerate(columns)
        if (process := _processor(connection, table.c[name].type)) is not None
    ]

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        found = list(take(row)) if many else [take(row)]
        for index, process in processed:
            found[index] = process(found[index])
        return tuple(found)  # what SQLAlchemy's executemany takes

    return values


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


def _copy(
    connection: Connection, statement: str, rows: Iterable[tuple[Any, ...]]
) -> int:
    """Run `statement`, a COPY FROM STDIN, with `rows`, on the psycopg
    connection under `connection`: in its transaction, its errors wrapped.
    Returns how many rows were sent."""
    sent = 0
    dbapi = connection.dialect.loaded_dbapi
    pooled = connection.connection
    driver_connection: Any = pooled.driver_connection  # psycopg's or psycopg2's
    cursor = driver_connection.cursor()
    # The engine's statement events, as for any statement: the commit-outcome
    # tracking must see the write (else a lost COMMIT reply would be retried,
    # and the rows copied twice), and the slow-query log its duration.
    events = connection.dispatch
    try:
        events.before_cursor_execute(connection, cursor, statement, None, None, True)
        if connection.dialect.driver == "psycopg2":
            source = _CopyText(rows)
            try:
                cursor.copy_expert(statement, source, size=COPY_READ_SIZE)
            except dbapi.Error:
                # psycopg2 ends the COPY when reading fails and raises its
                # own error: the caller gets the one that made it fail.
                if source.failure is not None:
                    raise source.failure from None
                raise
            sent = source.sent
        else:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
                    sent += 1
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
    return sent


#: How many characters psycopg2 asks `_CopyText` for at a time.
COPY_READ_SIZE = 1 << 16
#: COPY's text format: these characters are written as backslash escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


class _CopyText:
    """`rows` as COPY's text format, for psycopg2's `copy_expert`, which reads
    it as a file: one line per row, produced as it is read."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self._lines = map(_copy_line, rows)
        self.sent = 0
        #: What making a row raised (a ValidationError, say), if anything.
        self.failure: Exception | None = None

    def read(self, size: int = COPY_READ_SIZE) -> str:
        lines: list[str] = []
        length = 0
        try:
            for line in self._lines:
                lines.append(line)
                length += len(line)
                if length >= size:
                    break
        except Exception as error:
            self.failure = error
            raise
        self.sent += len(lines)
        return "".join(lines)  # "" once the rows are all read: the end


def _copy_line(row: tuple[Any, ...]) -> str:
    return "\t".join(map(_copy_value, row)) + "\n"


def _copy_value(value: Any) -> str:
    """A value as COPY's text format writes it."""
    if type(value) is str:
        return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value
    try:
        return _copy_text(value)
    except TypeError:  # not hashable: not cached
        return _copy_text.__wrapped__(value)


# A batch repeats its timestamps and flags. `typed`: True and 1 are equal
# keys otherwise, and 1 would be written as "t".
@lru_cache(maxsize=1024, typed=True)
def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)
{%- endif %}
