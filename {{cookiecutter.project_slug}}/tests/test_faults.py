{%- set db = cookiecutter | backend -%}
{#- The proxy knows how PostgreSQL's and MySQL's protocols send COMMIT. -#}
{%- set proxy = cookiecutter.database_backend in ["postgresql", "mysql"] -%}
"""Faults production databases have: a server that is down, an exhausted pool,
a connection cut around COMMIT, failures halfway through a transaction, many
writers at once, two units of work changing the same row.

These need real connections that commit, so they run against the {{ db.label }}
server only (marked `server`), and take a few seconds, so they run when asked
for: `pytest --faults` (the CI workflow does). Every test empties the tables
afterwards (the `committing_engine` fixture).
"""

from __future__ import annotations
{% if proxy %}
import contextlib
{%- endif %}
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable{% if proxy %}, Iterator{% endif %}
from functools import partial
{%- if proxy %}
from types import TracebackType
{%- endif %}

import pytest
from sqlalchemy import {% if proxy %}URL, {% endif %}Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

{% if proxy -%}
from {{ cookiecutter.package_name }} import security
{% endif -%}
from {{ cookiecutter.package_name }}.errors import (
{%- if proxy %}
    CommitOutcomeUnknownError,
{%- endif %}
    ConcurrentUpdateError,
    DatabaseConnectionError,
    DuplicateError,
    PoolExhaustedError,
    QueryTimeoutError,
    SchemaError,
    TransientError,
)
from {{ cookiecutter.package_name }}.infra import database{% if proxy %}, liveness{% endif %}
from {{ cookiecutter.package_name }}.infra.database import (
    create_db_engine,
    execute_with_retry,
    get_pool_status,
    get_session,
)
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.repositories.user_repository import (
{%- if proxy %}
    NewUser,
{%- endif %}
    UserRepository,
)
from {{ cookiecutter.package_name }}.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.faults]

THREADS = 16
OPERATIONS = 200
{%- if proxy %}
#: How many COMMITs the proxy cuts in the outcome tests.
CUTS = 20
{%- endif %}
{%- if cookiecutter.database_backend == "postgresql" %}
#: COMMIT as {{ db.driver_label }} sends it: a simple query, its text ended by a zero byte.
COMMIT = b"COMMIT\x00"
{%- elif cookiecutter.database_backend == "mysql" %}
#: COMMIT as PyMySQL sends it: a COM_QUERY packet (command byte 3). The bytes
#: alone would also match the SET AUTOCOMMIT sent at connect time.
COMMIT = b"\x03COMMIT"
{%- endif %}


