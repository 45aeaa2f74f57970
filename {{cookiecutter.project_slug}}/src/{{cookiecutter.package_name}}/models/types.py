{%- set db = cookiecutter | backend -%}
{%- set timestamp = db.timestamp_type -%}
{%- set label = db.label -%}
{%- set zone = timestamp.zone if timestamp else none -%}
"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
{%- if timestamp %}
from typing import Any
{%- endif %}
{%- if zone == "sql" %}

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    DateTime,
    Dialect,
    Integer,
    cast,
    func,
    literal_column,
)
{%- else %}

from sqlalchemy import BigInteger, DateTime, Dialect, Integer
{%- endif %}
{%- if timestamp %}
from sqlalchemy.dialects import {{ timestamp.dialects[0] }}
{%- endif %}
from sqlalchemy.types import TypeDecorator{% if timestamp %}, TypeEngine{% endif %}

#: The type of every `Mapped[int]` column (`Base.type_annotation_map`): BIGINT,
#: so ids, and the foreign keys that hold them, never run out. On SQLite it is
#: INTEGER: only an INTEGER primary key is the rowid, numbered automatically
#: (and 64-bit already).
BIG_INTEGER = BigInteger().with_variant(Integer(), "sqlite")
{%- if timestamp %}

{% filter trim %}{% include "backends/" ~ db.name ~ "/timestamp_type.py" %}{% endfilter %}
{%- endif %}


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)
{%- if zone == "sql" %}


{% filter trim %}{% include "backends/" ~ cookiecutter.database_backend ~ "/timestamp.py" %}{% endfilter %}
{%- endif %}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp written as UTC and always read back timezone-aware, in UTC.

{%- if zone == "driver" %}

    On {{ label }} the column keeps the instant (`TIMESTAMP_TYPE`): the driver
    sends the aware value, and the one it returns, in the session's time zone,
    is converted back to UTC. Where a database keeps no time zone (SQLite, when
    the project is pointed at it), the value is stored as UTC without one and
    the UTC zone is put back when it is read.
{%- elif zone == "sql" %}

    On {{ label }} the column keeps the instant (`TIMESTAMP_TYPE`), converted to
    and from UTC by the database (`ZonedTimestamp`). Where a database keeps no
    time zone (SQLite, when the project is pointed at it), the value is stored
    as UTC without one and the UTC zone is put back when it is read.
{%- else %}

    Not every database keeps a time zone with a timestamp (SQLite, MySQL and
    SQL Server's DATETIME2 do not), so values are converted to UTC and stored
    without one, and the UTC zone is put back when they are read.
{%- endif %}
    A naive datetime is refused rather than guessed at.
    """

    impl = DateTime
    cache_ok = True
{%- if timestamp %}

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in {{ timestamp.dialects | tuple_literal }}:
{%- if zone == "sql" %}
            return ZonedTimestamp()
{%- else %}
            return dialect.type_descriptor(TIMESTAMP_TYPE)
{%- endif %}
        return dialect.type_descriptor(DateTime())
{%- endif %}

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone")
{%- if zone == "driver" %}
        if dialect.name in {{ timestamp.dialects | tuple_literal }}:
            return value.astimezone(UTC)
{%- endif %}
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
{%- if zone == "driver" %}
        if value.tzinfo is not None:
            return value.astimezone(UTC)
{%- endif %}
        return value.replace(tzinfo=UTC)
