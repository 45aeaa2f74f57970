{%- set db = cookiecutter | backend -%}
{%- set hybrid = db.relational and db.analytics -%}
"""The project's command line: `{{ cookiecutter.project_slug }} COMMAND`, or `python -m {{ cookiecutter.package_name }} COMMAND`.

`migrate`, `makemigrations`, `showmigrations` and `sqlmigrate` are thin
wrappers over Alembic's command API, with the project's `alembic.ini` and
`{{ "migrations" if db.relational else "migrations_analytics" }}/env.py` (plain `alembic` keeps working); `doctor` diagnoses the
database setup in one report{% if db.relational %}; `createuser` adds a user{% endif %}.
{%- if hybrid %} The BigQuery dataset has
its own: `analytics migrate`, `analytics dbshell`, ...
{%- endif %}

Start-up stays fast: only click is imported here; each command imports
SQLAlchemy, Alembic and the project's modules when it runs, so `--help`
loads no ORM and no driver.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

    from .dbshell import Client


#: The project's name, as its README gives it.
PROJECT_NAME = {{ cookiecutter.project_name | literal }}


@click.group(
    help=f"Manage the database of {PROJECT_NAME}.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
def main() -> None:
    pass


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for machines.")
def doctor(as_json: bool) -> None:
{%- if db.relational %}
    """Check the settings, the driver, the server, the login, the database and
    its migrations{% if db.analytics %}, then BigQuery's{% endif %}; exit status 1 when a check fails."""
{%- else %}
    """Check the settings, the credentials, the dataset, its migrations and
    the cost limit; exit status 1 when a check fails."""
{%- endif %}
    from .doctor import report, run_checks

    checks = run_checks(_project_root())
    click.echo(report(checks, as_json=as_json))
    if any(check.status == "fail" for check in checks):
        sys.exit(1)


def add_migration_commands(group: click.Group, section: str) -> None:
    """`migrate`, `makemigrations`, `showmigrations` and `sqlmigrate` on
    `group`, for the database of alembic.ini's `section`."""

    @group.command()
    @click.argument("target", default="head")
    def migrate(target: str) -> None:
        """Upgrade the database to TARGET (default: head), or back to an earlier
        revision; "zero" undoes every migration."""
        from alembic import command

        config = _alembic_config(section)
        with _errors():
            if target == "zero":
                command.downgrade(config, "base")
                return
            current = _current(section)
            if target in _applied(config, current) - current:  # an older revision
                command.downgrade(config, target)
            else:
                command.upgrade(config, target)

    @group.command()
    @click.option("-m", "--message", required=True, help="What the revision does.")
    def makemigrations(message: str) -> None:
        """Write a revision for what the models changed (Alembic's autogenerate)."""
        from alembic import command

        with _errors():
            command.revision(
                _alembic_config(section), message=message, autogenerate=True
            )

    @group.command()
    def showmigrations() -> None:
        """Every revision, oldest first: [X] applied, [ ] pending."""
        from alembic.script import ScriptDirectory

        config = _alembic_config(section)
        with _errors():
            applied = _applied(config, _current(section))
            script = ScriptDirectory.from_config(config)
            for revision in reversed(list(script.walk_revisions())):
                mark = "X" if revision.revision in applied else " "
                click.echo(f"[{mark}] {revision.revision}  {revision.doc}")

    @group.command()
    @click.argument("revision")
    def sqlmigrate(revision: str) -> None:
        """Print the SQL that upgrading to REVISION runs (no connection)."""
        from alembic import command
        from alembic.script import ScriptDirectory

        config = _alembic_config(section)
        with _errors():
            found = ScriptDirectory.from_config(config).get_revision(revision)
            if found is None:
                raise click.ClickException(f"no revision {revision!r}")
            below = found.down_revision
            if isinstance(below, tuple):  # a merge: from its first parent
                below = below[0]
            span = f"{below}:{found.revision}" if below else found.revision
            command.upgrade(config, span, sql=True)
{%- if db.relational %}


