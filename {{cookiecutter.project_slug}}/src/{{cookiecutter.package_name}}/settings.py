{%- set db = cookiecutter | backend -%}
"""Settings read from the environment and from `.env`; the environment wins.

Each field is read from the variable of the same name in capitals
(`db_echo` from `DB_ECHO`). The `.env` read is the file `ENV_FILE` names,
else the first `.env` from the working directory up to the project's root
(the folder holding pyproject.toml); an installed deployment, outside any
project, reads the environment only. `.env` is read without `${VAR}`
expansion, so a password containing `$` is used exactly as written, and the
password never appears in `repr()`. Every value is checked when the settings
load: a bad one is a `SettingsError` naming the setting, never the password.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import {% if db.relational %}dataclass, field, fields, replace{% else %}dataclass, fields{% endif %}
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from dotenv.parser import parse_stream
{%- if db.relational %}
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError
{%- endif %}
{% if db.relational %}
{%- if db.server %}
#: Settings that accept only some values. DB_TYPE: this project's database,
#: or SQLite for quick local runs.
{%- else %}
#: Settings that accept only some values. DB_TYPE: this project's database.
{%- endif %}
CHOICES: dict[str, tuple[str, ...]] = {
    "db_type": {{ ["sqlite", cookiecutter.database_backend] | unique | list | tuple_literal }},
{%- for setting in db.extra_settings if setting.choices %}
    "{{ setting.name }}": {{ setting.choices | tuple_literal }},
{%- endfor %}
}
#: The drivers DATABASE_URL and TEST_DATABASE_URL may name.
DRIVERS = {{ (["sqlite+pysqlite"] + db.url_drivers) | unique | list | tuple_literal }}
{%- endif %}
#: The lowest and highest value of each number setting (None: no bound).
RANGES: dict[str, tuple[float, float | None]] = {
{%- if db.server %}
    "db_port": (1, 65535),
{%- endif %}
{%- if db.relational %}
    "db_pool_size": (1, None),
    "db_max_overflow": (0, None),
    "db_pool_recycle": (-1, None),  # -1: never replace a connection
    "db_pool_timeout": (0, None),
    "db_connect_timeout": (0, None),
    "db_statement_timeout": (0, None),
    "db_lock_timeout": (0, None),
    "db_migration_statement_timeout": (0, None),
    "db_migration_lock_timeout": (0, None),
    "db_slow_query_seconds": (0, None),
{%- endif %}
{%- if db.analytics %}
    "bq_max_bytes_billed": (0, None),
{%- endif %}
}


class SettingsError(ValueError):
    """A setting has a value the application cannot use."""


class EnvFile(Enum):
    """How `Settings.from_env` finds its .env file, when not given a path."""

    FIND = "ENV_FILE, else the nearest .env up to the project's root"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the data layer reads from the environment."""
{% if db.relational %}
    db_type: str = {{ cookiecutter.database_backend | tojson }}
{%- if db.server %}
    db_host: str = "localhost"
    db_port: int = {{ db.port }}
    db_user: str = {{ cookiecutter.package_name | literal }}
    db_password: str = field(default="", repr=False)
{%- if db.test_database_part == "database" %}
    #: Database name; the test suite uses this name with "_test" appended.
{%- else %}
    #: Service name; the test suite logs in as DB_USER with "_test" appended.
{%- endif %}
    db_name: str = {{ (db.default_db_name or cookiecutter.package_name) | tojson }}
{%- for setting in db.extra_settings %}
    #: {{ setting.doc }}.
    {{ setting.name }}: {{ setting.type }} = {{ setting.default | tojson if setting.type == "str" else setting.default }}
{%- endfor %}
{%- else %}
    #: Path of the database file, without ".db"; ":memory:" for an in-memory database.
    db_name: str = {{ cookiecutter.package_name | tojson }}
{%- endif %}
    #: A full SQLAlchemy URL; when set, it replaces the DB_* parts above.
    database_url: str | None = field(default=None, repr=False)
    #: Where the test suite runs (see tests/conftest.py for the default).
    test_database_url: str | None = field(default=None, repr=False)
    #: The test suite erases its database; it refuses one whose name lacks
    #: "test" unless this is true.
    test_database_may_be_erased: bool = False
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_pool_recycle: int = 3600
    db_pool_timeout: float = 30.0
    #: Seconds to wait for a new connection; 0: the driver's default.
    db_connect_timeout: float = 10.0
    #: Seconds a statement may run before the server stops it; 0: no limit.
    db_statement_timeout: float = 30.0
    #: Seconds a statement may wait for a lock held by another transaction; 0: no limit.
    db_lock_timeout: float = 10.0
    #: The same two for migrations, which may rightly take longer: 0, no limit.
    db_migration_statement_timeout: float = 0.0
    db_migration_lock_timeout: float = 0.0
{%- endif %}
    #: Log every SQL statement (bound values are never logged).
    db_echo: bool = False
{%- if db.relational %}
    #: Statements slower than this many seconds are logged; 0 turns it off.
    db_slow_query_seconds: float = 1.0
{%- endif %}
{%- if db.analytics %}
    #: Google Cloud project that holds the BigQuery dataset.
    gcp_project_id: str = {{ cookiecutter.project_slug | tojson }}
    #: BigQuery dataset of the analytics tables; the tests use it with "_test" appended.
    bq_dataset_id: str = {{ cookiecutter.package_name | tojson }}
    #: Where the dataset lives and jobs run: US, EU, a region (europe-west1).
    #: Unset: BigQuery's default, the US multi-region for new datasets, and
    #: jobs run where the tables they read are.
    bq_location: str | None = None
    #: A credentials JSON file: a service account key, a Workload Identity
    #: Federation configuration or user credentials; unset: Application
    #: Default Credentials.
    google_application_credentials: str | None = None
    #: A BigQuery emulator to use instead of Google, e.g. http://127.0.0.1:9050.
    bigquery_emulator_host: str | None = None
    #: BigQuery refuses, free of charge, queries that would scan more bytes.
    bq_max_bytes_billed: int = 10 * 1024**3
{%- endif %}

    def __post_init__(self) -> None:
        for name, (lowest, highest) in RANGES.items():
            value = getattr(self, name)
            if value < lowest or (highest is not None and value > highest):
                bounds = f"{lowest}-{highest}" if highest else f"{lowest} or more"
                raise SettingsError(f"{name.upper()} must be {bounds}, got {value}")
{%- if db.relational %}
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SettingsError(
                    f"{name.upper()} must be one of {', '.join(allowed)}, got {value!r}"
                )
        _check_url("DATABASE_URL", self.database_url)
        _check_url("TEST_DATABASE_URL", self.test_database_url)

    def for_migrations(self) -> Settings:
        """These settings with the migrations' statement and lock timeouts."""
        return replace(
            self,
            db_statement_timeout=self.db_migration_statement_timeout,
            db_lock_timeout=self.db_migration_lock_timeout,
        )
{%- endif %}

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: str | Path | EnvFile | None = EnvFile.FIND,
    ) -> Settings:
        """Read the settings from `environ` (default: `os.environ`) over `env_file`.

        `env_file`: a path, None for none, or `EnvFile.FIND` (see the module's
        docstring). Unset and empty variables keep the defaults above.
        """
        values = read_env(environ, env_file)
        given: dict[str, Any] = {}
        for setting in fields(cls):
            name = setting.name.upper()
            raw = values.get(name, "")
            if raw.strip():
                given[setting.name] = _convert(name, raw, str(setting.type))
        return cls(**given)


@cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment and `.env`."""
    return Settings.from_env()


def read_env(
    environ: Mapping[str, str] | None = None,
    env_file: str | Path | EnvFile | None = EnvFile.FIND,
) -> dict[str, str]:
    """Merge `env_file` (if there is one) and `environ`; `environ` wins."""
    environ = os.environ if environ is None else environ
    path = find_env_file(environ) if env_file is EnvFile.FIND else env_file
    values: dict[str, str] = {}
    if path is not None and Path(path).is_file():
        values.update(read_env_file(Path(path)))
    values.update(environ)
    return values


def find_env_file(environ: Mapping[str, str]) -> Path | None:
    """`ENV_FILE`, else the first .env from the working directory up to the
    folder holding pyproject.toml; None outside a project."""
    if environ.get("ENV_FILE", "").strip():
        named = Path(environ["ENV_FILE"])
        if not named.is_file():
            raise SettingsError(f"ENV_FILE names {str(named)!r}, which is not a file")
        return named
    here = Path.cwd()
    folders = [here, *here.parents]
    root = next((f for f in folders if (f / "pyproject.toml").is_file()), None)
    if root is None:  # not inside a project: the environment only
        return None
    for folder in folders[: folders.index(root) + 1]:
        if (folder / ".env").is_file():
            return folder / ".env"
    return None


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of a .env file, without ${VAR} expansion.

    A line that cannot be read is a SettingsError naming the file and the line
    (python-dotenv would only warn and drop it); its text is not shown, since
    it may hold a password.
    """
    values: dict[str, str] = {}
    with path.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                raise SettingsError(
                    f"{path}, line {binding.original.line}: not a NAME=value line"
                )
            if binding.key is not None and binding.value is not None:
                values[binding.key] = binding.value
    return values


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)


#: How each field type is parsed, and how to describe it when parsing fails.
_PARSERS: dict[str, tuple[Callable[[str], object], str]] = {
    "str": (str, "text"),
    "str | None": (str, "text"),
    "int": (int, "a whole number"),
    "float": (float, "a number"),
    "bool": (_flag, "true or false"),
}


def _convert(name: str, raw: str, type_name: str) -> object:
    parse, expected = _PARSERS[type_name]
    try:
        return parse(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {expected}, got {raw!r}") from None
{%- if db.relational %}


def _check_url(name: str, value: str | None) -> None:
    """Refuse a URL that is not one, or names a driver this project lacks."""
    if not value:
        return
    try:
        url = make_url(value)
    except ArgumentError:
        raise SettingsError(
            f"{name} is not a database URL (driver://user:password@host:port/name)"
        ) from None
    # Without a driver, SQLAlchemy picks its own: pysqlite for SQLite.
    drivername = "sqlite+pysqlite" if url.drivername == "sqlite" else url.drivername
    if drivername not in DRIVERS:
        shown = url.render_as_string(hide_password=True)
        raise SettingsError(
            f"{name} uses the driver {url.drivername!r} ({shown}); this project "
            f"has {' and '.join(DRIVERS)}"
        )
{%- endif %}
