"""The database module: sessions, transactions, the pool, retries and logging."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, make_url, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.errors import DatabaseConnectionError
from {{ cookiecutter.package_name }}.infra import database
from {{ cookiecutter.package_name }}.infra.database import (
    create_db_engine,
    execute_with_retry,
    get_pool_status,
    get_session,
)
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.settings import Settings

THREADS = 16


def new_user(name: str) -> User:
    return User(username=name, email=f"{name}@example.com", password_hash="x")


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def test_get_session_commits_on_success(
    session_factory: sessionmaker[Session],
) -> None:
    with get_session() as session:
        session.add(new_user("committed"))
    with session_factory() as other:
        assert other.scalar(select(User.username)) == "committed"


def test_get_session_rolls_back_on_error(
    session_factory: sessionmaker[Session],
) -> None:
    def fail_after_writing() -> None:
        with get_session() as session:
            session.add(new_user("doomed"))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_after_writing()
    with session_factory() as other:
        assert count_users(other) == 0


def test_get_session_closes_the_session(session_factory: sessionmaker[Session]) -> None:
    with get_session() as session:
        session.add(new_user("closing"))
    assert not session.in_transaction()
    assert list(session) == []  # closed: nothing is attached any more


def test_manual_transaction_flush_gives_ids_before_commit(
    session_factory: sessionmaker[Session],
) -> None:
    session = session_factory()
    try:
        user = new_user("manual")
        session.add(user)
        session.flush()  # sends the INSERT: the id is known, nothing is committed
        assert user.id is not None
        session.commit()
    finally:
        session.close()


def test_savepoint_rollback_undoes_only_its_own_work(db_session: Session) -> None:
    db_session.add(new_user("outer"))
    savepoint = db_session.begin_nested()
    db_session.add(new_user("inner"))
    db_session.flush()
    savepoint.rollback()
    db_session.commit()
    assert db_session.scalars(select(User.username)).all() == ["outer"]


def test_failed_write_inside_savepoint_keeps_the_transaction(
    db_session: Session,
) -> None:
    db_session.add(new_user("first"))
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(new_user("first"))
    db_session.add(new_user("second"))
    db_session.commit()
    assert count_users(db_session) == 2


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a SQLite file: it has a real connection pool to inspect."""
    engine = create_db_engine(
        f"sqlite+pysqlite:///{tmp_path / 'pool.db'}",
        Settings(db_pool_size=2, db_max_overflow=1, db_pool_timeout=0.01),
    )
    yield engine
    engine.dispose()


def test_engine_takes_pool_settings(file_engine: Engine) -> None:
    pool = file_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.size() == 2
    assert not pool._pre_ping  # a file has no connection to lose: no SELECT 1
    assert pool._recycle == 3600
    assert file_engine.hide_parameters


def test_in_memory_sqlite_engine_has_no_pool_sizes() -> None:
    engine = create_db_engine("sqlite+pysqlite://", Settings(db_max_overflow=5))
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
        assert get_pool_status(engine)["total"] == 0
    finally:
        engine.dispose()


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The usual umask (022), under which new files are readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_sqlite_files_are_private_to_their_owner(tmp_path: Path) -> None:
    """The database file, and the -wal and -shm files SQLite makes beside it
    in WAL mode, hold password hashes: 0600, not world-readable."""
    path = tmp_path / "app.db"
    engine = create_db_engine(f"sqlite+pysqlite:///{path}", Settings())
    try:
        with engine.connect() as connection:
            # Outside a transaction: the engine's own BEGIN comes later.
            driver: Any = connection.connection.driver_connection
            driver.execute("PRAGMA journal_mode = WAL")
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.commit()
            modes = {
                file.name: oct(file.stat().st_mode & 0o777)
                for file in tmp_path.iterdir()
            }
    finally:
        engine.dispose()
    assert modes == dict.fromkeys(["app.db", "app.db-wal", "app.db-shm"], "0o600")


