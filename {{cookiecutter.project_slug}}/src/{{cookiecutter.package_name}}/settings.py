{%- set db = cookiecutter._backends[cookiecutter.database_backend] -%}
{%- set analytics = cookiecutter.database_backend == "bigquery" or cookiecutter.use_bigquery_analytics -%}
"""Settings read from the environment and from `.env`; the environment wins.

Each field is read from the variable of the same name in capitals
(`db_echo` from `DB_ECHO`). `.env` is read without `${VAR}` expansion, so a
password containing `$` is used exactly as written, and the password never
appears in `repr()`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import {% if db.relational %}dataclass, field, fields{% else %}dataclass, fields{% endif %}
from functools import cache
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
{%- if db.relational %}

#: Settings that accept only some values. DB_TYPE: this project's database,
#: or SQLite for quick local runs.
CHOICES: dict[str, tuple[str, ...]] = {
    "db_type": {{ ["sqlite", cookiecutter.database_backend] | unique | list | tuple_literal }},
{%- for setting in db.extra_settings if setting.choices %}
    "{{ setting.name }}": {{ setting.choices | tuple_literal }},
{%- endfor %}
}
{%- endif %}


class SettingsError(ValueError):
    """A setting has a value the application cannot use."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the data layer reads from the environment."""
{% if db.relational %}
    db_type: str = {{ cookiecutter.database_backend | tojson }}
{%- if db.server %}
    db_host: str = "localhost"
    db_port: int = {{ db.port }}
    db_user: str = {{ (db.default_user or cookiecutter.package_name) | tojson }}
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
{%- endif %}
    #: Log every SQL statement (bound values are never logged).
    db_echo: bool = False
{%- if db.relational %}
    #: Statements slower than this many seconds are logged; 0 turns it off.
    db_slow_query_seconds: float = 1.0
{%- endif %}
{%- if analytics %}
    #: Google Cloud project that holds the BigQuery dataset.
    gcp_project_id: str = {{ cookiecutter.project_slug | tojson }}
    #: BigQuery dataset of the analytics tables; the tests use it with "_test" appended.
    bq_dataset_id: str = {{ cookiecutter.package_name | tojson }}
    #: Service account key (a JSON file); unset: Application Default Credentials.
    google_application_credentials: str | None = None
    #: A BigQuery emulator to use instead of Google, e.g. http://127.0.0.1:9050.
    bigquery_emulator_host: str | None = None
    #: BigQuery refuses, free of charge, queries that would scan more bytes.
    bq_max_bytes_billed: int = 10 * 1024**3
{%- endif %}
{%- if db.relational %}

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SettingsError(
                    f"{name.upper()} must be one of {', '.join(allowed)}, got {value!r}"
                )
{%- endif %}

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: str | Path | None = ".env",
    ) -> Settings:
        """Read the settings from `environ` (default: `os.environ`) over `env_file`.

        Unset and empty variables keep the defaults above.
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
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> dict[str, str]:
    """Merge `env_file` (if it exists) and `environ`; `environ` wins."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        file_values = dotenv_values(env_file, interpolate=False)
        values.update({k: v for k, v in file_values.items() if v is not None})
    values.update(os.environ if environ is None else environ)
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
