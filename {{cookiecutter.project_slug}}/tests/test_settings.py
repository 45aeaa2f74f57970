{%- set db = cookiecutter | backend -%}
"""Settings: the environment over `.env`, URLs built safely, secrets kept out of sight."""

from __future__ import annotations

{% if cookiecutter.database_backend == "mssql" -%}
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
{% elif cookiecutter.database_backend == "mysql" -%}
import ssl
{% endif -%}
from pathlib import Path
{%- if cookiecutter.database_backend == "mssql" %}
from typing import Any, NoReturn
{%- elif db.server %}
from typing import Any
{%- endif %}

{% if cookiecutter.database_backend == "mysql" -%}
import pymysql
{% elif cookiecutter.database_backend == "oracle" -%}
import oracledb
{% endif -%}
import pytest
{%- if cookiecutter.database_backend == "mssql" %}
from sqlalchemy import URL, make_url
from sqlalchemy.exc import DBAPIError
{%- elif db.server %}
from sqlalchemy import make_url
{%- endif %}

{% if cookiecutter.database_backend == "mssql" -%}
from {{ cookiecutter.package_name }}.infra import testing
{% endif -%}
from {{ cookiecutter.package_name }}.infra.database import (
{%- if db.server %}
    create_db_engine,
{%- endif %}
    get_db_url,
)
from {{ cookiecutter.package_name }}.settings import (
    DRIVERS,
    EnvFile,
    Settings,
    SettingsError,
    get_settings,
)

#: Characters that break naive URL building, shell-style expansion and quoting.
HOSTILE_PASSWORD = "p@ss:w/rd#%?&= $HOME${HOME}'\"\\"


def write_env(tmp_path: Path, text: str) -> Path:
    env_file = tmp_path / ".env"
    env_file.write_text(text, encoding="utf-8")
    return env_file


def test_defaults_without_environment_or_file(tmp_path: Path) -> None:
    config = Settings.from_env({}, tmp_path / "missing.env")
    assert config == Settings()
    assert config.db_type == {{ cookiecutter.database_backend | tojson }}
    assert config.db_pool_size == 10
    assert config.db_echo is False


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "DB_NAME=from_file\nDB_POOL_SIZE=3\n")
    config = Settings.from_env({"DB_NAME": "from_environment"}, env_file)
    assert config.db_name == "from_environment"
    assert config.db_pool_size == 3


def test_env_file_values_are_not_expanded(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "DATABASE_URL='sqlite:///${HOME}/$USER.db'\n")
    config = Settings.from_env({}, env_file)
    assert config.database_url == "sqlite:///${HOME}/$USER.db"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DB_POOL_SIZE", "ten", "DB_POOL_SIZE must be a whole number, got 'ten'"),
        ("DB_POOL_TIMEOUT", "soon", "DB_POOL_TIMEOUT must be a number, got 'soon'"),
        ("DB_ECHO", "maybe", "DB_ECHO must be true or false, got 'maybe'"),
        ("DB_TYPE", "db2", "DB_TYPE must be one of"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value}, None)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
{%- if db.server %}
        ("DB_PORT", "0", "DB_PORT must be 1-65535, got 0"),
        ("DB_PORT", "70000", "DB_PORT must be 1-65535, got 70000"),
{%- endif %}
        ("DB_MAX_OVERFLOW", "-5", "DB_MAX_OVERFLOW must be 0 or more, got -5"),
        ("DB_POOL_SIZE", "-1", "DB_POOL_SIZE must be 1 or more, got -1"),
        ("DB_POOL_TIMEOUT", "-1", "DB_POOL_TIMEOUT must be 0 or more, got -1.0"),
        ("DB_STATEMENT_TIMEOUT", "-3", "DB_STATEMENT_TIMEOUT must be 0 or more"),
        ("DB_LOCK_TIMEOUT", "-1", "DB_LOCK_TIMEOUT must be 0 or more"),
    ],
)
def test_numbers_out_of_range_name_the_setting(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value}, None)
    assert str(raised.value) == message or str(raised.value).startswith(message)


@pytest.mark.parametrize("name", ["DATABASE_URL", "TEST_DATABASE_URL"])
def test_a_url_with_an_unknown_driver_names_the_setting(name: str) -> None:
    typo = "{{ db.drivername | replace("+", "x+", 1) }}://app:s3cret@db.example/orders"
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: typo}, None)
    message = str(raised.value)
    assert message.startswith(f"{name} uses the driver ")
    assert "app:***@db.example" in message
    assert "s3cret" not in message
    assert all(driver in message for driver in DRIVERS)


def test_a_value_that_is_not_a_url_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL is not a database URL"):
        Settings.from_env({"DATABASE_URL": "s3cret and spaces"}, None)


