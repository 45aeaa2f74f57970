{%- set db = cookiecutter | backend -%}
"""The connect, statement and lock timeouts on {{ db.label }} (0: none).

`create_db_engine()` calls `apply_server_timeouts()` for every {{ db.label }}
engine: the settings reach each new connection through the driver's options
(`do_connect`) and, where the server needs a statement, when it connects.
"""

from __future__ import annotations

{% if cookiecutter.database_backend != "oracle" -%}
import math
{% endif -%}
from typing import Any

from sqlalchemy import Engine, event

from ..settings import Settings


{% filter trim %}{% if db.server %}{% include "backends/" ~ cookiecutter.database_backend ~ "/timeouts.py" %}{% endif %}{% endfilter %}


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)