def count_users(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def add_user(name: str) -> int:
    with get_session() as session:
        user = UserRepository(session).create(name, f"{name}@example.com", "password")
        return user.id


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
{%- if proxy %}


class CuttingProxy:
    """A TCP proxy to the server that cuts connections where a test asks.

    `cut_after(COMMIT)`: the statement reaches the server, which commits
    and answers; the answer is dropped and the client's connection reset, so
    the client cannot know the outcome. `cut_before(b"INSERT")`: the statement
    is dropped and the connection reset; nothing reached the server.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.mode: tuple[str, bytes] | None = None
        self.remaining = 0
        self.cuts = 0
        self.open: list[tuple[socket.socket, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> CuttingProxy:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.listener.close()

    def route(self, url: URL) -> URL:
        """`url`, through this proxy."""
{%- if cookiecutter.database_backend == "postgresql" %}
        # Plain TCP, so the proxy can see the statements.
        return url.set(host="127.0.0.1", port=self.port).update_query_dict(
            {"sslmode": "disable"}
        )
{%- else %}
        return url.set(host="127.0.0.1", port=self.port)
{%- endif %}

    def cut_after(self, marker: bytes, times: int) -> None:
        with self.lock:
            self.mode, self.remaining = ("after", marker), times

    def cut_before(self, marker: bytes, times: int) -> None:
        with self.lock:
            self.mode, self.remaining = ("before", marker), times

    def cut_open(self) -> None:
        """Reset every connection open now, as a server restart does."""
        with self.lock:
            open_now, self.open = self.open, []
        for client, server in open_now:
            _reset(client)
            _close(server)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.open.append((client, server))
            reply_to_drop = threading.Event()
            threading.Thread(
                target=self._upstream, args=(client, server, reply_to_drop), daemon=True
            ).start()
            threading.Thread(
                target=self._downstream,
                args=(server, client, reply_to_drop),
                daemon=True,
            ).start()

    def _take(self, where: str, chunk: bytes) -> bool:
        """Whether `chunk` is one to cut `where` ("before" or "after")."""
        with self.lock:
            mode = self.mode
            if mode is None or mode[0] != where or mode[1] not in chunk:
                return False
            if self.remaining < 1:
                return False
            self.remaining -= 1
            self.cuts += 1
            return True

    def _upstream(
        self,
        client: socket.socket,
        server: socket.socket,
        reply_to_drop: threading.Event,
    ) -> None:
        try:
            while chunk := _receive(client):
                if self._take("before", chunk):
                    _reset(client)
                    return
                if self._take("after", chunk):
                    reply_to_drop.set()
                server.sendall(chunk)
        finally:
            _close(client, server)

    def _downstream(
        self,
        server: socket.socket,
        client: socket.socket,
        reply_to_drop: threading.Event,
    ) -> None:
        try:
            while chunk := _receive(server):
                if reply_to_drop.is_set():  # the server has answered: it committed
                    _reset(client)
                    return
                client.sendall(chunk)
        finally:
            _close(client, server)


def _receive(connection: socket.socket) -> bytes:
    try:
        return connection.recv(65536)
    except OSError:
        return b""


def _reset(connection: socket.socket) -> None:
    """End with a TCP reset, as a broken network path does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
    _close(connection)


def _close(*connections: socket.socket) -> None:
    # shutdown() also wakes the other pump, blocked in recv() on the same socket.
    for connection in connections:
        with contextlib.suppress(OSError):  # already closed
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()


@pytest.fixture
def proxy(committing_engine: Engine) -> Iterator[CuttingProxy]:
    """A proxy to the test server; `get_session()` goes through it."""
    url = committing_engine.url
    with CuttingProxy(url.host or "localhost", url.port or {{ db.port }}) as proxy:
        engine = create_db_engine(proxy.route(url), Settings())
        with database.use_database(engine):
            yield proxy
        engine.dispose()


def test_lost_commit_reply_is_never_retried(
    proxy: CuttingProxy, committing_engine: Engine
) -> None:
    proxy.cut_after(COMMIT, CUTS)
    outcomes: Counter[str] = Counter()
    for number in range(CUTS):
        try:
            execute_with_retry(partial(add_user, f"lost-{number}"), delay=0.01)
            outcomes["created"] += 1
        except CommitOutcomeUnknownError:
            outcomes["unknown"] += 1
        except DuplicateError:  # a retry that met its own committed row
            outcomes["duplicate"] += 1
    assert proxy.cuts == CUTS
    assert outcomes == {"unknown": CUTS}
    assert count_users(committing_engine) == CUTS  # each committed, once


def insert_batch(batch: int, password_hash: str) -> int:
    """bulk_create 100 users in a unit of work of its own."""
    rows: list[NewUser] = [
        {
            "username": f"b{batch}-{n}",
            "email": f"b{batch}-{n}@example.com",
            "password_hash": password_hash,
        }
        for n in range(100)
    ]
    with get_session() as session:
        return UserRepository(session).bulk_create(rows)


def test_lost_commit_reply_of_a_bulk_insert_is_never_retried(
    proxy: CuttingProxy, committing_engine: Engine
) -> None:
    password_hash = security.hash_password("bulk password")  # what bulk_create takes
    proxy.cut_after(COMMIT, 5)
    unknown = 0
    for batch in range(5):
        with pytest.raises(CommitOutcomeUnknownError):
            execute_with_retry(partial(insert_batch, batch, password_hash), delay=0.01)
        unknown += 1
    assert (proxy.cuts, unknown) == (5, 5)
    assert count_users(committing_engine) == 500


def test_connection_lost_during_a_bulk_insert_is_retried(
    proxy: CuttingProxy, committing_engine: Engine
) -> None:
    """Cut as the rows are sent ({{ "COPY" if db.name == "postgresql" else "INSERT" }}): nothing was committed, so the
    retry is safe, and it stores each row once."""
    password_hash = security.hash_password("bulk password")
    proxy.cut_before({{ 'b"COPY users"' if db.name == "postgresql" else 'b"INSERT INTO users"' }}, 1)
    inserted = execute_with_retry(partial(insert_batch, 1, password_hash), delay=0.01)
    assert (inserted, proxy.cuts) == (100, 1)
    assert count_users(committing_engine) == 100


def create_user_once(name: str) -> int:
    """Create user `name`; when the outcome is unknown, look it up by its name.

    The username is the row's natural key: if it is there, the lost COMMIT
    succeeded; if not, nothing was written and running again is safe. (Rows
    without a natural key can carry an idempotency key the caller chooses.)
    """
    try:
        return execute_with_retry(partial(add_user, name), delay=0.01)
    except CommitOutcomeUnknownError:
        with get_session() as session:
            user = UserRepository(session).get_by_username(name)
        if user is not None:
            return user.id
        return execute_with_retry(partial(add_user, name), delay=0.01)


def test_unknown_outcome_resolved_by_the_natural_key(
    proxy: CuttingProxy, committing_engine: Engine
) -> None:
    proxy.cut_after(COMMIT, 1)
    user_id = create_user_once("resolved")
    assert proxy.cuts == 1
    with Session(committing_engine) as session:
        assert session.get(User, user_id) is not None
    assert count_users(committing_engine) == 1


def test_connection_lost_before_commit_is_retried(
    proxy: CuttingProxy, committing_engine: Engine
) -> None:
    proxy.cut_before(b"INSERT INTO users", 1)
    execute_with_retry(partial(add_user, "early"), delay=0.01)
    assert proxy.cuts == 1
    assert count_users(committing_engine) == 1


def test_lost_commit_of_a_read_is_retried(proxy: CuttingProxy) -> None:
    def count() -> int:
        with get_session() as session:
            return UserRepository(session).count()

    proxy.cut_after(COMMIT, 1)
    assert execute_with_retry(count, delay=0.01) == 0  # nothing written: safe to rerun
    assert proxy.cuts == 1


def test_a_connection_that_died_idle_is_replaced_unseen(
    proxy: CuttingProxy, committing_engine: Engine
) -> None:
    add_user("before")
    time.sleep(liveness.PING_AFTER_IDLE_SECONDS + 0.2)
    proxy.cut_open()  # the pooled connection dies while idle
    add_user("after")  # pinged at checkout, found dead, replaced: no error
    assert count_users(committing_engine) == 2


def test_a_connection_that_died_just_after_use_fails_once_then_is_replaced(
    proxy: CuttingProxy, committing_engine: Engine
) -> None:
    """Within `PING_AFTER_IDLE_SECONDS` a connection is not pinged: the unit of
    work finds it dead, with nothing written, so a retry is safe."""
    add_user("before")
    proxy.cut_open()
    with pytest.raises(DatabaseConnectionError):
        add_user("lost")
    add_user("after")  # the pool has been retired: a new connection
    assert count_users(committing_engine) == 2
    proxy.cut_open()
    execute_with_retry(partial(add_user, "retried"), delay=0.01)
    assert count_users(committing_engine) == 3
{%- endif %}


def test_server_down_at_start_gives_up_in_bounded_time(test_engine: Engine) -> None:
    down = test_engine.url.set(host="127.0.0.1", port=closed_port())
    engine = create_db_engine(down, Settings())
    started = time.perf_counter()
    with (
        database.use_database(engine),
        pytest.raises(DatabaseConnectionError) as raised,
    ):
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
    test_engine: Engine,
) -> None:
    settings = Settings(db_pool_size=2, db_max_overflow=1, db_pool_timeout=1)
    engine = create_db_engine(test_engine.url, settings)
    release = threading.Event()
    holding = threading.Barrier(4)

    def hold_a_connection() -> None:
        with get_session() as session:
            session.execute(select(1))
            holding.wait()
            release.wait(10)

    with database.use_database(engine):
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
            repository.create("first", "first@example.com", "password")
            repository.create("second", "second@example.com", "password")
            raise RuntimeError("failure after the writes")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert count_users(committing_engine) == 0