@pytest.mark.usefixtures("usual_umask")
def test_an_existing_sqlite_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    engine = create_db_engine(f"sqlite+pysqlite:///{path}", Settings())
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    finally:
        engine.dispose()
    assert path.stat().st_mode & 0o777 == 0o640


def test_pool_status_counts_connections(file_engine: Engine) -> None:
    assert get_pool_status(file_engine) == {
        "size": 2,
        "checked_in": 0,
        "checked_out": 0,
        "overflow": 0,
        "total": 0,
    }
    first, second, third = (file_engine.connect() for _ in range(3))
    status = get_pool_status(file_engine)
    assert status == {
        "size": 2,
        "checked_in": 0,
        "checked_out": 3,
        "overflow": 1,
        "total": 3,
    }
    with pytest.raises(PoolTimeoutError, match="QueuePool limit"):
        file_engine.connect()  # pool_size + max_overflow reached: waits, then times out
    for connection in (first, second, third):
        connection.close()
    status = get_pool_status(file_engine)
    assert status["checked_out"] == 0
    assert status["checked_in"] == 2  # the overflow connection was closed


def unreachable(tmp_path: Path) -> Engine:
    """An engine on a SQLite file in a folder that does not exist: connecting
    fails the way an unreachable server does (sqlite3 SQLITE_CANTOPEN)."""
    return create_db_engine(
        f"sqlite+pysqlite:///{tmp_path / 'missing' / 'x.db'}", Settings()
    )


def test_retry_succeeds_after_connection_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", sleeps.append)
    engine = unreachable(tmp_path)
    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            engine.connect()
        return "ok"

    assert execute_with_retry(flaky, max_retries=3, delay=0.1) == "ok"
    assert calls == 3
    assert sleeps == [0.1, 0.2]  # exponential backoff


def test_retry_gives_up_with_the_projects_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    server = make_url("postgresql://app:topsecret@db.example:5432/orders")
    monkeypatch.setattr(database, "get_db_url", lambda: server)
    engine = unreachable(tmp_path)
    calls = 0

    def down() -> None:
        nonlocal calls
        calls += 1
        engine.connect()

    with pytest.raises(DatabaseConnectionError) as raised:
        execute_with_retry(down, max_retries=4, delay=0)
    assert calls == 4
    assert raised.value.attempts == 4
    assert str(raised.value) == (
        "cannot reach the database at postgresql://app:***@db.example:5432/orders"
        " after 4 attempts: unable to open database file"
    )
    assert "topsecret" not in str(raised.value)


def test_retry_does_not_repeat_other_errors() -> None:
    calls = 0

    def duplicate() -> None:
        nonlocal calls
        calls += 1
        raise IntegrityError("INSERT", {}, ValueError("duplicate"))

    with pytest.raises(IntegrityError):
        execute_with_retry(duplicate)
    assert calls == 1


def test_retry_against_a_real_session(session_factory: sessionmaker[Session]) -> None:
    def add_and_count() -> int:
        with get_session() as session:
            session.add(new_user("retried"))
            session.flush()
            return count_users(session)

    assert execute_with_retry(add_and_count) == 1


def test_slow_queries_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    engine = create_db_engine(
        "sqlite+pysqlite://", Settings(db_slow_query_seconds=1e-9)
    )
    try:
        with caplog.at_level(logging.WARNING), engine.connect() as connection:
            connection.execute(text("SELECT :value"), {"value": "secret-value"})
    finally:
        engine.dispose()
    slow = [r.getMessage() for r in caplog.records if r.name.endswith("monitoring")]
    assert any("slow query" in m and "SELECT ?" in m for m in slow), slow
    assert "secret-value" not in caplog.text  # parameters are never logged


def test_fast_queries_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    engine = create_db_engine("sqlite+pysqlite://", Settings(db_slow_query_seconds=60))
    try:
        with caplog.at_level(logging.WARNING), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert not [r for r in caplog.records if r.name.endswith("monitoring")]


