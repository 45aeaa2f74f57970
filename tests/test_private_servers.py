"""The private servers of tests/private_servers.py: freeze() stops exactly one
instance from answering, thaw() brings it back."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pymysql
import pytest

from conftest import missing
from private_servers import PrivateMariaDB, PrivatePostgres

#: The client timeout while a server is frozen, in seconds.
TIMEOUT = 2


def elapsed_since(started: float) -> float:
    return time.perf_counter() - started


@pytest.mark.server
def test_freeze_and_thaw() -> None:
    for kind in (PrivatePostgres, PrivateMariaDB):
        reason = kind.available()
        if reason:
            missing(f"a private {kind.name}: {reason}")
    # The pool is left last: the servers are thawed and stopped before it waits
    # for a query that a frozen server would never answer.
    with (
        ThreadPoolExecutor(1) as pool,
        PrivatePostgres() as postgres,
        PrivateMariaDB() as mariadb,
    ):
        # PostgreSQL: psycopg has no client timeout for a query, only for
        # connecting; a connection opened before the freeze just waits.
        waiting = postgres.connect(timeout=30)
        postgres.freeze()
        assert mariadb.is_up(), "freezing PostgreSQL froze MariaDB too"
        pending = pool.submit(lambda: waiting.execute("SELECT 1").fetchone())
        started = time.perf_counter()
        with pytest.raises(psycopg.OperationalError):
            postgres.connect(TIMEOUT)
        assert TIMEOUT * 0.75 <= elapsed_since(started) < TIMEOUT * 5
        assert not pending.done(), "a frozen PostgreSQL answered"
        postgres.thaw()
        assert pending.result(timeout=10) == (1,)  # the waiting query completes
        waiting.close()
        with postgres.connect(TIMEOUT) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)

        # MariaDB: PyMySQL gives up on a read after read_timeout.
        connection = mariadb.connect(TIMEOUT)
        mariadb.freeze()
        assert postgres.is_up(), "freezing MariaDB froze PostgreSQL too"
        started = time.perf_counter()
        with pytest.raises(pymysql.err.OperationalError):
            connection.cursor().execute("SELECT 1")
        assert TIMEOUT * 0.75 <= elapsed_since(started) < TIMEOUT * 5
        connection.close()
        mariadb.thaw()
        connection = mariadb.connect(TIMEOUT)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        connection.close()
