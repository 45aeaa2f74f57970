{%- set db = cookiecutter | backend -%}
"""Where the test suite runs: a database of its own, never the development one.

The suite builds its schema with the migrations and removes everything at the
end, so it erases the database it runs in. This module derives that database
from the settings and says why a database must not be used for it.
"""

from __future__ import annotations

{% if db.server -%}
import hashlib
{% endif -%}
from pathlib import Path

{% if db.server -%}
from sqlalchemy import URL, create_engine, make_url{{ ", text" if cookiecutter.database_backend == "mssql" }}
{% if db.admin_database -%}
from sqlalchemy.exc import DBAPIError
{% endif -%}
from sqlalchemy.pool import NullPool
{% else -%}
from sqlalchemy import URL, make_url
{% endif %}
{% if db.admin_database -%}
from ..errors import first_line
{% endif -%}
from ..settings import Settings
from .database import get_db_url, is_in_memory_sqlite, sqlite_url

IN_MEMORY_SQLITE = sqlite_url(":memory:")
{%- if db.server %}
{%- if cookiecutter.database_backend == "postgresql" %}
#: PostgreSQL silently cuts longer names short: "<63 bytes>_test" would be the
#: development database itself. Derived names are shortened, with a hash, to fit.
{%- else %}
#: {{ db.label }} refuses longer names: derived names are shortened, with a
#: hash, to fit.
{%- endif %}
NAME_MAX_BYTES = {{ db.name_max_bytes }}
DEFAULT_PORT = {{ db.port }}
#: Host names of this machine: one server, whichever a URL uses.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", ""})
{%- if db.connect_timeout_arg is mapping %}
#: Give up on an unreachable server after five seconds: the login timeout,
#: which each driver names differently (pymssql's `timeout` is a query timeout).
LOGIN_TIMEOUT_ARGS = {{ db.connect_timeout_arg | tojson }}
{%- else %}
#: Give up on an unreachable server after five seconds.
CONNECT_ARGS = {{ '{' }}{{ db.connect_timeout_arg | tojson }}: 5{{ '}' }}
{%- endif %}
{%- endif %}


def suite_database_url(settings: Settings, worker: str | None = None) -> URL:
    """`TEST_DATABASE_URL`, else the application's database with "_test" added.

    The application's SQLite file becomes an in-memory database. `worker`
    (pytest-xdist's "gw0", "gw1", ...) gives each parallel worker a database
    of its own.
    """
    url = get_db_url(settings)
    suffix = "_test"
    if settings.test_database_url:
        url, suffix = make_url(settings.test_database_url), ""
    elif url.get_backend_name() == "sqlite":
        return IN_MEMORY_SQLITE
    if worker:
        suffix += f"_{worker}"
    if not suffix or is_in_memory_sqlite(url):
        return url
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        return url.set(database=str(path.with_stem(path.stem + suffix)))
{%- if db.server %}
    name = derived_name(url.{{ db.test_database_part }} or "", suffix)
    return url.set({{ db.test_database_part }}=name)
{%- else %}
    return url.set(database=f"{url.database}{suffix}")
{%- endif %}
{%- if db.server %}


def derived_name(name: str, suffix: str) -> str:
    """`name` + `suffix`, shortened (with a hash of `name`) to NAME_MAX_BYTES."""
    whole = name + suffix
    if len(whole.encode()) <= NAME_MAX_BYTES:
        return whole
    tail = f"_{hashlib.sha256(name.encode()).hexdigest()[:8]}{suffix}"
    head = name.encode()[: NAME_MAX_BYTES - len(tail.encode())]
    return head.decode(errors="ignore") + tail
{%- endif %}


def refusal(url: URL, settings: Settings) -> str | None:
    """Why the suite must not run in `url`, or None when it may."""
    where = url.render_as_string(hide_password=True)
    if same_database(url, get_db_url(settings)):
        return (
            f"{where} is the development database (DATABASE_URL or the DB_* "
            "settings), and the suite erases its database: set TEST_DATABASE_URL "
            "to another one"
        )
    name = _name(url)
    if name and "test" not in name.lower() and not settings.test_database_may_be_erased:
        return (
            f"{where}: the suite erases its database, and {name!r} is not named "
            'for tests (no "test" in it): use one that is, or set '
            "TEST_DATABASE_MAY_BE_ERASED=true"
        )
    return None


def same_database(first: URL, second: URL) -> bool:
    """Whether both URLs lead to the same database (an in-memory one is never shared)."""
    return _identity(first) == _identity(second)