def test_echo_logs_statements_without_values_or_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "sqlite+pysqlite://"
    engine = create_db_engine(url, Settings(db_echo=True))
    try:
        with caplog.at_level(logging.INFO, "sqlalchemy.engine"), engine.connect() as c:
            c.execute(text("SELECT :value"), {"value": "hidden-value"})
    finally:
        engine.dispose()
    assert "SELECT ?" in caplog.text
    assert "hidden-value" not in caplog.text


def test_dispose_engine_forgets_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "get_db_url", lambda: database.sqlite_url(":memory:"))
    with database.use_database():  # the application's own engine, built on first use
        first = database.get_engine()
        assert database.get_engine() is first
        assert database.get_session_maker().kw["bind"] is first
        database.dispose_engine()
        assert database.get_engine() is not first


def test_threads_at_first_use_build_one_engine(
    test_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """16 threads ask for the engine at once: one engine, one bounded pool."""
    url = test_engine.url
    if url.get_backend_name() == "sqlite":  # in memory: a file has a real pool
        url = make_url(f"sqlite+pysqlite:///{tmp_path / 'first-use.db'}")
{%- if cookiecutter.database_backend == "postgresql" %}
    else:  # so the server can count this test's connections
        url = url.update_query_dict({"application_name": "first-use-test"})
{%- endif %}
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    built: list[Engine] = []
    open_connections = Counter[str]()

    def counting_engine(*args: Any, **options: Any) -> Engine:
        engine = create_db_engine(*args, **options)
        built.append(engine)
        event.listen(
            engine.pool, "connect", lambda *_: open_connections.update(["open"])
        )
        event.listen(
            engine.pool, "close", lambda *_: open_connections.subtract(["open"])
        )
        return engine

    monkeypatch.setattr(database, "create_db_engine", counting_engine)
    start = threading.Barrier(THREADS)
    engines: list[Engine] = []
    most_open = [0]

    def first_use() -> None:
        start.wait()
        engine = database.get_engine()
        engines.append(engine)
        with engine.connect() as connection:
            connection.execute(select(1))
            most_open[0] = max(most_open[0], open_connections["open"])
            time.sleep(0.002)

    settings.get_settings.cache_clear()
    try:
        with database.use_database():
            threads = [threading.Thread(target=first_use) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
{%- if cookiecutter.database_backend == "postgresql" %}
            on_server = (
                server_connections(test_engine, "first-use-test")
                if test_engine.dialect.name == "postgresql"
                else 0
            )
{%- endif %}
            database.dispose_engine()
    finally:
        settings.get_settings.cache_clear()
    assert len(engines) == THREADS
    assert len(built) == 1
    assert {id(engine) for engine in engines} == {id(built[0])}
    assert 1 <= most_open[0] <= 2  # DB_POOL_SIZE + DB_MAX_OVERFLOW
    assert open_connections["open"] == 0  # none left after dispose_engine()
{%- if cookiecutter.database_backend == "postgresql" %}
    if test_engine.dialect.name == "postgresql":
        assert 1 <= on_server <= 2
        assert server_connections(test_engine, "first-use-test", settle=5) == 0
{%- endif %}
{%- if cookiecutter.database_backend == "postgresql" %}


def server_connections(
    engine: Engine, application_name: str, *, settle: float = 0
) -> int:
    """How many connections PostgreSQL has open for `application_name`, waiting
    up to `settle` seconds for it to reach 0 (a closed connection takes a
    moment to leave pg_stat_activity)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
    deadline = time.monotonic() + settle
    while True:
        with engine.connect() as connection:
            count = int(connection.scalar(query, {"name": application_name}) or 0)
        if count == 0 or time.monotonic() >= deadline:
            return count
        time.sleep(0.05)
{%- endif %}