def test_failed_savepoint_undoes_only_its_own_work(committing_engine: Engine) -> None:
    def fail_inside_a_savepoint(session: Session) -> None:
        with session.begin_nested():
            UserRepository(session).create("undone", "undone@example.com", "password")
            raise RuntimeError("failure inside the savepoint")

    with get_session() as session:
        repository = UserRepository(session)
        repository.create("kept", "kept@example.com", "password")
        with pytest.raises(RuntimeError):
            fail_inside_a_savepoint(session)
        repository.create("also-kept", "also-kept@example.com", "password")
    with Session(committing_engine) as check:
        names = check.scalars(select(User.username).order_by(User.username)).all()
    assert names == ["also-kept", "kept"]


def run_in_threads(work: Callable[[int], None], count: int) -> list[BaseException]:
    """Run `work(0)` ... `work(count - 1)` in threads at once; their errors."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(number: int) -> None:
        try:
            start.wait()
            work(number)
        except BaseException as error:  # collected for the test to report
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_concurrent_writers_conflicts_and_readers(committing_engine: Engine) -> None:
    """16 threads x 200 operations: unique inserts, races for the same names, reads."""
    tallies: list[Counter[str]] = []

    def work(thread: int) -> None:
        tally: Counter[str] = Counter()
        tallies.append(tally)
        for op in range(OPERATIONS):
            kind = op % 4
            if kind in (0, 1):  # a name only this thread uses
                execute_with_retry(partial(add_user, f"t{thread}-op{op}"), delay=0.05)
                tally["inserted"] += 1
            elif kind == 2:  # every thread races for this name
                try:
                    execute_with_retry(partial(add_user, f"shared-{op}"), delay=0.05)
                    tally["won"] += 1
                except DuplicateError:
                    tally["duplicate"] += 1
            else:
                with get_session() as session:
                    UserRepository(session).count()
                tally["read"] += 1

    assert run_in_threads(work, THREADS) == []
    total = sum(tallies, Counter())
    shared_names = OPERATIONS // 4
    assert total["inserted"] == THREADS * OPERATIONS // 2
    assert total["won"] == shared_names  # each shared name went in exactly once
    assert total["duplicate"] == (THREADS - 1) * shared_names
    assert total["read"] == THREADS * OPERATIONS // 4
    assert count_users(committing_engine) == total["inserted"] + shared_names
    assert get_pool_status(committing_engine)["checked_out"] == 0


def test_two_writers_of_one_row_never_lose_an_update(
    committing_engine: Engine,
) -> None:
    """Both read version 1; the second UPDATE finds version 2 and fails."""
    user_id = add_user("contested")
    both_read = threading.Barrier(2)
    outcomes: Counter[str] = Counter()

    def change(number: int) -> None:
        try:
            with get_session() as session:
                user = session.get(User, user_id)
                assert user is not None
                both_read.wait()
                user.email = f"writer-{number}@example.com"
            outcomes["committed"] += 1
        except ConcurrentUpdateError:
            outcomes["conflict"] += 1

    assert run_in_threads(change, 2) == []
    assert outcomes == {"committed": 1, "conflict": 1}
    with Session(committing_engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.version == 2


def test_row_lock_serialises_read_modify_write(committing_engine: Engine) -> None:
    """A counter kept with SELECT ... FOR UPDATE: no increment lost, no conflict."""
    user_id = add_user("counter")
    with get_session() as session:
        repository = UserRepository(session)
        repository.set_bio(user_id, "")

    def increment(_: int) -> None:
        for _round in range(5):
            with get_session() as session:
                user = UserRepository(session).get_for_update(user_id)
                assert user is not None
                assert user.profile is not None
                user.profile.bio = (user.profile.bio or "") + "+"

    assert run_in_threads(increment, 8) == []
    with Session(committing_engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.profile is not None
        assert user.profile.bio == "+" * 40


def test_sessionmaker_of_the_committing_engine(
    committing_engine: Engine,
) -> None:
    """Threads get real sessions from `get_session()` under `committing_engine`."""
    factory = database.get_session_maker()
    assert isinstance(factory, sessionmaker)
    assert factory.kw["bind"] is committing_engine

    def add(number: int) -> None:
        add_user(f"thread-{number}")

    assert run_in_threads(add, 8) == []
    assert count_users(committing_engine) == 8


def lock_both(first: int, second: int, both_hold_one: threading.Barrier | None) -> None:
    """Lock user `first`, wait until the other thread holds its row, lock `second`."""
    with get_session() as session:
        repository = UserRepository(session)
        repository.get_for_update(first)
        if both_hold_one is not None:
            both_hold_one.wait()
        repository.get_for_update(second)


def test_a_real_deadlock_is_transient_and_retried(committing_engine: Engine) -> None:
    left, right = add_user("left"), add_user("right")
    pairs = [(left, right), (right, left)]  # opposite orders: a deadlock
    both_hold_one = threading.Barrier(2)
    errors = run_in_threads(lambda n: lock_both(*pairs[n], both_hold_one), 2)
    # The server broke the deadlock by giving one of the transactions up.
    assert [type(error) for error in errors] == [TransientError]
    assert "deadlock" in str(errors[0]).lower()

    both_hold_one = threading.Barrier(2)
    attempts: Counter[int] = Counter()

    def cross(number: int) -> None:
        first_time = [both_hold_one]

        def unit_of_work() -> None:
            attempts[number] += 1
            lock_both(*pairs[number], first_time.pop() if first_time else None)

        execute_with_retry(unit_of_work, delay=0.05)

    assert run_in_threads(cross, 2) == []  # the victim ran again, whole
    assert sorted(attempts.values()) == [1, 2]


def test_a_lock_wait_ends_within_the_lock_timeout(committing_engine: Engine) -> None:
    user_id = add_user("locked")
    holding, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        with Session(committing_engine) as session, session.begin():
            UserRepository(session).get_for_update(user_id)
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    holding.wait(10)
    impatient = create_db_engine(committing_engine.url, Settings(db_lock_timeout=1))
    started = time.perf_counter()
    try:
        with (
            database.use_database(impatient),
            pytest.raises(TransientError),
            get_session() as session,
        ):
            UserRepository(session).get_for_update(user_id)
    finally:
        waited = time.perf_counter() - started
        release.set()
        holder.join(10)
        impatient.dispose()
    assert 1 <= waited < 2  # DB_LOCK_TIMEOUT, plus at most a second


def test_a_missing_column_is_a_schema_error_never_retried(
    committing_engine: Engine,
) -> None:
    calls = 0

    def read_a_column_that_is_not_there() -> None:
        nonlocal calls
        calls += 1
        with get_session() as session:
            session.execute(text("SELECT no_such_column FROM users"))

    with pytest.raises(SchemaError, match="alembic upgrade"):
        execute_with_retry(read_a_column_that_is_not_there, delay=0.01)
    assert calls == 1


def test_a_slow_statement_is_stopped_and_never_retried(
    committing_engine: Engine,
) -> None:
    hasty = create_db_engine(committing_engine.url, Settings(db_statement_timeout=1))
    calls = 0

    def sleep() -> None:
        nonlocal calls
        calls += 1
        with get_session() as session:
            session.execute(text({{ db.get("sleep_statement") | tojson }}))  # 3 s

    started = time.perf_counter()
    try:
        with database.use_database(hasty), pytest.raises(QueryTimeoutError):
            execute_with_retry(sleep, delay=0.01)
    finally:
        hasty.dispose()
    assert time.perf_counter() - started < 2.5
    assert calls == 1
