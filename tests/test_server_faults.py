"""The generated data layer while the real server restarts or stays down.

Restarting PostgreSQL or MariaDB needs root, so these tests do it from
outside, around the generated project's own code (tests/fault_workload.py run
in the project). The other fault tests (pool exhaustion, atomicity, 16
concurrent writers, a server down at start) are the generated project's own
tests/test_faults.py, which test_generated_suite.py runs on both servers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import LIVE_BACKENDS, Renderer, Server, missing, project_env, run

WORKLOAD = Path(__file__).with_name("fault_workload.py")
ALEMBIC = [sys.executable, "-m", "alembic"]
OPERATIONS = 200


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def wait_until(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come back within {seconds} s")
        time.sleep(0.2)


def answers(*args: str) -> Callable[[], bool]:
    return lambda: (
        subprocess.run(args, capture_output=True, check=False).returncode == 0
    )


def postgres_cluster() -> list[str]:
    line = subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=True
    )
    version, name = line.stdout.split()[:2]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, name]


POSTGRES_UP = answers("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432")
MARIADB_UP = answers("mariadb-admin", "--host=127.0.0.1", "--user=root", "ping")


def stop(backend: str) -> None:
    if backend == "postgresql":
        sh(*postgres_cluster(), "stop")
    else:
        sh("mariadb-admin", "--host=127.0.0.1", "--user=root", "shutdown")


def start(backend: str) -> None:
    if backend == "postgresql":
        sh(*postgres_cluster(), "start")
        wait_until(POSTGRES_UP, "PostgreSQL")
    else:
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        sh(
            "start-stop-daemon",
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            mariadbd,
            "--",
            "--user=mysql",
        )
        wait_until(MARIADB_UP, "MariaDB")


@dataclass(frozen=True)
class LiveProject:
    backend: str
    server: Server
    path: Path
    env: dict[str, str]


@pytest.fixture
def live(
    backend: str, render: Renderer, server_factory: Callable[[str], Server]
) -> LiveProject:
    """A project rendered for `backend` and pointed at its server, if this
    process may stop and start that server (root, tools)."""
    tools = (
        ["pg_ctlcluster", "pg_lsclusters", "pg_isready"]
        if backend == "postgresql"
        else ["mariadb-admin", "start-stop-daemon"]
    )
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in tools):
        missing(f"restarting the {backend} server needs root and {', '.join(tools)}")
    server = server_factory(backend)
    path = render(database_backend=backend)
    return LiveProject(backend, server, path, project_env(path, **server.env()))


@contextmanager
def server_down(backend: str, seconds: float = 0) -> Iterator[None]:
    """The server stopped for the block (at least `seconds`), then started again."""
    stop(backend)
    try:
        yield
        time.sleep(seconds)
    finally:
        start(backend)


@contextmanager
def migrated(project: Path, env: dict[str, str]) -> Iterator[None]:
    assert run([*ALEMBIC, "upgrade", "head"], project, env).returncode == 0
    try:
        yield
    finally:
        run([*ALEMBIC, "downgrade", "base"], project, env)


@pytest.mark.server
@pytest.mark.parametrize("backend", LIVE_BACKENDS)
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
        with server_down(live.backend, seconds=1):
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
@pytest.mark.parametrize("backend", LIVE_BACKENDS)
def test_outage_longer_than_the_retry_budget(live: LiveProject) -> None:
    with server_down(live.backend):
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