def _identity(url: URL) -> tuple[object, ...]:
    if is_in_memory_sqlite(url):
        return (object(),)
    if url.get_backend_name() == "sqlite":
        return ("sqlite", Path(str(url.database)).resolve())
{%- if db.server %}
    host = (url.host or "").lower()
    return (
        url.get_backend_name(),
        "localhost" if host in LOCAL_HOSTS else host,
        url.port or DEFAULT_PORT,
        _stored(url.database),
{%- if db.test_database_part == "username" %}
        # The service is the database; each user has a schema of its own.
        _stored(url.username),
{%- endif %}
    )


def _stored(name: str | None) -> bytes:
    """`name` as the server keeps it: the first NAME_MAX_BYTES bytes (compared
    without letter case, to err on the side of "the same")."""
    return (name or "").lower().encode()[:NAME_MAX_BYTES]
{%- else %}
    return (url.get_backend_name(), url.host, url.port, url.database)
{%- endif %}


def _name(url: URL) -> str | None:
    """The name that says what the database is for (None: in memory)."""
    if is_in_memory_sqlite(url):
        return None
    if url.get_backend_name() == "sqlite":
        return Path(str(url.database)).name
{%- if db.server %}
    return url.{{ db.test_database_part }} or ""
{%- else %}
    return url.database
{%- endif %}
{%- if db.server %}


def check_connection(url: URL) -> None:
    """Log in to `url` once; DBAPIError if the server refuses."""
    probe = create_engine(url, poolclass=NullPool, connect_args={{ "connect_args(url)" if db.connect_timeout_arg is mapping else "CONNECT_ARGS" }})
    try:
        with probe.connect():
            pass
    finally:
        probe.dispose()
{%- if db.connect_timeout_arg is mapping %}


def connect_args(url: URL) -> dict[str, int]:
    """The driver's options for a five-second login timeout."""
    return {LOGIN_TIMEOUT_ARGS[url.get_driver_name()]: 5}
{%- endif %}
{%- endif %}
{%- if db.admin_database %}


#: The database to connect to while creating another one on {{ db.label }}.
ADMIN_DATABASE = {{ db.admin_database | tojson }}
{%- if db.create_database_options %}
#: What `CREATE DATABASE` adds after the name on {{ db.label }}.
CREATE_DATABASE_OPTIONS = {{ db.create_database_options | tojson }}
{%- endif %}
{%- if cookiecutter.database_backend == "mssql" %}
#: Run on a new database: readers see the last committed version of a row
#: instead of waiting for its writer (README, "SQL Server notes").
AFTER_CREATE_DATABASE = "ALTER DATABASE {name} SET READ_COMMITTED_SNAPSHOT ON"
{%- endif %}


class DatabaseCreationError(Exception):
    """The server answered, but refused to create the test database."""


def _connects(url: URL) -> bool:
    try:
        check_connection(url)
    except DBAPIError:
        return False
    return True


def ensure_database(url: URL) -> None:
    """Create `url`'s database unless it exists.

    DBAPIError when the server cannot be reached or refuses the login;
    DatabaseCreationError when it refuses to create the database.
    """
    if _connects(url):
        return
    # Missing, or the server is down: connecting to the server tells which.
    admin = create_engine(
        url.set(database=ADMIN_DATABASE),
        poolclass=NullPool,
        connect_args={{ "connect_args(url)" if db.connect_timeout_arg is mapping else "CONNECT_ARGS" }},
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as connection:
            name = connection.dialect.identifier_preparer.quote(str(url.database))
            try:
{%- if db.create_database_options %}
                connection.exec_driver_sql(
                    f"CREATE DATABASE {name} {CREATE_DATABASE_OPTIONS}"
                )
{%- if cookiecutter.database_backend == "mssql" %}
                connection.exec_driver_sql(AFTER_CREATE_DATABASE.format(name=name))
{%- endif %}
{%- else %}
                connection.exec_driver_sql(f"CREATE DATABASE {name}")
{%- endif %}
            except DBAPIError as error:
                if _connects(url):  # another run created it meanwhile
                    return
                where = url.set(database=ADMIN_DATABASE).render_as_string(
                    hide_password=True
                )
                raise DatabaseCreationError(
                    f"the server at {where} refused to create the test database "
                    f"{url.database!r}: {first_line(error)}"
                ) from None
    finally:
        admin.dispose()
{%- include "backends/" ~ cookiecutter.database_backend ~ "/testing.py" ignore missing %}
{%- endif %}
