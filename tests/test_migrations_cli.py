"""Alembic from the command line, as users run it, against the real servers."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import LIVE_BACKENDS, SERVER_BACKENDS, Renderer, Server, project_env, run

ALEMBIC = [sys.executable, "-m", "alembic"]


@pytest.mark.server
@pytest.mark.parametrize("backend", LIVE_BACKENDS)
def test_upgrade_check_downgrade_upgrade(
    render: Renderer, server_factory: Callable[[str], Server], backend: str
) -> None:
    server = server_factory(backend)
    project = render(database_backend=backend)
    env = project_env(project, **server.env())
    for command in (
        ["upgrade", "head"],
        ["check"],
        ["downgrade", "base"],
        ["upgrade", "head"],
        ["check"],
    ):
        result = run([*ALEMBIC, *command], project, env)
        assert result.returncode == 0, f"alembic {' '.join(command)}:\n{result.output}"
        assert server.password not in result.output
    assert "No new upgrade operations detected." in result.output
    current = run([*ALEMBIC, "current"], project, env)
    assert "0002 (head)" in current.stdout


@pytest.mark.server
@pytest.mark.parametrize("backend", LIVE_BACKENDS)
def test_check_fails_when_models_drift(
    render: Renderer,
    server_factory: Callable[[str], Server],
    backend: str,
    tmp_path: Path,
) -> None:
    server = server_factory(backend)
    project = tmp_path / "drifted"
    shutil.copytree(render(database_backend=backend), project)
    env = project_env(project, **server.env())
    assert run([*ALEMBIC, "upgrade", "head"], project, env).returncode == 0
    user = project / "src" / "my_service" / "models" / "user.py"
    user.write_text(
        user.read_text().replace(
            "    active: Mapped[bool] = mapped_column(default=True)\n",
            "    active: Mapped[bool] = mapped_column(default=True)\n"
            "    nickname: Mapped[str | None] = mapped_column(String(50))\n",
        )
    )
    result = run([*ALEMBIC, "check"], project, env)
    assert result.returncode != 0
    assert "add_column" in result.output
    assert "nickname" in result.output
    # The revision autogenerate writes for it is lint-clean and type-checks.
    revision = run(
        [*ALEMBIC, "revision", "--autogenerate", "-m", "add nickname"], project, env
    )
    assert revision.returncode == 0, revision.output
    [new] = [p for p in (project / "migrations" / "versions").glob("*add_nickname.py")]
    assert "op.add_column" in new.read_text()
    assert (
        run(
            [str(Path(sys.executable).parent / "ruff"), "check", str(new)], project
        ).returncode
        == 0
    )
    assert run([*ALEMBIC, "upgrade", "head"], project, env).returncode == 0
    assert run([*ALEMBIC, "check"], project, env).returncode == 0
    assert run([*ALEMBIC, "downgrade", "base"], project, env).returncode == 0


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_offline_sql_for_the_backend(render: Renderer, backend: str) -> None:
    project = render(database_backend=backend)
    env = project_env(project, DB_HOST="db.invalid")
    result = run([*ALEMBIC, "upgrade", "head", "--sql"], project, env)
    assert result.returncode == 0, result.output
    assert "CREATE TABLE users" in result.stdout
    assert "CREATE TABLE profiles" in result.stdout
    assert "uq_users_username" in result.stdout
    password = next(
        line.split("=", 1)[1]
        for line in (project / ".env").read_text().splitlines()
        if line.startswith("DB_PASSWORD=")
    )
    assert password not in result.output
