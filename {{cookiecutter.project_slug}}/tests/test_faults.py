{%- set db = cookiecutter._backends[cookiecutter.database_backend] -%}
"""Faults production databases have: a server that is down, an exhausted pool,
failures halfway through a transaction, many writers at once.

These need real connections that commit, so they run against the {{ db.label }}
server only (marked `server`), and take a few seconds, so they run when asked
for: `pytest --faults` (the CI workflow does). Every test empties the tables
afterwards.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }}.errors import (
    DatabaseConnectionError,
    DuplicateError,
    PoolExhaustedError,
)
from {{ cookiecutter.package_name }}.infra import database
from {{ cookiecutter.package_name }}.infra.database import (
    create_db_engine,
    execute_with_retry,
    get_pool_status,
    get_session,
)
from {{ cookiecutter.package_name }}.models import Base, User
from {{ cookiecutter.package_name }}.repositories.user_repository import (
    UserRepository,
)
from {{ cookiecutter.package_name }}.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.faults]

THREADS = 16
OPERATIONS = 200


@pytest.fixture
def committing_engine(
    test_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An engine on the test database whose sessions really commit.

    `get_session()` uses it during the test. Its pool is small (5 + 5), so
    16 threads also have to wait for connections.
    """
    settings = Settings(db_pool_size=5, db_max_overflow=5, db_pool_timeout=30)
    engine = create_db_engine(test_engine.url, settings)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr(database, "get_session_maker", lambda: factory)
    empty_tables(engine)
    yield engine
    empty_tables(engine)
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))


def count_users(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def add_user(name: str) -> None:
    with get_session() as session:
        UserRepository(session).create(name, f"{name}@example.com", "pw")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_server_down_at_start_gives_up_in_bounded_time(
    test_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = test_engine.url.set(host="127.0.0.1", port=closed_port())
    engine = create_db_engine(down, Settings())
    monkeypatch.setattr(database, "get_session_maker", lambda: sessionmaker(engine))
    monkeypatch.setattr(database, "get_db_url", lambda: down)
    started = time.perf_counter()
    with pytest.raises(DatabaseConnectionError) as raised:
        execute_with_retry(lambda: add_user("nobody"), max_retries=4, delay=0.1)
    elapsed = time.perf_counter() - started
    engine.dispose()
    assert 0.7 <= elapsed < 5  # waited 0.1 + 0.2 + 0.4 s between four attempts
    message = str(raised.value)
    assert f"127.0.0.1:{down.port}" in message
    assert "after 4 attempts" in message
    if down.password:
        assert down.password not in message


def test_pool_exhaustion_waits_then_raises_the_projects_error(
    test_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(db_pool_size=2, db_max_overflow=1, db_pool_timeout=1)
    engine = create_db_engine(test_engine.url, settings)
    monkeypatch.setattr(database, "get_session_maker", lambda: sessionmaker(engine))
    release = threading.Event()
    holding = threading.Barrier(4)

    def hold_a_connection() -> None:
        with get_session() as session:
            session.execute(select(1))
            holding.wait()
            release.wait(10)

    holders = [threading.Thread(target=hold_a_connection) for _ in range(3)]
    for thread in holders:
        thread.start()
    holding.wait()
    assert get_pool_status(engine)["checked_out"] == 3

    started = time.perf_counter()
    with pytest.raises(PoolExhaustedError), get_session() as session:
        session.execute(select(1))
    assert 1 <= time.perf_counter() - started < 5  # waited DB_POOL_TIMEOUT

    served: list[int] = []

    def wait_for_a_connection() -> None:
        with get_session() as session:
            served.append(session.execute(select(1)).scalar_one())

    waiters = [threading.Thread(target=wait_for_a_connection) for _ in range(3)]
    for thread in waiters:
        thread.start()
    time.sleep(0.2)
    release.set()  # the holders give their connections back to the waiters
    for thread in holders + waiters:
        thread.join(10)
    assert served == [1, 1, 1]
    status = get_pool_status(engine)
    engine.dispose()
    assert status["checked_out"] == 0
    assert status["checked_in"] <= 3


def test_failed_unit_of_work_leaves_nothing(committing_engine: Engine) -> None:
    def write_then_fail() -> None:
        with get_session() as session:
            repository = UserRepository(session)
            repository.create("first", "first@example.com", "pw")
            repository.create("second", "second@example.com", "pw")
            raise RuntimeError("failure after the writes")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert count_users(committing_engine) == 0


def test_failed_savepoint_undoes_only_its_own_work(committing_engine: Engine) -> None:
    def fail_inside_a_savepoint(session: Session) -> None:
        with session.begin_nested():
            UserRepository(session).create("undone", "undone@example.com", "pw")
            raise RuntimeError("failure inside the savepoint")

    with get_session() as session:
        repository = UserRepository(session)
        repository.create("kept", "kept@example.com", "pw")
        with pytest.raises(RuntimeError):
            fail_inside_a_savepoint(session)
        repository.create("also-kept", "also-kept@example.com", "pw")
    with Session(committing_engine) as check:
        names = check.scalars(select(User.username).order_by(User.username)).all()
    assert names == ["also-kept", "kept"]


def test_concurrent_writers_conflicts_and_readers(committing_engine: Engine) -> None:
    """16 threads x 200 operations: unique inserts, races for the same names, reads."""
    errors: list[BaseException] = []
    tallies: list[Counter[str]] = []

    def work(thread: int) -> None:
        tally: Counter[str] = Counter()
        try:
            for op in range(OPERATIONS):
                kind = op % 4
                if kind in (0, 1):  # a name only this thread uses
                    name = f"t{thread}-op{op}"
                    execute_with_retry(partial(add_user, name), delay=0.05)
                    tally["inserted"] += 1
                elif kind == 2:  # every thread races for this name
                    name = f"shared-{op}"
                    try:
                        execute_with_retry(partial(add_user, name), delay=0.05)
                        tally["won"] += 1
                    except DuplicateError:
                        tally["duplicate"] += 1
                else:
                    with get_session() as session:
                        UserRepository(session).count()
                    tally["read"] += 1
        except BaseException as error:  # collected and reported below
            errors.append(error)
        tallies.append(tally)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    total = sum(tallies, Counter())
    shared_names = OPERATIONS // 4
    assert total["inserted"] == THREADS * OPERATIONS // 2
    assert total["won"] == shared_names  # each shared name went in exactly once
    assert total["duplicate"] == (THREADS - 1) * shared_names
    assert total["read"] == THREADS * OPERATIONS // 4
    assert count_users(committing_engine) == total["inserted"] + shared_names
    assert get_pool_status(committing_engine)["checked_out"] == 0
