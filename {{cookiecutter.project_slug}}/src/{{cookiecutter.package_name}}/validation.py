{%- set mssql = cookiecutter.database_backend == "mssql" -%}
{%- set relational = (cookiecutter | backend).relational -%}
"""Checks on text before it reaches the database.

Every database here stores any Unicode text, with two exceptions this module
refuses up front, so all backends behave alike: NUL characters (PostgreSQL
cannot store them) and lone surrogates (not valid UTF-8; they come from
undecodable bytes read with `errors="surrogateescape"`).
{%- if mssql %}

Lengths are checked as the column counts them (`column_length`): SQL Server's
NVARCHAR(n) holds n UTF-16 code units, and a character outside the Basic
Multilingual Plane (most emoji) takes two. Counted in characters, 51 to 100
emoji would pass here and be refused by the server (error 2628).
{%- endif %}
"""

from __future__ import annotations

from .errors import ValidationError
{%- if not relational %}
{%- elif mssql %}

#: What a column's length counts on SQL Server (NVARCHAR).
LENGTH_UNIT = "UTF-16 code units (an emoji counts 2)"


def column_length(value: str) -> int:
    """The length of `value` as an NVARCHAR column counts it: UTF-16 code units."""
    return len(value.encode("utf-16-le", "surrogatepass")) // 2
{%- else %}

#: What a text column's length counts: characters (Unicode code points).
LENGTH_UNIT = "characters"


def column_length(value: str) -> int:
    """The length of `value` as a text column counts it: characters (code points)."""
    return len(value)
{%- endif %}


def storable_text(field: str, value: object, max_length: int | None = None) -> str:
    """`value` unchanged if it can be stored and compared, else ValidationError.

    `max_length` counts characters (code points).
{%- if relational %} `column_text` checks a
    value against a column of this project's database.
{%- endif %}
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text, got {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters")
    if "\x00" in value:
        raise ValidationError(f"{field} must not contain NUL characters")
    if value.isascii():  # nothing to encode: a flag CPython keeps on the string
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{field} is not valid Unicode text") from None
    return value
{%- if relational %}


def column_text(field: str, value: object, max_length: int) -> str:
    """`value` if it fits a text column of `max_length`, else ValidationError.

    The length is counted as the column counts it (`column_length`).
    """
    text = storable_text(field, value)
    if column_length(text) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} {LENGTH_UNIT}")
    return text
{%- endif %}
