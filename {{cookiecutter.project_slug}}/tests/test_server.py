{%- set db = cookiecutter | backend -%}
"""What only the real {{ db.label }} server can show; skipped on the SQLite fallback.

conftest.py marks these `server` and skips them, with the reason, when the
suite runs on SQLite; `--require-db` (or CI=true) makes that an error instead.
"""

from __future__ import annotations

import json
{% if cookiecutter.database_backend in ["postgresql", "mysql"] -%}
import os
import shutil
import subprocess
import sys
{% endif -%}
import traceback
{%- if cookiecutter.database_backend == "postgresql" %}
from datetime import UTC, datetime
{%- endif %}

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import Engine, {% if db.name == "postgresql" %}event, {% endif %}insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }} import {% if db.analytics %}doctor_bigquery, {% endif %}security
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import (
    DataLayerError,
    is_duplicate_key,
)
from {{ cookiecutter.package_name }}.infra.database import get_session
from {{ cookiecutter.package_name }}.infra.testing import derived_name
from {{ cookiecutter.package_name }}.models import User
{%- if db.name == "postgresql" %}
from {{ cookiecutter.package_name }}.repositories.user_repository import (
    NewUser,
    UserRepository,
)
{%- endif %}

pytestmark = pytest.mark.server


def test_suite_runs_on_the_configured_server(test_engine: Engine) -> None:
    dialect = test_engine.dialect
    driver = f"{dialect.name}+{dialect.driver}"
    assert driver in {{ db.url_drivers | tuple_literal }}
    with test_engine.connect() as connection:
        assert connection.dialect.server_version_info


def test_text_in_any_script_round_trips(db_session: Session) -> None:
    name = "名前 ✓ Ünïcödé 🎉"
    db_session.add(User(username=name, email="script@example.com", password_hash="x"))
    db_session.flush()
    db_session.expire_all()
    assert db_session.scalar(select(User.username)) == name


def test_driver_errors_tell_duplicates_from_other_violations(
    db_session: Session,
) -> None:
    row = {
        "username": "twin",
        "username_key": "twin",
        "email": "twin@example.com",
        "password_hash": "x",
    }
    db_session.execute(insert(User).values(row))
    with pytest.raises(IntegrityError) as duplicate, db_session.begin_nested():
        db_session.execute(insert(User).values(row))
    assert is_duplicate_key(duplicate.value)
    with pytest.raises(IntegrityError) as missing, db_session.begin_nested():
        db_session.execute(
            insert(User).values(
                username="solo", username_key="solo", email=None, password_hash="x"
            )
        )
    assert not is_duplicate_key(missing.value)
{%- if cookiecutter.database_backend == "postgresql" %}


def test_bulk_create_copies_its_rows(db_session: Session) -> None:
    """On PostgreSQL the rows go by COPY (figure 3 of the template's
    benchmark), not as an INSERT, in the session's transaction."""
    sent: list[str] = []

    @event.listens_for(db_session.connection(), "before_cursor_execute")
    def record(
        _connection: object, _cursor: object, statement: str, *_: object
    ) -> None:
        sent.append(statement)

    hashed = security.hash_password("copied password")
    rows: list[NewUser] = [
        {
            "username": f"copied{n}",
            "email": f"c{n}@example.com",
            "password_hash": hashed,
        }
        for n in range(3)
    ]
    repo = UserRepository(db_session)
    assert repo.bulk_create(rows) == 3
    # Within a savepoint of the caller's transaction; the engine's events see it.
    assert [s.split(" ", 1)[0] for s in sent] == ["SAVEPOINT", "COPY", "RELEASE"]
    assert repo.count() == 3


def test_timestamps_keep_the_instant_in_any_time_zone(db_session: Session) -> None:
    """timestamptz: a client in another time zone reads the same moment."""
    moment = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    user = User(username="zoned", email="zoned@example.com", password_hash="x")
    user.created_at = moment
    db_session.add(user)
    db_session.flush()
    db_session.execute(text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))
    db_session.expire_all()
    loaded = db_session.scalar(select(User.created_at))
    assert loaded == moment
    assert loaded is not None
    assert loaded.tzinfo is UTC
    shown = db_session.scalar(text("SELECT created_at::text FROM users"))
    assert shown == "2030-01-02 12:04:05.678901+09"
{%- endif %}