@main.command()
@click.argument("username")
@click.argument("email")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
def createuser(username: str, email: str, password_stdin: bool) -> None:
    """Add a user; the password is asked twice (or read from standard input)."""
    from .errors import DataLayerError
    from .infra.database import get_session
    from .repositories.user_repository import UserRepository

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with get_session() as session:
            user = UserRepository(session).create(username, email, password)
            user_id = user.id
    except DataLayerError as error:  # DuplicateError, ValidationError, ...
        raise click.ClickException(str(error)) from None
    click.echo(f"created user {username!r} (id {user_id})")
{%- endif %}


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dbshell(args: tuple[str, ...]) -> None:
{%- if db.relational %}
    """Start the database's own client ({{ "psql" if cookiecutter.database_backend == "postgresql" else "mariadb or mysql" if cookiecutter.database_backend == "mysql" else "sqlcmd" if cookiecutter.database_backend == "mssql" else "sqlplus" if cookiecutter.database_backend == "oracle" else "sqlite3" }}), connected
    with the settings; ARGS go to it (after --)."""
    from .dbshell import client_for
    from .infra.database import get_db_url

    with _settings_errors():
        url = get_db_url()
    _run_client(client_for(url, args))
{%- else %}
    """Start BigQuery's client (bq shell) on the dataset; ARGS replace
    `shell` (after --), e.g. -- query "SELECT 1"."""
    _bq(args)
{%- endif %}
{%- if hybrid %}


@main.group()
def analytics() -> None:
    """The BigQuery dataset: its migrations and its client."""


