{#- BigQuery-only projects have no relational database: this file is removed. -#}
{%- set backends = [] -%}
{%- for name in ["sqlite", cookiecutter.database_backend] | unique if cookiecutter._backends[name].relational -%}
{%- set _ = backends.append(name) -%}
{%- endfor -%}
"""What each driver's error codes mean: errors are classified by what happened.

`classify()` reads the code a driver attaches to its error (a SQLSTATE, an error
number, an ORA- code), not the class the driver chose for it: PyMySQL, for one,
raises a deadlock, a lock timeout and a missing column alike as
OperationalError. No driver is imported here.
"""

from __future__ import annotations

{% if "mssql" in backends -%}
import re
{% endif -%}
from typing import Literal

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
