{%- set db = cookiecutter._backends[cookiecutter.database_backend] -%}
"""Wait until the test database's server runs SQL{% if db.admin_database %}; create the database if missing{% endif %}.

A server in a container accepts connections a while before it can run SQL
({{ db.label }} can take a minute on its first start), so CI runs this before
migrating. The database is the one the test suite uses (`TEST_DATABASE_URL`,
or the `DB_*` server's {% if db.test_database_part == "database" %}`<DB_NAME>_test`{% else %}`<DB_USER>_test`{% endif %}){% if db.admin_database %}, created
the way pytest creates it{% endif %}.

    uv run python scripts/wait_for_database.py [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy.exc import DBAPIError

from {{ cookiecutter.package_name }}.errors import first_line
from {{ cookiecutter.package_name }}.infra import testing
from {{ cookiecutter.package_name }}.settings import Settings


def wait_for_database(timeout: float, interval: float = 2.0) -> str | None:
    """None once the database answers, else why it did not within `timeout` s."""
    url = testing.suite_database_url(Settings.from_env())
    where = url.render_as_string(hide_password=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
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
    problem = wait_for_database(parser.parse_args().timeout)
    if problem:
        print(f"wait_for_database: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
