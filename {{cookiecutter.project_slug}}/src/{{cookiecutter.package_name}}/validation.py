"""Checks on text before it reaches the database.

Every database here stores any Unicode text, with two exceptions this module
refuses up front, so all backends behave alike: NUL characters (PostgreSQL
cannot store them) and lone surrogates (not valid UTF-8; they come from
undecodable bytes read with `errors="surrogateescape"`).
"""

from __future__ import annotations

from .errors import ValidationError


def storable_text(field: str, value: object, max_length: int | None = None) -> str:
    """`value` unchanged if it can be stored and compared, else ValidationError."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text, got {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters")
    if "\x00" in value:
        raise ValidationError(f"{field} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{field} is not valid Unicode text") from None
    return value
