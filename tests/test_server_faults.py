"""The generated data layer while a real server restarts or stays down.

These tests stop and start a server from outside, around the generated
project's own code (tests/fault_workload.py run in the project). Each test
gets a private PostgreSQL or MariaDB instance of its own
(tests/private_servers.py): the shared servers the other tests use are never
stopped. The other fault tests (pool exhaustion, atomicity, 16 concurrent
writers, a server down at start) are the generated project's own
tests/test_faults.py, which test_generated_suite.py runs on both servers.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (
    HOSTILE_PASSWORD,
    SERVER_BACKENDS,
    SETUP,
    Renderer,
    Server,
    missing,
    project_env,
    run,
)
from private_servers import PRIVATE_SERVERS, PrivateServer

WORKLOAD = Path(__file__).with_name("fault_workload.py")
ALEMBIC = [sys.executable, "-m", "alembic"]
OPERATIONS = 200
#: The server backends a private instance can stand in for.
RESTART_BACKENDS = [b for b in SERVER_BACKENDS if b in PRIVATE_SERVERS]


@dataclass(frozen=True)
class LiveProject:
    backend: str
    instance: PrivateServer
    server: Server
    path: Path
    env: dict[str, str]


@pytest.fixture
def live(backend: str, render: Renderer) -> Iterator[LiveProject]:
    """A project rendered for `backend` and pointed at a private server of its
    own (stopped and deleted afterwards), with a user and a database as
    conftest's server_factory makes them."""
    kind = PRIVATE_SERVERS[backend]
    reason = kind.available()
    if reason:
        missing(f"restarting a private {backend} server: {reason}")
    path = render(database_backend=backend)
    with kind() as instance:
        name = f"tpl_{secrets.token_hex(4)}"
        server = Server(backend, instance.admin_url, name, HOSTILE_PASSWORD, name)
        server.admin(*SETUP[backend](server))
        yield LiveProject(
            backend, instance, server, path, project_env(path, **server.env())
        )


@contextmanager
def server_down(instance: PrivateServer, seconds: float = 0) -> Iterator[None]:
    """The server stopped for the block (at least `seconds`), then started again
    on the same data and port (start() waits until it accepts connections)."""
    instance.stop()
    try:
        yield
        time.sleep(seconds)
    finally:
        instance.start()


@contextmanager
def migrated(project: Path, env: dict[str, str]) -> Iterator[None]:
    assert run([*ALEMBIC, "upgrade", "head"], project, env).returncode == 0
    try:
        yield
    finally:
        run([*ALEMBIC, "downgrade", "base"], project, env)


@pytest.mark.server
@pytest.mark.parametrize("backend", RESTART_BACKENDS)
def test_workload_survives_a_server_restart(live: LiveProject) -> None:
    with migrated(live.path, live.env):
        workload = subprocess.Popen(
            [sys.executable, str(WORKLOAD), "my_service", "restart", str(OPERATIONS)],
            cwd=live.path,
            env={**os.environ, **live.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert workload.stdout is not None
        assert workload.stdout.readline().strip() == "warm"
        # Operations fail and retry while the server is down.
        with server_down(live.instance, seconds=1):
            pass
        out, err = workload.communicate(timeout=180)
    assert workload.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    writes = OPERATIONS // 2
    # Every operation succeeded, every write took effect exactly once.
    assert result["names"] == sorted(f"op-{n}" for n in range(0, OPERATIONS, 2))
    assert result["users"] == writes
    assert result["retried"] >= 1, "the restart never hit the workload"
    # A dead connection was noticed; SQLAlchemy then retires the whole pool, so
    # every connection the restart killed was replaced by a new one.
    assert result["invalidated_during_workload"] >= 1
    assert result["reconnected"] >= 5
    # Afterwards the pool holds live connections only.
    assert result["idle_alive"] == result["idle_checked"] >= 5
    assert result["invalidated_after"] == 0
    assert result["pool"]["checked_out"] == 0
    assert live.server.password not in out + err


@pytest.mark.server
@pytest.mark.parametrize("backend", RESTART_BACKENDS)
def test_outage_longer_than_the_retry_budget(live: LiveProject) -> None:
    with server_down(live.instance):
        result = run(
            [sys.executable, str(WORKLOAD), "my_service", "budget"], live.path, live.env
        )
    assert result.returncode == 0, result.output
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["attempts"] == 3
    assert 0.6 <= outcome["seconds"] < 15  # waited 0.2 + 0.4 s between the attempts
    message = outcome["error"]
    assert message.startswith("cannot reach the database at ")
    assert f"@{live.server.env()['DB_HOST']}:{live.server.env()['DB_PORT']}/" in message
    assert "after 3 attempts" in message
    assert live.server.password not in result.output


#: How long the frozen-server test keeps a PostgreSQL server frozen.
FROZEN_SECONDS = 4.0


@pytest.mark.server
@pytest.mark.parametrize("backend", RESTART_BACKENDS)
def test_a_frozen_server(live: LiveProject) -> None:
    """A server stopped with SIGSTOP: its kernel still acknowledges packets, so
    only a client-side timeout can end the wait. PyMySQL has one (the read
    timeout: DB_STATEMENT_TIMEOUT + DB_CONNECT_TIMEOUT); libpq has none, and
    the call waits as long as the server is frozen (the documented limit)."""
    env = {**live.env, "DB_STATEMENT_TIMEOUT": "1", "DB_CONNECT_TIMEOUT": "2"}
    workload = subprocess.Popen(
        [sys.executable, str(WORKLOAD), "my_service", "frozen"],
        cwd=live.path,
        env={**os.environ, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert workload.stdout is not None
    assert workload.stdin is not None
    assert workload.stdout.readline().strip() == "warm"
    live.instance.freeze()
    try:
        workload.stdin.write("go\n")
        workload.stdin.flush()
        if live.backend == "postgresql":
            time.sleep(FROZEN_SECONDS)
            assert workload.poll() is None  # still waiting
        else:
            workload.wait(30)
    finally:
        live.instance.thaw()
    out, err = workload.communicate(timeout=60)
    assert workload.returncode == 0, err
    outcome = json.loads(out.strip().splitlines()[-1])
    FROZEN[live.backend] = outcome["seconds"]
    if live.backend == "postgresql":
        assert outcome["error"] is None  # answered once thawed
        assert outcome["seconds"] >= FROZEN_SECONDS
    else:
        # The statement's read times out (1 + 2 s; the ping's, had the
        # connection been idle over 0.5 s), and a reconnect's read of the
        # server's greeting can time out too: at most twice the read timeout.
        assert outcome["error"].startswith("cannot reach the database at ")
        assert outcome["seconds"] < 2 * (1 + 2) + 1, outcome
    assert live.server.password not in out + err


#: What the frozen-server test measured, per backend (seconds), for the summary.
FROZEN: dict[str, float] = {}
