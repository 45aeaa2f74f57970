{%- set db = cookiecutter | backend -%}
{%- set part = db.test_database_part -%}
"""Where the suite runs: never the development database, always one named for tests.

The suite erases its database (infra/testing.py); these are the rules that
keep it out of every database that holds data.
"""

from __future__ import annotations

{% if db.server -%}
from dataclasses import replace
{% endif -%}
from pathlib import Path
{% if db.server %}
import pytest
{%- endif %}
from sqlalchemy import make_url
{% if db.server %}
from {{ cookiecutter.package_name }}.infra.database import get_db_url
{%- endif %}
from {{ cookiecutter.package_name }}.infra.testing import (
{%- if db.server %}
    NAME_MAX_BYTES,
{%- endif %}
    refusal,
    same_database,
    suite_database_url,
)
from {{ cookiecutter.package_name }}.settings import Settings


def settings_from(**environ: str) -> Settings:
    return Settings.from_env(environ, None)
{%- if db.server %}


@pytest.mark.parametrize(
    "name",
    [
        "orders",
        "d" * (NAME_MAX_BYTES - 5),  # "_test" just fits
        "d" * (NAME_MAX_BYTES - 4),
        "d" * NAME_MAX_BYTES,  # "<name>_test" cut short would be the name itself
        "é" * NAME_MAX_BYTES,  # two bytes a character
    ],
)
def test_derived_names_fit_and_differ(name: str) -> None:
    config = settings_from(DB_NAME=name, DB_USER=name)
    url = suite_database_url(config)
    derived = url.{{ part }} or ""
    assert len(derived.encode()) <= NAME_MAX_BYTES
    assert derived.endswith("_test")
    assert derived != name
    assert not same_database(url, get_db_url(config))
    assert refusal(url, config) is None


def test_short_names_get_test_appended() -> None:
    url = suite_database_url(settings_from(DB_NAME="orders", DB_USER="orders"))
    assert url.{{ part }} == "orders_test"


def test_long_names_that_differ_get_different_test_databases() -> None:
    first = "d" * NAME_MAX_BYTES
    second = "d" * (NAME_MAX_BYTES - 1) + "e"
    urls = [
        suite_database_url(settings_from(DB_NAME=name, DB_USER=name))
        for name in (first, second)
    ]
    assert urls[0].{{ part }} != urls[1].{{ part }}


def test_each_xdist_worker_gets_a_database_of_its_own() -> None:
    config = settings_from(DB_NAME="orders", DB_USER="orders")
    workers = {suite_database_url(config, f"gw{n}").{{ part }} for n in range(4)}
    assert workers == {f"orders_test_gw{n}" for n in range(4)}


def development_routes() -> list[dict[str, str]]:
    """Settings whose TEST_DATABASE_URL leads to the development database."""
    parts = {"DB_HOST": "127.0.0.1", "DB_NAME": "orders", "DB_USER": "orders"}
    url = get_db_url(settings_from(**parts))
    routes = [
        url,  # the development URL itself
        url.set(host="localhost"),  # the same server by another name
        url.set(password="other"),  # other credentials, the same database
    ]
    cases = [
        {**parts, "TEST_DATABASE_URL": route.render_as_string(hide_password=False)}
        for route in routes
    ]
{%- if part == "database" %}
    # Only the first NAME_MAX_BYTES bytes of a name count: a longer one is this one.
    long_name = "d" * NAME_MAX_BYTES
    long_url = get_db_url(settings_from(DB_NAME=long_name))
    longer = long_url.set(database=long_name + "_test")
    cases.append(
        {
            "DB_NAME": long_name,
            "TEST_DATABASE_URL": longer.render_as_string(hide_password=False),
        }
    )
{%- endif %}
    return cases


@pytest.mark.parametrize("environ", development_routes())
def test_the_development_database_is_refused_by_any_route(
    environ: dict[str, str],
) -> None:
    config = settings_from(**environ)
    target = suite_database_url(config)
    problem = refusal(target, config)
    assert problem is not None
    assert "is the development database" in problem
    assert "TEST_DATABASE_URL" in problem
    # Not even with the opt-in for names without "test".
    allowed = replace(config, test_database_may_be_erased=True)
    assert refusal(target, allowed) is not None
{%- endif %}


def test_a_development_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app"
    config = settings_from(
        DB_TYPE="sqlite",
        DB_NAME=str(path),
        TEST_DATABASE_URL=f"sqlite+pysqlite:///{path}.db",
    )
    problem = refusal(suite_database_url(config), config)
    assert problem is not None
    assert "is the development database" in problem


def test_a_database_not_named_for_tests_needs_the_opt_in(tmp_path: Path) -> None:
    target = f"sqlite+pysqlite:///{tmp_path / 'records.db'}"
    config = settings_from(DB_TYPE="sqlite", TEST_DATABASE_URL=target)
    problem = refusal(suite_database_url(config), config)
    assert problem is not None
    assert "'records.db' is not named for tests" in problem
    assert "TEST_DATABASE_MAY_BE_ERASED=true" in problem
    opted_in = settings_from(
        DB_TYPE="sqlite", TEST_DATABASE_URL=target, TEST_DATABASE_MAY_BE_ERASED="true"
    )
    assert refusal(suite_database_url(opted_in), opted_in) is None


def test_in_memory_sqlite_is_always_a_test_database() -> None:
    config = settings_from(DB_TYPE="sqlite")
    url = suite_database_url(config)
    assert url == make_url("sqlite+pysqlite://")
    assert refusal(url, config) is None
    assert not same_database(url, url)  # every in-memory database is its own
