"""`doctor` of a generated PostgreSQL project, as a user runs it, against a
server in each state a first day can find it in: down, a wrong password, a
database that does not exist, and all well.

A wrong password needs a server that checks it: the shared PostgreSQL trusts
local logins, so these run on a private instance with scram-sha-256. The
generated suite checks the states it can make itself (tests/test_cli.py).
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from conftest import Renderer, missing, project_env, run
from private_servers import PrivatePostgres, free_port
from walks import readme_steps

#: The private server's administrator password, and a wrong one.
PASSWORD = "Right-" + secrets.token_urlsafe(12)
WRONG = "Wrong-" + secrets.token_urlsafe(12)


@pytest.fixture(scope="module")
def scram() -> Iterator[PrivatePostgres]:
    reason = PrivatePostgres.available()
    if reason:
        missing(reason)
    with PrivatePostgres(password=PASSWORD) as server:
        yield server


def doctor(project: Path, **env: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    """Exit status, the checks by name, and everything printed."""
    result = run(
        [sys.executable, "-m", "my_service", "doctor", "--json"],
        project,
        project_env(project, **env),
    )
    report = json.loads(result.stdout)
    assert report["ok"] is (result.returncode == 0), result.output
    checks = {check["name"]: check for check in report["checks"]}
    return result.returncode, checks, result.output


def on(server: PrivatePostgres, password: str, database: str) -> dict[str, str]:
    return {
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(server.port),
        "DB_USER": "root",
        "DB_PASSWORD": password,
        "DB_NAME": database,
    }


def test_a_wrong_password(render: Renderer, scram: PrivatePostgres) -> None:
    project = render(database_backend="postgresql")
    status, checks, output = doctor(project, **on(scram, WRONG, "postgres"))
    assert status == 1
    assert checks["login"]["status"] == "fail"
    assert "password authentication failed" in checks["login"]["detail"]
    assert "DB_PASSWORD" in checks["login"]["fix"]
    assert checks["migrations"]["status"] == "skip"
    assert WRONG not in output
    assert PASSWORD not in output


def test_a_database_that_does_not_exist(
    render: Renderer, scram: PrivatePostgres
) -> None:
    project = render(database_backend="postgresql")
    status, checks, output = doctor(project, **on(scram, PASSWORD, "nowhere"))
    assert status == 1
    assert checks["database"]["status"] == "fail"
    assert '"nowhere" does not exist' in checks["database"]["detail"]
    assert PASSWORD not in output


def test_a_server_that_is_down(render: Renderer) -> None:
    project = render(database_backend="postgresql")
    env = {"DB_HOST": "127.0.0.1", "DB_PORT": str(free_port()), "DB_PASSWORD": WRONG}
    status, checks, output = doctor(project, DB_CONNECT_TIMEOUT="2", **env)
    assert status == 1
    assert checks["server"]["status"] == "fail"
    assert "start the server" in checks["server"]["fix"]
    assert WRONG not in output


def test_all_well_after_migrate(render: Renderer, scram: PrivatePostgres) -> None:
    project = render(database_backend="postgresql")
    name = f"doctor_{secrets.token_hex(3)}"
    admin = create_engine(scram.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    env = project_env(project, **on(scram, PASSWORD, name))
    migrate = run([sys.executable, "-m", "my_service", "migrate"], project, env)
    assert migrate.returncode == 0, migrate.output
    status, checks, output = doctor(project, **on(scram, PASSWORD, name))
    assert status == 0, checks
    assert checks["database"]["detail"].startswith("postgresql ")
    assert checks["migrations"]["detail"].startswith("at head")
    assert checks["test database"]["detail"].startswith(
        f"postgresql+psycopg://root:***@127.0.0.1:{scram.port}/{name}_test"
    )
    assert PASSWORD not in output


def test_a_bigquery_readme_run_on_the_emulator(
    render: Renderer, bigquery_emulator: str
) -> None:
    """The README's Run block of a BigQuery project, in order, on the emulator
    (in a dataset of its own): `migrate`, then a `doctor` that passes."""
    project = render(database_backend="bigquery")
    readme = (project / "README.md").read_text(encoding="utf-8")
    steps = [s for s in readme_steps(readme) if s.where == "README, Run"]
    assert [s.command.split()[:3] for s in steps] == [
        ["uv", "run", "my-service"]
    ] * len(steps)
    assert [s.command.split()[3] for s in steps] == ["migrate", "doctor"]
    dataset = f"doctor_{secrets.token_hex(3)}"
    env = project_env(
        project, BIGQUERY_EMULATOR_HOST=bigquery_emulator, BQ_DATASET_ID=dataset
    )
    for step in steps:
        # `uv run my-service X` with this suite's environment, which has the
        # project's dependencies.
        args = step.command.split()[3:]
        done = run([sys.executable, "-m", "my_service", *args], project, env)
        assert done.returncode == 0, (step.command, done.output)
    assert "all checks passed" in done.stdout
    assert f"my-service.{dataset}, in US" in done.stdout
