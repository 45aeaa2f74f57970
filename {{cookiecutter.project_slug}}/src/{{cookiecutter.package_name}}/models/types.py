{%- set timestamp = cookiecutter._backends[cookiecutter.database_backend].timestamp_type -%}
{%- if not cookiecutter._backends[cookiecutter.database_backend].relational -%}
"""Time helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)
{%- else -%}
"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
{%- if timestamp %}
from typing import Any
{%- endif %}

from sqlalchemy import DateTime, Dialect
{%- if timestamp %}
{{ timestamp.import }}
{%- endif %}
from sqlalchemy.types import TypeDecorator{% if timestamp %}, TypeEngine{% endif %}
{%- if timestamp %}

#: {{ timestamp.why }}.
PRECISE_TIMESTAMP = {{ timestamp.type }}
{%- endif %}


def utc_now() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    Not every database keeps a time zone with a timestamp (SQLite and MySQL do
    not), so values are converted to UTC and stored without one, and the UTC
    zone is put back when they are read. A naive datetime is refused rather than
    guessed at.
    """

    impl = DateTime
    cache_ok = True
{%- if timestamp %}

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in {{ timestamp.dialects | tuple_literal }}:
            return dialect.type_descriptor(PRECISE_TIMESTAMP)
        return dialect.type_descriptor(DateTime())
{%- endif %}

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
{%- endif %}
