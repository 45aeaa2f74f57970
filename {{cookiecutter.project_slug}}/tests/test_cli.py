{%- set db = cookiecutter | backend -%}
"""The command line (cli.py), run in-process with click's CliRunner.

Each test works in a copy of alembic.ini and migrations/ in a folder of its
own, on a SQLite file named by DATABASE_URL (the migrations run on every
backend this project offers, SQLite included), so nothing here touches the
project's files or its databases.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import {% if db.server %}URL, {% endif %}create_engine, select, text

{% if db.analytics -%}
from {{ cookiecutter.package_name }} import doctor_bigquery
{% endif -%}
from {{ cookiecutter.package_name }}.cli import main
{%- if db.server %}
from {{ cookiecutter.package_name }}.dbshell import client_for
{%- endif %}
from {{ cookiecutter.package_name }}.infra import database
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.settings import get_settings

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with alembic.ini and migrations/, the working directory, its
    development database `dev.db` (not created yet)."""
    shutil.copy(PROJECT / "alembic.ini", tmp_path)
    shutil.copytree(PROJECT / "migrations", tmp_path / "migrations")
    (tmp_path / "pyproject.toml").touch()  # the project's root: no .env above it
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+pysqlite:///{tmp_path / 'dev.db'}")
    monkeypatch.setenv(
        "TEST_DATABASE_URL", f"sqlite+pysqlite:///{tmp_path / 'dev_test.db'}"
    )
    monkeypatch.delenv("ENV_FILE", raising=False)
{%- if db.analytics %}
    # doctor's BigQuery checks have their own tests, on the emulator
    # (tests/analytics/): these are about the operational database.
    monkeypatch.setattr(doctor_bigquery, "bigquery_checks", lambda *_: [])
{%- endif %}
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def revisions() -> list[str]:
    """The project's revisions, oldest first."""
    script = ScriptDirectory.from_config(Config(str(PROJECT / "alembic.ini")))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_help_loads_no_orm_and_no_driver() -> None:
    code = (
        "import runpy, sys\n"
        "package = sys.argv.pop(1)\n"
        "sys.argv[1:] = ['--help']\n"
        "try:\n"
        "    runpy.run_module(package, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sqlalchemy', 'alembic', 'psycopg', 'pymysql', 'pyodbc', 'oracledb')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(heavy)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "{{ cookiecutter.package_name }}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "migrate" in done.stdout
    assert "doctor" in done.stdout
    assert done.stdout.strip().endswith("[]"), done.stdout


def test_migrate_then_back_to_a_revision_then_zero(workspace: Path) -> None:
    first, last = revisions()[0], revisions()[-1]
    assert cli("migrate").exit_code == 0
    listed = cli("showmigrations").output.splitlines()
    assert listed == [line for line in listed if line.startswith("[X] ")]
    assert any(line.startswith(f"[X] {last}") for line in listed)
    assert cli("migrate", first).exit_code == 0
    shown = cli("showmigrations").output
    assert f"[X] {first}" in shown
    assert f"[ ] {last}" in shown
    assert cli("migrate", "zero").exit_code == 0
    assert "[X]" not in cli("showmigrations").output


def test_sqlmigrate_prints_the_sql_without_a_database(workspace: Path) -> None:
    result = cli("sqlmigrate", revisions()[0])
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE users" in result.output
    assert not (workspace / "dev.db").exists()
    unknown = cli("sqlmigrate", "nope")
    assert unknown.exit_code == 1
    assert "nope" in unknown.output


def test_makemigrations_writes_a_revision_that_passes_ruff_and_mypy(
    workspace: Path,
) -> None:
    assert cli("migrate").exit_code == 0
    engine = create_engine(f"sqlite+pysqlite:///{workspace / 'dev.db'}")
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE users ADD COLUMN nickname VARCHAR(50)"))
    engine.dispose()
    result = cli("makemigrations", "-m", "drop nickname")
    assert result.exit_code == 0, result.output
    [new] = (workspace / "migrations" / "versions").glob("*drop_nickname.py")
    assert "nickname" in new.read_text()
    assert_passes_ruff_and_mypy(new)


def assert_passes_ruff_and_mypy(path: Path) -> None:
    """`path` passes the project's ruff and mypy (strict) as it was written.

    mypy checks the file's own code (annotations, calls without types) and
    skips what it imports, which `uv run mypy` checks with the project: 1 s
    instead of 9.
    """
    config = str(PROJECT / "pyproject.toml")
    for tool in (
        ["ruff", "check", "--no-cache", "--config", config],
        ["mypy", "--config-file", config, "--follow-imports=skip", "--no-incremental"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", *tool, str(path)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def doctor(*args: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = cli("doctor", "--json", *args)
    report = json.loads(result.output)
    assert report["ok"] is (result.exit_code == 0)
    return result.exit_code, {check["name"]: check for check in report["checks"]}


def test_doctor_passes_once_migrated(workspace: Path) -> None:
    assert cli("migrate").exit_code == 0
    status, checks = doctor()
    assert status == 0, checks
    assert {c["status"] for c in checks.values()} == {"ok"}
    assert {"settings", "driver", "database", "migrations", "test database"} <= set(
        checks
    )
    readable = cli("doctor").output
    assert readable.rstrip().endswith("all checks passed")


def test_doctor_finds_a_missing_database(workspace: Path) -> None:
    status, checks = doctor()
    assert status == 1
    assert checks["database"]["status"] == "fail"
    assert "migrate" in checks["database"]["fix"]
    assert checks["migrations"]["status"] == "skip"
    assert not (workspace / "dev.db").exists()  # looking did not create it


def test_doctor_finds_pending_migrations(workspace: Path) -> None:
    first, last = revisions()[0], revisions()[-1]
    assert cli("migrate", first).exit_code == 0
    status, checks = doctor()
    assert status == 1
    assert checks["migrations"]["status"] == "fail"
    assert checks["migrations"]["detail"].endswith(
        f"pending: {', '.join(revisions()[1:])}"
    )
    assert last in checks["migrations"]["detail"]
    assert checks["migrations"]["fix"] == "apply them: migrate"


def test_doctor_finds_models_drifted_from_the_migrations(workspace: Path) -> None:
    assert cli("migrate").exit_code == 0
    engine = create_engine(f"sqlite+pysqlite:///{workspace / 'dev.db'}")
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE users ADD COLUMN nickname VARCHAR(50)"))
    engine.dispose()
    status, checks = doctor()
    assert status == 1
    assert "models differ from the migrations" in checks["migrations"]["detail"]
    assert "nickname" in checks["migrations"]["detail"]


def test_doctor_refuses_the_development_database_for_tests(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("migrate").exit_code == 0
    monkeypatch.setenv(
        "TEST_DATABASE_URL", f"sqlite+pysqlite:///{workspace / 'dev.db'}"
    )
    status, checks = doctor()
    assert status == 1
    assert checks["test database"]["status"] == "fail"
    assert "development database" in checks["test database"]["detail"]


def test_doctor_names_a_bad_setting(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "-1")
    status, checks = doctor()
    assert status == 1
    assert list(checks) == ["settings"]
    assert "DB_POOL_SIZE" in checks["settings"]["detail"]


@pytest.fixture
def migrated(workspace: Path) -> Iterator[Path]:
    """The workspace's database at head, with the application's sessions sent
    to it (the suite refuses them otherwise)."""
    assert cli("migrate").exit_code == 0
    engine = database.create_db_engine(f"sqlite+pysqlite:///{workspace / 'dev.db'}")
    with database.use_database(engine):
        yield workspace
    engine.dispose()


@pytest.mark.usefixtures("migrated")
def test_createuser_then_sign_in() -> None:
    made = cli(
        "createuser",
        "ada",
        "ada@example.com",
        "--password-stdin",
        stdin="correct horse\n",
    )
    assert made.exit_code == 0, made.output
    again = cli(
        "createuser",
        "ADA",
        "other@example.com",
        "--password-stdin",
        stdin="correct horse\n",
    )
    assert again.exit_code == 1
    assert len(again.output.strip().splitlines()) == 1
    assert "ada" in again.output.lower()
    with database.get_session() as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        assert user.check_password("correct horse")
        assert not user.check_password("wrong horse")


@pytest.mark.usefixtures("migrated")
def test_createuser_asks_for_the_password_twice() -> None:
    # A confirmation that differs is asked again; the typing is not echoed.
    made = cli(
        "createuser",
        "grace",
        "grace@example.com",
        stdin="first try\nsecond try\nsecret pw\nsecret pw\n",
    )
    assert made.exit_code == 0, made.output
    assert "do not match" in made.output
    assert "try" not in made.output
    assert "secret pw" not in made.output
    with database.get_session() as session:
        user = session.scalars(select(User).where(User.username == "grace")).one()
        assert user.check_password("secret pw")


@pytest.mark.usefixtures("migrated")
def test_shell_starts_ipython_when_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "fake" / "IPython"  # records what it is given
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "def start_ipython(argv, user_ns, display_banner):\n"
        "    print('IPython got', sorted(user_ns))\n"
    )
    monkeypatch.syspath_prepend(str(fake.parent))
    try:
        result = cli("shell")
    finally:
        sys.modules.pop("IPython", None)
    assert result.exit_code == 0, result.output
    assert "IPython got" in result.output
    for name in ("session", "select", "User", "UserRepository"):
        assert repr(name) in result.output


@pytest.mark.usefixtures("migrated")
def test_shell_has_a_session_and_the_models() -> None:
    result = cli(
        "shell",
        stdin="print('users:', session.scalar(select(func.count(User.id))))\n",
    )
    assert result.exit_code == 0, result.output
    assert "users: 0" in result.output


def test_dbshell_runs_the_client_on_the_database(workspace: Path) -> None:
    assert cli("migrate").exit_code == 0
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "{{ cookiecutter.package_name }}",
            "dbshell",
            "--",
            "SELECT count(*) FROM users;",
        ],
        capture_output=True,
        text=True,
    )
    if shutil.which("sqlite3"):
        assert (done.returncode, done.stdout.strip()) == (0, "0"), done.stderr
    else:  # this machine lacks the client: one line says what to install
        assert done.returncode == 1
        assert "sqlite3 is not installed: install " in done.stderr


def test_dbshell_without_the_client_says_what_to_install(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(workspace))  # no client on it
    result = cli("dbshell")
    assert result.exit_code == 1
    assert "sqlite3 is not installed: install the sqlite3" in result.output
{%- if db.server %}


def test_dbshell_keeps_the_password_off_the_command_line() -> None:
    secret = "pa ss'\"\\word"
    url = URL.create(
        "{{ db.drivername }}",
        username="app",
        password=secret,
        host="db.example",
        port={{ db.port }},
        database="orders",
    )
    client = client_for(url, ["--version"])
    assert all(secret not in argument for argument in client.argv)
    assert client.argv[-1] == "--version"
{%- if cookiecutter.database_backend == "postgresql" %}
    assert client.env["PGPASSWORD"] == secret
{%- elif cookiecutter.database_backend == "mssql" %}
    assert client.env["SQLCMDPASSWORD"] == secret
{%- elif cookiecutter.database_backend == "mysql" %}
    assert client.option_file is not None
    assert 'password="pa ss\'\\"\\\\word"' in client.option_file
{%- endif %}
{%- endif %}