def test_a_line_env_cannot_read_names_the_file_and_line(tmp_path: Path) -> None:
    env_file = write_env(tmp_path, "DB_NAME=fine\nDB_PASSWORD='s3cret\nDB_ECHO=true\n")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({}, env_file)
    assert str(raised.value) == f"{env_file}, line 2: not a NAME=value line"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with a .env, and a folder inside it as the working
    directory; the environment names no database and no other file."""
    for name in ("DB_NAME", "ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\n", encoding="utf-8")
    write_env(tmp_path, "DB_NAME=from_the_project\n")
    inside = tmp_path / "tests" / "deeper"
    inside.mkdir(parents=True)
    monkeypatch.chdir(inside)
    return tmp_path


def test_env_is_found_from_any_folder_of_the_project(project: Path) -> None:
    assert Settings.from_env({}).db_name == "from_the_project"
    get_settings.cache_clear()
    try:
        assert get_settings().db_name == "from_the_project"
    finally:
        get_settings.cache_clear()


def test_env_file_names_another_file(project: Path) -> None:
    other = project / "staging.env"
    other.write_text("DB_NAME=from_staging\n", encoding="utf-8")
    assert Settings.from_env({"ENV_FILE": str(other)}).db_name == "from_staging"
    with pytest.raises(SettingsError, match=r"ENV_FILE names .*missing\.env"):
        Settings.from_env({"ENV_FILE": str(project / "missing.env")})


def test_outside_a_project_only_the_environment_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(tmp_path, "DB_NAME=stray\n")  # no pyproject.toml anywhere above
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}, EnvFile.FIND).db_name == Settings().db_name


@pytest.mark.parametrize("text", ["1", "true", "YES", "on"])
def test_flags_accept_common_spellings(text: str) -> None:
    assert Settings.from_env({"DB_ECHO": text}, None).db_echo is True


def test_database_url_overrides_the_parts() -> None:
    config = Settings.from_env(
        {"DATABASE_URL": "sqlite+pysqlite:///elsewhere.db"}, None
    )
    assert get_db_url(config).database == "elsewhere.db"


def test_sqlite_url_from_db_name() -> None:
    config = Settings.from_env({"DB_TYPE": "sqlite", "DB_NAME": "data/app"}, None)
    url = get_db_url(config)
    assert url.drivername == "sqlite+pysqlite"
    assert url.database == "data/app.db"
    assert get_db_url(Settings(db_type="sqlite", db_name=":memory:")).database is None
{%- if db.server %}


#: DB_* parts of a made-up server, for the URL tests.
SERVER_PARTS = {
    "DB_HOST": "db.internal",
    "DB_PORT": "6543",
    "DB_USER": "svc",
    "DB_PASSWORD": "s3cret",
    "DB_NAME": "orders",
}


def dialect_connect_args(environment: dict[str, str]) -> dict[str, Any]:
    """What the driver's connect() receives for these settings (no connection)
{%- if cookiecutter.database_backend == "postgresql" %}, through the
    driver the project is configured for (DB_DRIVER){% endif %}."""
{%- if cookiecutter.database_backend == "postgresql" %}
    environment = {"DB_DRIVER": get_settings().db_driver, **environment}
{%- endif %}
    url = get_db_url(Settings.from_env(environment, None))
    _, options = create_db_engine(url, Settings()).dialect.create_connect_args(url)
    return dict(options)


{% filter trim %}{% include "backends/" ~ cookiecutter.database_backend ~ "/test_url.py" %}{% endfilter %}
{%- if db.extra_settings | selectattr("name", "equalto", "db_sslmode") | list %}


@pytest.mark.parametrize(("environment", "message"), REFUSED_TLS_SETTINGS)
def test_tls_settings_that_cannot_work_are_refused_in_one_line(
    environment: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        get_db_url(Settings.from_env(environment, None))
    assert "\n" not in str(refused.value)


def test_database_url_keeps_its_own_tls_options() -> None:
    environment = {"DATABASE_URL": TLS_DATABASE_URL, "DB_SSLMODE": "disable"}
    url = get_db_url(Settings.from_env(environment, None))
    assert dict(url.query) == TLS_DATABASE_URL_OPTIONS
{%- endif %}


def test_password_with_special_characters_survives_the_url(tmp_path: Path) -> None:
    in_file = 'p@ss:w/rd#% $HOME${HOME}"'
    env_file = write_env(tmp_path, f"DB_PASSWORD='{in_file}'\n")
    assert Settings.from_env({}, env_file).db_password == in_file

    url = get_db_url(Settings.from_env({"DB_PASSWORD": HOSTILE_PASSWORD}, None))
    assert url.password == HOSTILE_PASSWORD
    assert url.host == "localhost"
    # The string form, as DATABASE_URL or a driver would receive it, parses back.
    reparsed = make_url(url.render_as_string(hide_password=False))
    assert reparsed.password == HOSTILE_PASSWORD
    assert reparsed == url


def test_password_never_shown() -> None:
    secret = "s3cr3t-Pa55"
    config = Settings.from_env(
        {"DB_PASSWORD": secret, "DATABASE_URL": "", "TEST_DATABASE_URL": ""}, None
    )
    url = get_db_url(config)
    for shown in (repr(config), str(config), str(url), repr(url)):
        assert secret not in shown
{%- endif %}


def test_urls_with_credentials_are_not_in_repr() -> None:
    config = Settings(
        database_url="{{ db.drivername }}://u:topsecret@h/d",
        test_database_url="{{ db.drivername }}://u:topsecret@h/d_test",
    )
    assert "topsecret" not in repr(config)
