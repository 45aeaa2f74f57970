{%- set db = cookiecutter | backend -%}
"""`dbshell`: the database's own command-line client, connected with the settings.
{%- if db.relational %}

The password never goes on the client's command line, where `ps` shows it
to every account on the machine:
{%- if cookiecutter.database_backend == "postgresql" %} psql reads it from
`PGPASSWORD`, in its own environment only.
{%- elif cookiecutter.database_backend == "mysql" %} the client reads it from an
option file that only this account can read (mode 0600), deleted when the
client ends.
{%- elif cookiecutter.database_backend == "mssql" %} sqlcmd reads it from
`SQLCMDPASSWORD`, in its own environment only.
{%- elif cookiecutter.database_backend == "oracle" %} SQL*Plus asks for it.
{%- else %} SQLite has none.
{%- endif %}
{%- endif %}
{%- if db.analytics %}

BigQuery's client is `bq`, from the Google Cloud CLI: it signs in with the
CLI's own login (`gcloud auth login`), not with this project's credentials;
the settings give it the project, the dataset, the location, and the
emulator (which needs no login).
{%- endif %}
"""

from __future__ import annotations

import os
import shutil
import subprocess
{%- if cookiecutter.database_backend == "mysql" %}
import tempfile
{%- endif %}
from collections.abc import Sequence
from dataclasses import dataclass, field
{%- if db.relational %}

from sqlalchemy import URL
{%- endif %}
{%- if db.analytics %}

from .settings import Settings
{%- endif %}

#: What to install when a client is missing.
INSTALL = {
{%- if db.relational %}
    "sqlite3": "the sqlite3 command-line shell (apt install sqlite3, brew install sqlite)",
{%- endif %}
{%- if cookiecutter.database_backend == "postgresql" %}
    "psql": "PostgreSQL's client (apt install postgresql-client, brew install libpq)",
{%- elif cookiecutter.database_backend == "mysql" %}
    "mysql": "the MariaDB or MySQL client (apt install mariadb-client, brew install mariadb)",
{%- elif cookiecutter.database_backend == "mssql" %}
    "sqlcmd": "sqlcmd (Microsoft's go-sqlcmd: winget/brew install sqlcmd)",
{%- elif cookiecutter.database_backend == "oracle" %}
    "sqlplus": "SQL*Plus (Oracle Instant Client with its SQL*Plus package)",
{%- endif %}
{%- if db.analytics %}
    "bq": "the Google Cloud CLI, which has bq (https://cloud.google.com/sdk/docs/install)",
{%- endif %}
}


{%- if cookiecutter.database_backend == "postgresql" %}
#: The URL's TLS options, as psql's environment names them.
TLS_VARIABLES = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT"}
{%- endif %}


class ClientMissingError(Exception):
    """The client is not installed: the message says what to install."""


@dataclass
class Client:
    """How to start the client: its arguments, what its environment gains,
    and an option file to write first (MySQL's), if any."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    option_file: str | None = None


{%- if db.relational %}


def client_for(url: URL, extra: Sequence[str] = ()) -> Client:
    """The client for `url`, with `extra` arguments for it (e.g. a query)."""
{%- if db.server %}
    if url.get_backend_name() == "sqlite":
        return Client(["sqlite3", url.database or ":memory:", *extra])
{%- else %}
    return Client(["sqlite3", url.database or ":memory:", *extra])
{%- endif %}
{%- if cookiecutter.database_backend == "postgresql" %}
    env = {
        "PGHOST": url.host or "localhost",
        "PGPORT": str(url.port or {{ db.port }}),
        "PGUSER": url.username or "",
        "PGDATABASE": url.database or "",
        "PGPASSWORD": url.password or "",
    }
    for option, variable in TLS_VARIABLES.items():
        value = url.query.get(option)
        if isinstance(value, str):
            env[variable] = value
    return Client(["psql", *extra], {k: v for k, v in env.items() if v})
{%- elif cookiecutter.database_backend == "mysql" %}
    lines = ["[client]"]
    parts = {
        "host": url.host or "localhost",
        "port": str(url.port or {{ db.port }}),
        "user": url.username,
        "password": url.password,
        "database": url.database,
    }
    for name, value in parts.items():
        if value:
            lines.append(f'{name}="{_option_value(str(value))}"')
    command = "mariadb" if shutil.which("mariadb") else "mysql"
    return Client([command, *extra], option_file="\n".join(lines) + "\n")
{%- elif cookiecutter.database_backend == "mssql" %}
    argv = ["sqlcmd", "-S", f"{url.host or 'localhost'},{url.port or {{ db.port }}}"]
    if url.username:
        argv += ["-U", url.username]
    if url.database:
        argv += ["-d", url.database]
    return Client([*argv, *extra], {"SQLCMDPASSWORD": url.password or ""})
{%- elif cookiecutter.database_backend == "oracle" %}
    where = f"//{url.host or 'localhost'}:{url.port or {{ db.port }}}/{url.database}"
    login = f"{url.username}@{where}"
    return Client(["sqlplus", "-L", login, *extra])
{%- endif %}
{%- endif %}
{%- if db.analytics %}


def bigquery_client(settings: Settings, extra: Sequence[str] = ()) -> Client:
    """`bq` on BQ_DATASET_ID, in BQ_LOCATION, through the emulator when one is
    set; `extra` replaces its interactive `shell` (e.g. `query "SELECT 1"`)."""
    argv = ["bq"]
    if settings.bigquery_emulator_host:
        # bq asks gcloud for a login unless given a token; the emulator
        # ignores it.
        emulator = settings.bigquery_emulator_host
        argv += [f"--api={emulator}", "--oauth_access_token=emulator"]
    argv += [
        f"--project_id={settings.gcp_project_id}",
        f"--dataset_id={settings.gcp_project_id}:{settings.bq_dataset_id}",
    ]
    if settings.bq_location:
        argv.append(f"--location={settings.bq_location}")
    return Client([*argv, *(extra or ["shell"])])
{%- endif %}


def run(client: Client) -> int:
    """Start `client`; its exit status."""
    if shutil.which(client.argv[0]) is None:
        need = INSTALL.get(client.argv[0], client.argv[0])
        raise ClientMissingError(f"{client.argv[0]} is not installed: install {need}")
    env = {**os.environ, **client.env}
{%- if cookiecutter.database_backend == "mysql" %}
    if client.option_file is not None:
        with tempfile.TemporaryDirectory() as folder:  # mode 0700
            path = os.path.join(folder, "client.cnf")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as options:
                options.write(client.option_file)
            # The option file must come first.
            argv = [client.argv[0], f"--defaults-extra-file={path}", *client.argv[1:]]
            # The client and its arguments are the user's own command line.
            return subprocess.run(argv, env=env, check=False).returncode  # noqa: S603
{%- endif %}
    # The client and its arguments are the user's own command line.
    return subprocess.run(client.argv, env=env, check=False).returncode  # noqa: S603
{%- if cookiecutter.database_backend == "mysql" %}


def _option_value(value: str) -> str:
    """`value` for a double-quoted MySQL option file value: \\ and " escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
{%- endif %}
