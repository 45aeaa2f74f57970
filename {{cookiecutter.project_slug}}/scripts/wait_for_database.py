{%- set db = cookiecutter | backend -%}
"""Wait until the test database's server runs SQL{% if db.admin_database %}; create the database if missing{% endif %}.

A server in a container accepts connections a while before it can run SQL
({{ db.label }} can take a minute on its first start), so CI runs this before
migrating. The database is the one the test suite uses (`TEST_DATABASE_URL`,
or the `DB_*` server's {% if db.test_database_part == "database" %}`<DB_NAME>_test`{% else %}`<DB_USER>_test`{% endif %}){% if db.admin_database %}, created
the way pytest creates it{% endif %}.

    uv run python scripts/wait_for_database.py [--timeout SECONDS]
{%- if cookiecutter.database_backend == "mssql" %}

With --create-login it first creates the login of that URL as `sa`, whose
password is in DB_ROOT_PASSWORD: CI's SQL Server service has no other login
(docker compose's db-init creates it for development).
{%- endif %}
"""

from __future__ import annotations

import argparse
{%- if cookiecutter.database_backend == "mssql" %}
import os
{%- endif %}
import sys
import time

from sqlalchemy.exc import DBAPIError

from {{ cookiecutter.package_name }}.errors import first_line
from {{ cookiecutter.package_name }}.infra import testing
from {{ cookiecutter.package_name }}.settings import Settings


def wait_for_database(
    timeout: float,
    interval: float = 2.0,
{%- if cookiecutter.database_backend == "mssql" %}
    admin_password: str | None = None,
{%- endif %}
) -> str | None:
    """None once the database answers, else why it did not within `timeout` s."""
    url = testing.suite_database_url(Settings.from_env())
    where = url.render_as_string(hide_password=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
{%- if cookiecutter.database_backend == "mssql" %}
            if admin_password is not None:
                testing.ensure_login(url, admin_password)
{%- endif %}
{%- if db.admin_database %}
            testing.ensure_database(url)
        except testing.DatabaseCreationError as error:
            return str(error)  # the server answered: waiting will not help
{%- else %}
            testing.check_connection(url)
{%- endif %}
        except DBAPIError as error:
            if time.monotonic() + interval > deadline:
                why = first_line(error)
                return f"{where} did not answer within {timeout:g} s: {why}"
            time.sleep(interval)
        else:
            return None


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait (default 300)"
    )
{%- if cookiecutter.database_backend == "mssql" %}
    parser.add_argument(
        "--create-login",
        action="store_true",
        help="first create the login as sa (password: DB_ROOT_PASSWORD)",
    )
    arguments = parser.parse_args()
    admin_password = None
    if arguments.create_login:
        admin_password = os.environ.get("DB_ROOT_PASSWORD")
        if not admin_password:
            print("wait_for_database: set DB_ROOT_PASSWORD (sa's)", file=sys.stderr)
            return 1
    problem = wait_for_database(arguments.timeout, admin_password=admin_password)
{%- else %}
    problem = wait_for_database(parser.parse_args().timeout)
{%- endif %}
    if problem:
        print(f"wait_for_database: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