def test_a_too_long_value_is_refused_without_the_rows_values(
    db_session: Session,
) -> None:
    """The error for a value too long for its column, formatted with its
    traceback, carries none of the row's values (SQLite does not enforce
    lengths: only a server shows this; see also test_error_privacy.py)."""
    password_hash = security.hash_password("stored password 7f3e")
    long_name = "too-long-7f3e-" + "x" * 200
    with pytest.raises(DataLayerError) as raised, get_session() as session:
        session.execute(
            insert(User).values(
                username=long_name,
                username_key=long_name,
                email="long-7f3e@example.com",
                password_hash=password_hash,
            )
        )
    shown = "".join(traceback.format_exception(raised.value))
    for value in (password_hash, long_name[:20], "long-7f3e@example.com"):
        assert value not in shown
    assert raised.value.__cause__ is None
{%- if cookiecutter.database_backend in ["postgresql", "mysql"] %}


def test_dbshell_runs_the_real_client(test_engine: Engine) -> None:
    """The client logs in with the settings' password, which it never gets
    on its command line (test_cli.py), and runs a query."""
    url = test_engine.url.render_as_string(hide_password=False)
{%- if cookiecutter.database_backend == "postgresql" %}
    client, query = "psql", ["-At", "-c", "SELECT current_user"]
{%- else %}
    client, query = "mariadb", ["-N", "-e", "SELECT CURRENT_USER()"]
{%- endif %}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "{{ cookiecutter.package_name }}",
            "dbshell",
            "--",
            *query,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
    )
    if shutil.which(client) or shutil.which("mysql"):
        assert done.returncode == 0, done.stderr
        assert str(test_engine.url.username) in done.stdout
    else:  # this machine lacks the client: one line says what to install
        assert done.returncode == 1
        assert "is not installed: install " in done.stderr
{%- endif %}


def test_the_project_command_on_the_server(
    committing_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """migrate (back and forth), showmigrations, sqlmigrate, doctor and
    createuser on the real server, in the test database, which the suite
    set as DATABASE_URL: it is left at head, and empty.

    doctor's `alembic check` on a database at head is the proof that the
    server's types and defaults read back as the models declare them.
    """
    url = committing_engine.url
    # Somewhere else, named for tests, for doctor's test database check (it
    # need not exist).
    {%- set part = db.test_database_part %}
    other = url.set({{ part }}=derived_name(str(url.{{ part }}), "_other_test"))
    monkeypatch.setenv("TEST_DATABASE_URL", other.render_as_string(hide_password=False))
{%- if db.analytics %}
    # doctor's BigQuery checks run on the emulator (tests/analytics/).
    monkeypatch.setattr(doctor_bigquery, "bigquery_checks", lambda *_: [])
{%- endif %}
    script = ScriptDirectory.from_config(Config("alembic.ini"))
    first = script.get_base()
    assert first is not None

    def cli(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(main, list(args), input=stdin)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    def doctor() -> dict[str, dict[str, str]]:
        result = CliRunner().invoke(main, ["doctor", "--json"])
        checks = json.loads(result.output)["checks"]
        return {check["name"]: check for check in checks}

    assert "[ ]" not in cli("showmigrations")
    assert "CREATE TABLE users" in cli("sqlmigrate", first)
    try:
        cli("migrate", first)
        assert f"[X] {first}" in cli("showmigrations")
        assert "[ ]" in cli("showmigrations")
        assert doctor()["migrations"]["fix"] == "apply them: migrate"
    finally:
        cli("migrate")
    checks = doctor()
    assert {name: c["status"] for name, c in checks.items()} == dict.fromkeys(
        checks, "ok"
    ), checks
    assert checks["database"]["detail"].startswith(f"{url.get_backend_name()} ")
    with committing_engine.begin() as connection:
        connection.execute(text("ALTER TABLE users ADD nickname VARCHAR(50)"))
    try:
        drifted = doctor()["migrations"]
        assert "models differ from the migrations" in drifted["detail"]
        assert "nickname" in drifted["detail"]
    finally:
        with committing_engine.begin() as connection:
            connection.execute(text("ALTER TABLE users DROP COLUMN nickname"))
    made = cli(
        "createuser",
        "ada",
        "ada@example.com",
        "--password-stdin",
        stdin="long enough\n",
    )
    assert "created user 'ada'" in made
    with get_session() as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        assert user.check_password("long enough")
