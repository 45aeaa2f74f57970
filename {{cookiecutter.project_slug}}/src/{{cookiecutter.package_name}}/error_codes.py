{#- BigQuery-only projects have no relational database: this file is removed. -#}
{%- set db = cookiecutter | backend -%}
{%- set backends = (["sqlite", db.name] | unique | list) if db.relational else [] -%}
"""What each driver's error codes mean: errors are classified by what happened.

`classify()` reads the code a driver attaches to its error (a SQLSTATE, an error
number, an ORA- code), not the class the driver chose for it: PyMySQL, for one,
raises a deadlock, a lock timeout and a missing column alike as
OperationalError. No driver is imported here.

`details()` reads what an error names (its code, the constraint, table and
column) without the values a server's message may quote: PostgreSQL's
"Failing row contains (...)" holds the whole row, password hash included, and
MySQL's "Duplicate entry '...'" the value. The project's errors carry only
these details, never the driver's message about the data.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

#: What an error means for the caller. duplicate, constraint: the write was
#: refused. connection: the server could not be reached, or the connection
#: broke (try again). transient: a deadlock, a lock wait that timed out, a
#: serialization failure (run the unit of work again). timeout: the statement
#: ran too long (running it again only doubles the wait). schema: a table or
#: column is missing (migrate). no_database: the database itself is missing.
#: access: a login or permission was refused.
Kind = Literal[
    "duplicate",
    "constraint",
    "connection",
    "transient",
    "timeout",
    "schema",
    "no_database",
    "access",
]


class Details(NamedTuple):
    """What a driver's error names, without any value it quotes."""

    #: The SQLSTATE, error number, ORA- code or SQLite result code.
    code: str | None = None
    constraint: str | None = None
    table: str | None = None
    column: str | None = None
{%- for name in backends %}


{% filter trim %}{% include "backends/" ~ name ~ "/error_codes.py" %}{% endfilter %}
{%- endfor %}


def classify(orig: object) -> Kind | None:
    """The kind of the driver's error `orig`; None when its code is not listed here."""
    for classify_driver in ({% for name in backends %}classify_{{ name }}{% if not loop.last %}, {% endif %}{% endfor %}{% if backends | length == 1 %},{% endif %}):
        kind = classify_driver(orig)
        if kind is not None:
            return kind
    return None


def details(orig: object) -> Details:
    """The code and the names in the driver's error `orig`, none of its values."""
    for details_driver in ({% for name in backends %}details_{{ name }}{% if not loop.last %}, {% endif %}{% endfor %}{% if backends | length == 1 %},{% endif %}):
        found = details_driver(orig)
        if found is not None:
            return found
    return Details()
