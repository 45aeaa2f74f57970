"""Every bad setting is one line naming it: through alembic, pytest and the package.

Each case runs the three ways a user meets it, in parallel processes: `alembic
upgrade head` must print one `FAILED:` line, `pytest` one usage error, and
`get_engine()` one exception; each names the setting and never the password.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import Renderer, Result, project_env, run

SECRET = "s3cret-Pa55"
#: backend: {case: (settings, the words the line must hold)}
CASES: dict[str, dict[str, tuple[dict[str, str], str]]] = {
    "postgresql": {
        "port 0": ({"DB_PORT": "0"}, "DB_PORT must be 1-65535, got 0"),
        "negative overflow": (
            {"DB_MAX_OVERFLOW": "-5"},
            "DB_MAX_OVERFLOW must be 0 or more, got -5",
        ),
        "negative pool": ({"DB_POOL_SIZE": "-1"}, "DB_POOL_SIZE must be 1 or more"),
        "negative pool timeout": (
            {"DB_POOL_TIMEOUT": "-1"},
            "DB_POOL_TIMEOUT must be 0 or more",
        ),
        "scheme typo": (
            {"DATABASE_URL": f"postgresq+psycopg://app:{SECRET}@127.0.0.1/app"},
            "DATABASE_URL uses the driver 'postgresq+psycopg' (postgresq+psycopg://app:***@",
        ),
        "not a URL": (
            {"DATABASE_URL": f"{SECRET} and spaces"},
            "DATABASE_URL is not a database URL",
        ),
        ".env syntax": ({"ENV_FILE": "{bad_env}"}, "line 2: not a NAME=value line"),
    },
    "sqlite": {
        "scheme typo": (
            {"DATABASE_URL": "sqlit:///app.db"},
            "DATABASE_URL uses the driver 'sqlit'",
        ),
        "negative pool": ({"DB_POOL_SIZE": "-1"}, "DB_POOL_SIZE must be 1 or more"),
        ".env syntax": ({"ENV_FILE": "{bad_env}"}, "line 2: not a NAME=value line"),
    },
}
API = (
    "from {package}.infra.database import get_engine\n"
    "try:\n"
    "    get_engine()\n"
    "except Exception as error:\n"
    "    print(f'{{type(error).__name__}}: {{error}}')\n"
)


#: How each tool's one line starts, and its exit status.
PREFIX = {"alembic": "FAILED: ", "pytest": "ERROR: ", "api": "SettingsError: "}
EXIT_STATUS = {"alembic": 255, "pytest": 4, "api": 0}


def lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


@pytest.mark.parametrize("backend", list(CASES))
def test_each_bad_setting_is_one_line_everywhere(
    render: Renderer, backend: str, tmp_path: Path
) -> None:
    project = render(database_backend=backend)
    bad_env = tmp_path / "bad.env"
    bad_env.write_text(f"DB_NAME=x\nDB_PASSWORD='{SECRET}\nDB_ECHO=true\n")
    api = API.format(package="my_service")
    commands = {
        "alembic": [sys.executable, "-m", "alembic", "upgrade", "head"],
        "pytest": [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        "api": [sys.executable, "-c", api],
    }
    jobs = {
        (case, tool): (
            command,
            {k: v.format(bad_env=bad_env) for k, v in given.items()},
        )
        for case, (given, _) in CASES[backend].items()
        for tool, command in commands.items()
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            key: pool.submit(
                run, command, project, project_env(project, DB_PASSWORD=SECRET, **env)
            )
            for key, (command, env) in jobs.items()
        }
        results = {key: future.result() for key, future in futures.items()}
    for (case, tool), result in results.items():
        expected = CASES[backend][case][1]
        printed = lines(result)
        assert SECRET not in result.output, (case, tool)
        assert len(printed) == 1, (case, tool, result.output)
        assert printed[0].startswith(PREFIX[tool]), (case, tool, printed)
        assert expected in printed[0], (case, tool, printed)
        assert result.returncode == EXIT_STATUS[tool], (case, tool, result.output)


def test_a_refused_login_is_one_line_and_pytest_says_it_fell_back(
    render: Renderer,
) -> None:
    """A role the server does not know: alembic says so in one line; pytest -q
    still says, in its summary, that it ran on SQLite instead, and why."""
    project = render(database_backend="postgresql")
    env = project_env(
        project, DB_HOST="127.0.0.1", DB_USER="nobody_here", DB_PASSWORD=SECRET
    )
    alembic = run([sys.executable, "-m", "alembic", "upgrade", "head"], project, env)
    [line] = lines(alembic)
    assert line.startswith("FAILED: the database refused access"), line
    assert 'role "nobody_here" does not exist' in line
    pytest_run = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env
    )
    assert pytest_run.returncode == 0, pytest_run.output
    # -q hides the header, not the terminal summary.
    summary = [line for line in lines(pytest_run) if line.startswith("database: ")]
    assert len(summary) == 1, pytest_run.output
    assert summary[0].startswith("database: in-memory SQLite, because"), summary
    assert 'role "nobody_here" does not exist' in summary[0]
    assert SECRET not in alembic.output + pytest_run.output
