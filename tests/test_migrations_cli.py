"""Alembic from the command line, as users run it, against the real servers."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import (
    LIVE_BACKENDS,
    PSYCOPG2,
    SERVER_BACKENDS,
    Renderer,
    Server,
    missing,
    project_env,
    run,
    tool,
)

ALEMBIC = [sys.executable, "-m", "alembic"]


@pytest.mark.server
@pytest.mark.parametrize(
    "answers",
    [{"database_backend": backend} for backend in LIVE_BACKENDS] + [PSYCOPG2],
    ids=[*LIVE_BACKENDS, "postgresql-psycopg2"],
)
def test_migration_cycle_and_drift(
    render: Renderer,
    server_factory: Callable[[str], Server],
    answers: dict[str, str],
    tmp_path: Path,
) -> None:
    """A model change that check must catch and autogenerate must turn into a
    revision (the plain cycle is walked in test_walks.py, as the README has it)."""
    server = server_factory(answers["database_backend"])
    project = tmp_path / "project"
    shutil.copytree(render(**answers), project)
    # DB_ECHO: the SQL is logged too, and the password must still not show.
    env = project_env(project, DB_ECHO="true", **server.env())

    def alembic(*args: str) -> str:
        result = run([*ALEMBIC, *args], project, env)
        assert result.returncode == 0, f"alembic {' '.join(args)}:\n{result.output}"
        assert server.password not in result.output
        return result.output

    alembic("upgrade", "head")
    assert "0002 (head)" in alembic("current")

    user = project / "src" / "my_service" / "models" / "user.py"
    user.write_text(
        user.read_text().replace(
            "    active: Mapped[bool] = mapped_column(default=True)\n",
            "    active: Mapped[bool] = mapped_column(default=True)\n"
            "    nickname: Mapped[str | None] = mapped_column(String(50))\n",
        )
    )
    drift = run([*ALEMBIC, "check"], project, env)
    assert drift.returncode != 0
    assert "add_column" in drift.output
    assert "nickname" in drift.output
    # The revision autogenerate writes for it is lint-clean and runs.
    alembic("revision", "--autogenerate", "-m", "add nickname")
    [new] = (project / "migrations" / "versions").glob("*add_nickname.py")
    assert "op.add_column" in new.read_text()
    assert (
        run(
            [str(Path(sys.executable).parent / "ruff"), "check", str(new)], project
        ).returncode
        == 0
    )
    alembic("upgrade", "head")
    assert "No new upgrade operations detected." in alembic("check")
    alembic("downgrade", "base")


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


#: squawk's rules on column types that are costly to change once tables fill:
#: 32-bit and 16-bit integers (ids run out) and timestamps without time zone.
TYPE_RULES = {
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-timestamp-tz",
}


def test_postgresql_migrations_pass_squawks_type_rules(
    render: Renderer, tmp_path: Path
) -> None:
    squawk = tool("squawk")
    if not Path(squawk).exists():
        missing("squawk is not installed (squawk-cli, a dev dependency)")
    project = render(database_backend="postgresql")
    env = project_env(project, DB_HOST="db.invalid")
    result = run([*ALEMBIC, "upgrade", "head", "--sql"], project, env)
    assert result.returncode == 0, result.output
    sql = tmp_path / "migrations.sql"
    sql.write_text(result.stdout)
    # A statement each rule flags: proof that this squawk knows the rules.
    canary = tmp_path / "canary.sql"
    canary.write_text("CREATE TABLE canary (a integer, b smallint, c timestamp);\n")
    lint = run([squawk, "--reporter", "json", str(sql), str(canary)], tmp_path)
    found = json.loads(lint.stdout)
    flagged = {Path(f["file"]).name: set() for f in found}
    for finding in found:
        flagged[Path(finding["file"]).name].add(finding["rule_name"])
    assert flagged["canary.sql"] >= TYPE_RULES, lint.output
    assert flagged.get("migrations.sql", set()) & TYPE_RULES == set(), lint.output