@analytics.command(name="dbshell", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def analytics_dbshell(args: tuple[str, ...]) -> None:
    """Start BigQuery's client (bq shell) on the dataset; ARGS replace
    `shell` (after --), e.g. -- query "SELECT 1"."""
    _bq(args)
{%- endif %}
{%- if db.analytics %}


def _bq(args: tuple[str, ...]) -> None:
    from .dbshell import bigquery_client
    from .settings import get_settings

    with _settings_errors():
        settings = get_settings()
    _run_client(bigquery_client(settings, args))
{%- endif %}


def _run_client(found: Client) -> None:
    """Run the client; exit with its status."""
    from .dbshell import ClientMissingError, run

    try:
        status = run(found)
    except ClientMissingError as error:
        raise click.ClickException(str(error)) from None
    sys.exit(status)


@main.command()
def shell() -> None:
{%- if db.relational %}
    """A Python shell with `session` (commit it yourself), `select`, `func`,
    `text`, the models and UserRepository{% if db.analytics %}, and `analytics_session` with
    AnalyticsEvent and AnalyticsRepository{% endif %} (IPython when it is installed)."""
{%- else %}
    """A Python shell with `session` (on the BigQuery dataset), `select`,
    `func`, `text`, the models, AnalyticsRepository and `check_cost` (IPython when it
    is installed)."""
{%- endif %}
    import code
    import importlib
    import importlib.util

    from sqlalchemy import func, select, text

    from . import models
{%- if db.analytics %}
    from .infra.bigquery import check_cost, get_bigquery_session_maker
{%- endif %}
{%- if db.relational %}
    from .infra.database import get_session_maker
{%- endif %}
{%- if hybrid %}
    from .models.analytics_event import AnalyticsEvent
    from .repositories.analytics_repository import AnalyticsRepository
{%- elif db.analytics %}
    from .repositories.analytics_repository import AnalyticsRepository
{%- endif %}
{%- if db.relational %}
    from .repositories.user_repository import UserRepository
{%- endif %}

{%- if db.relational %}

    session = get_session_maker()()
{%- else %}

    session = get_bigquery_session_maker()()
{%- endif %}
{%- if hybrid %}
    analytics_session = get_bigquery_session_maker()()
{%- endif %}
    namespace = {
        "session": session,
        "select": select,
        "func": func,
        "text": text,
{%- if db.relational %}
        "UserRepository": UserRepository,
{%- endif %}
{%- if hybrid %}
        "analytics_session": analytics_session,
        "AnalyticsEvent": AnalyticsEvent,
{%- endif %}
{%- if db.analytics %}
        "AnalyticsRepository": AnalyticsRepository,
        "check_cost": check_cost,
{%- endif %}
        **{name: getattr(models, name) for name in models.__all__},
    }
    banner = f"{PROJECT_NAME}: {', '.join(namespace)}"
    try:
        if importlib.util.find_spec("IPython") is not None:
            ipython = importlib.import_module("IPython")
            ipython.start_ipython(argv=[], user_ns=namespace, display_banner=False)
        else:
            code.interact(banner=banner, local=namespace, exitmsg="")
    finally:
        session.close()
{%- if hybrid %}
        analytics_session.close()
{%- endif %}


def _project_root() -> Path | None:
    """The folder of alembic.ini: the current one, or the project's own (an
    editable install runs from the source tree); None when neither has it."""
    for folder in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (folder / "alembic.ini").is_file():
            return folder
    return None


def _alembic_config(section: str) -> Config:
    from alembic.config import Config

    root = _project_root()
    if root is None:
        raise click.ClickException(
            "alembic.ini not found: run this in the project's folder"
        )
    return Config(str(root / "alembic.ini"), ini_section=section)


def _engine(section: str) -> Engine:
    """A new engine on the database of alembic.ini's `section`."""
{%- if hybrid %}
    if section == "analytics":
        from .infra.bigquery import create_bigquery_engine

        return create_bigquery_engine()
{%- endif %}
{%- if db.relational %}
    from .infra.database import create_db_engine, get_db_url

    return create_db_engine(get_db_url())
{%- else %}
    from .infra.bigquery import create_bigquery_engine

    return create_bigquery_engine()
{%- endif %}


def _current(section: str) -> set[str]:
    """The revisions the database is at (none before the first migration)."""
    from .doctor import current_revisions

    engine = _engine(section)
    try:
        return current_revisions(engine)
    finally:
        engine.dispose()


def _applied(config: Config, current: set[str]) -> set[str]:
    """The revisions applied to a database at `current`: those and their ancestors."""
    from alembic.script import ScriptDirectory

    from .doctor import applied_revisions

    return applied_revisions(ScriptDirectory.from_config(config), current)


@contextmanager
def _settings_errors() -> Iterator[None]:
    """A bad setting as one line (exit status 1), without importing Alembic or
    the database's errors: the clients start sooner."""
    from .settings import SettingsError

    try:
        yield
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def _errors() -> Iterator[None]:
    """Alembic's and the database's errors as one line (exit status 1)."""
    from alembic.util import CommandError
{%- if db.analytics %}
    from google.api_core.exceptions import GoogleAPIError
{%- endif %}
    from sqlalchemy.exc import SQLAlchemyError

{%- if db.relational %}

    from .errors import DataLayerError, translate
    from .infra.database import get_db_url
{%- else %}

    from .errors import DataLayerError
{%- endif %}
    from .settings import SettingsError

    try:
        yield
{%- if db.analytics %}
    except GoogleAPIError as error:  # BigQuery's: its own message names the cause
        raise click.ClickException(str(error)) from None
{%- endif %}
{%- if db.relational %}
    except SQLAlchemyError as error:
        raise click.ClickException(str(translate(error, get_db_url()))) from None
{%- else %}
    except SQLAlchemyError as error:
        raise click.ClickException(str(error).splitlines()[0]) from None
{%- endif %}
    except (CommandError, SettingsError, DataLayerError) as error:
        raise click.ClickException(str(error)) from None


add_migration_commands(main, "alembic")
{%- if hybrid %}
add_migration_commands(analytics, "analytics")
{%- endif %}
