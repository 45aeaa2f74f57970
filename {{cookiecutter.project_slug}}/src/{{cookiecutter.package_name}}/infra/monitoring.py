"""Slow-query profiling: log every statement that takes longer than a threshold.

SQL logging itself is SQLAlchemy's: `DB_ECHO=true` (the engine's `echo`), or
`logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)`. Bound
parameters are never logged (the engine sets `hide_parameters`), since they can
hold personal data and password hashes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Connection, Engine, event

logger = logging.getLogger(__name__)

#: Longer statements are cut to this many characters in the log.
MAX_LOGGED_STATEMENT = 1000

_STARTED = "slow_query_started"


def log_slow_queries(engine: Engine, threshold_seconds: float) -> None:
    """Warn through this module's logger when a statement runs longer than the threshold.

    A threshold of 0 or less turns the warnings off.
    """
    if threshold_seconds <= 0:
        return

    def before(conn: Connection, *_args: Any) -> None:
        conn.info[_STARTED] = time.perf_counter()

    def after(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        started = conn.info.pop(_STARTED, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        if elapsed >= threshold_seconds:
            logger.warning(
                "slow query (%.3f s): %s", elapsed, statement[:MAX_LOGGED_STATEMENT]
            )

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
