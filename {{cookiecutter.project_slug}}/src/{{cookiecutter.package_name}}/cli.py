"""The project's command line: `{{ cookiecutter.project_slug }} COMMAND`, or `python -m {{ cookiecutter.package_name }} COMMAND`.

`migrate`, `makemigrations`, `showmigrations` and `sqlmigrate` are thin
wrappers over Alembic's command API, with the project's `alembic.ini` and
`migrations/env.py` (plain `alembic` keeps working); `doctor` diagnoses the
database setup in one report; `createuser` adds a user.

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
    """Check the settings, the driver, the server, the login, the database and
    its migrations; exit status 1 when a check fails."""
    from .doctor import report, run_checks

    checks = run_checks(_project_root())
    click.echo(report(checks, as_json=as_json))
    if any(check.status == "fail" for check in checks):
        sys.exit(1)


@main.command()
@click.argument("target", default="head")
def migrate(target: str) -> None:
    """Upgrade the database to TARGET (default: head), or back to an earlier
    revision; "zero" undoes every migration."""
    from alembic import command

    config = _alembic_config()
    with _alembic_errors():
        if target == "zero":
            command.downgrade(config, "base")
            return
        current = _current()
        if target in _applied(config, current) - current:  # an older revision
            command.downgrade(config, target)
        else:
            command.upgrade(config, target)


@main.command()
@click.option("-m", "--message", required=True, help="What the revision does.")
def makemigrations(message: str) -> None:
    """Write a revision for what the models changed (Alembic's autogenerate)."""
    from alembic import command

    with _alembic_errors():
        command.revision(_alembic_config(), message=message, autogenerate=True)


@main.command()
def showmigrations() -> None:
    """Every revision, oldest first: [X] applied, [ ] pending."""
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    with _alembic_errors():
        applied = _applied(config, _current())
        script = ScriptDirectory.from_config(config)
        for revision in reversed(list(script.walk_revisions())):
            mark = "X" if revision.revision in applied else " "
            click.echo(f"[{mark}] {revision.revision}  {revision.doc}")


@main.command()
@click.argument("revision")
def sqlmigrate(revision: str) -> None:
    """Print the SQL that upgrading to REVISION runs (no connection)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    with _alembic_errors():
        found = ScriptDirectory.from_config(config).get_revision(revision)
        if found is None:
            raise click.ClickException(f"no revision {revision!r}")
        below = found.down_revision
        if isinstance(below, tuple):  # a merge: from its first parent
            below = below[0]
        span = f"{below}:{found.revision}" if below else found.revision
        command.upgrade(config, span, sql=True)


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


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dbshell(args: tuple[str, ...]) -> None:
    """Start the database's own client ({{ "psql" if cookiecutter.database_backend == "postgresql" else "mariadb or mysql" if cookiecutter.database_backend == "mysql" else "sqlcmd" if cookiecutter.database_backend == "mssql" else "sqlplus" if cookiecutter.database_backend == "oracle" else "sqlite3" }}), connected
    with the settings; ARGS go to it (after --)."""
    from . import dbshell as client
    from .infra.database import get_db_url

    with _alembic_errors():
        url = get_db_url()
    try:
        status = client.run(url, args)
    except client.ClientMissingError as error:
        raise click.ClickException(str(error)) from None
    sys.exit(status)


@main.command()
def shell() -> None:
    """A Python shell with `session` (commit it yourself), `select`, `func`,
    the models and UserRepository (IPython when it is installed)."""
    import code
    import importlib
    import importlib.util

    from sqlalchemy import func, select

    from . import models
    from .infra.database import get_session_maker
    from .repositories.user_repository import UserRepository

    session = get_session_maker()()
    namespace = {
        "session": session,
        "select": select,
        "func": func,
        "UserRepository": UserRepository,
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


def _project_root() -> Path | None:
    """The folder of alembic.ini: the current one, or the project's own (an
    editable install runs from the source tree); None when neither has it."""
    for folder in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (folder / "alembic.ini").is_file():
            return folder
    return None


def _alembic_config() -> Config:
    from alembic.config import Config

    root = _project_root()
    if root is None:
        raise click.ClickException(
            "alembic.ini not found: run this in the project's folder"
        )
    return Config(str(root / "alembic.ini"))


def _current() -> set[str]:
    """The revisions the database is at (none before the first migration)."""
    from .doctor import current_revisions
    from .infra.database import create_db_engine, get_db_url

    engine = create_db_engine(get_db_url())
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
def _alembic_errors() -> Iterator[None]:
    """Alembic's and the database's errors as one line (exit status 1)."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from .errors import DataLayerError, translate
    from .infra.database import get_db_url
    from .settings import SettingsError

    try:
        yield
    except SQLAlchemyError as error:
        raise click.ClickException(str(translate(error, get_db_url()))) from None
    except (CommandError, SettingsError, DataLayerError) as error:
        raise click.ClickException(str(error)) from None
