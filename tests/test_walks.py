"""The generated READMEs and CI jobs, run line by line as a user and CI would.

Each walk renders a fresh project and runs its commands as written, in order,
from a shell with uv and the machine's Pythons on PATH and no environment
activated. The stand-ins are few and fixed:

- a `docker compose up`/`run` line creates, on the local server, what its
  services would create on a fresh volume (walks.compose_creates): the login
  and the databases, with the passwords from the generated `.env`;
- the CI jobs run after the README, in the same project with `.env` taken
  away (a checkout has none; the environment `uv sync` made is shared), with
  their own variables, the service's host mapped to 127.0.0.1 and the
  service's fixed login created on the local server, as its image would
  (PostgreSQL's image makes only its superuser, which the local server has:
  the job's own step creates the application's role; GitLab's package
  installs are skipped, the machine has the clients);
- mypy keeps its cache in one folder for all walks (`MYPY_CACHE_DIR`), so
  SQLAlchemy is analysed once per run.

SQL Server and Oracle cannot run here: for them, and for every server backend,
the order of the steps is checked statically (a step that connects comes after
the step that creates what it connects to).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from sqlalchemy import create_engine, inspect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from conftest import (
    ADMIN_URLS,
    DROP_DATABASE,
    DROP_USER,
    FACTS,
    SERVER_BACKENDS,
    TEMPLATE,
    Renderer,
    Server,
    find_python313,
    missing,
    quoted,
)
from walks import (
    Login,
    Step,
    app_login,
    compose_creates,
    github_steps,
    gitlab_steps,
    image_login,
    load_yaml,
    readme_steps,
    script_creates,
)

#: How long each step took (seconds, step), for the summary.
STEP_TIMES: list[tuple[float, str]] = []

#: What a developer's shell may hold that a new user's does not.
SCRUBBED = {
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "CI",
    "ENV_FILE",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "TEST_DATABASE_MAY_BE_ERASED",
    "BIGQUERY_EMULATOR_HOST",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    # This machine's own setting; a user's Python writes bytecode.
    "PYTHONDONTWRITEBYTECODE",
}


#: What a backend's image and its initdb script run for the application's
#: login. PostgreSQL: the image makes only its superuser, `postgres` (which
#: the local server has already); the script, run by compose or by a CI step,
#: a role that is no superuser, may create databases and owns its two.
#: MariaDB: the image grants MARIADB_USER everything on its database (and the
#: initdb script, on the test database).
IMAGE_SQL: dict[str, Callable[[Login, set[str]], list[str]]] = {
    "postgresql": lambda login, databases: [
        f'CREATE ROLE "{login.user}" LOGIN CREATEDB PASSWORD '
        + quoted(login.password, "postgresql"),
        *(f'CREATE DATABASE "{name}" OWNER "{login.user}"' for name in databases),
    ],
    "mysql": lambda login, databases: [
        *(
            f"CREATE USER '{login.user}'@'{host}' IDENTIFIED BY "
            + quoted(login.password, "mysql")
            for host in ("%", "localhost")
        ),
        *(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4" for name in databases),
        *(
            f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{login.user}'@'{host}'"
            for name in databases
            for host in ("%", "localhost")
        ),
    ],
}


class LocalServer:
    """The local server of a backend, standing in for its container: logins
    and databases made for one walk, dropped afterwards."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.admin_url = make_url(ADMIN_URLS[backend])
        self.made: list[Server] = []

    def create(self, login: Login, databases: set[str]) -> None:
        server = self.adopt(login, databases)
        server.admin(*IMAGE_SQL[self.backend](login, databases))

    def adopt(self, login: Login, databases: set[str]) -> Server:
        """Drop what an interrupted run may have left of `login` and its
        `databases`, and drop them at the end: a step of the walk creates them.
        """
        # Every database a walk makes starts with the shortest created name
        # ("<name>", "<name>_test", "<name>_test_gw0"): dropped by that prefix.
        prefix = min(databases, key=len)
        server = Server(
            self.backend, self.admin_url, login.user, login.password, prefix
        )
        self.drop(server)
        self.made.append(server)
        return server

    def tables(self, database: str) -> set[str]:
        engine = create_engine(
            self.admin_url.set(database=database), poolclass=NullPool
        )
        try:
            with engine.connect() as connection:
                return set(inspect(connection).get_table_names())
        finally:
            engine.dispose()

    def drop(self, server: Server) -> None:
        server.admin(
            *(DROP_DATABASE[self.backend].format(name) for name in server.databases()),
            *DROP_USER[self.backend](server),
        )

    def close(self) -> None:
        for server in self.made:
            self.drop(server)


@contextmanager
def local_server(backend: str) -> Iterator[LocalServer]:
    server = LocalServer(backend)
    try:
        Server(backend, server.admin_url, "", "", "").admin("SELECT 1")
    except DBAPIError as error:
        missing(f"{backend} server unreachable: {error.orig}")
    try:
        yield server
    finally:
        server.close()


def user_env(scratch: Path) -> dict[str, str]:
    """A new user's shell: uv and the machine's Pythons on PATH, no virtual
    environment, nothing this suite or a developer's shell has set."""
    uv = shutil.which("uv")
    if uv is None:
        missing("uv is not installed")
    bin_dir = scratch / "user-bin"
    bin_dir.mkdir()
    (bin_dir / "uv").symlink_to(Path(str(uv)).resolve())
    outside_venvs = [
        entry
        for entry in os.environ["PATH"].split(os.pathsep)
        if entry and not (Path(entry).parent / "pyvenv.cfg").exists()
    ]
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED and not name.startswith(("DB_", "PYTEST_", "BQ_"))
    }
    env["PATH"] = os.pathsep.join([str(bin_dir), *outside_venvs])
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


@dataclass
class Walk:
    """Runs a project's steps in a shell, failing with the step's origin."""

    project: Path
    env: dict[str, str]
    secret: str | None = None

    def run(self, step: Step, command: str | None = None) -> str:
        command = command or step.command
        started = time.perf_counter()
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", command],
            cwd=self.project,
            env={**self.env, **step.env},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        output = done.stdout + done.stderr
        STEP_TIMES.append(
            (time.perf_counter() - started, f"{self.project.name}: {command}")
        )
        assert done.returncode == 0, (
            f"{step.where}: `{command}` exited with {done.returncode}:\n{output[-4000:]}"
        )
        if self.secret:
            assert self.secret not in output, f"{step.where}: the password was shown"
        return output


def suite_database(output: str) -> str:
    """What the generated suite said it runs on (its first `database:` line)."""
    return next(line for line in output.splitlines() if line.startswith("database: "))


#: A line of pytest's `-ra` summary (the generated projects' addopts have it).
SKIPPED = re.compile(r"^SKIPPED \[\d+\] ([^:\s]+)(?::\d+)?: (.*)$", re.MULTILINE)
#: The files of a server project's tests that need the server itself.
SERVER_FILES = ("tests/test_server.py", "tests/test_faults.py")


def check_suite_run(
    output: str, facts: dict[str, Any], on_server: bool, where: str
) -> None:
    """A README `pytest` line ran where it should: on the server once it
    runs; before that, a server project on in-memory SQLite with exactly the
    server's own tests skipped, each saying why, and SQLite with nothing
    skipped (two workers: a database each)."""
    database = suite_database(output)
    skipped = dict(SKIPPED.findall(output))
    if on_server:
        assert "in-memory SQLite" not in database, where
        return
    if " -n " in where:  # the header names the first worker's database
        assert database.startswith("database: one per pytest-xdist worker"), where
    elif facts["server"]:
        assert database.startswith(
            f"database: in-memory SQLite, because {facts['drivername']}://"
        ), where
        assert "is not available" in database, where
    reason = f"needs {facts['a_server']} at TEST_DATABASE_URL"
    expected = dict.fromkeys(SERVER_FILES, reason) if facts["server"] else {}
    assert skipped == expected, (where, skipped)


def fresh(output: Path, backend: str, **answers: str) -> Path:
    """A project rendered by cookiecutter's command line, for this walk alone:
    its names (user, databases) are the run's own."""
    name = f"Walk {secrets.token_hex(4)}"
    args = [f"{key}={value}" for key, value in answers.items()]
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output)]
    answers_given = [f"database_backend={backend}", f"project_name={name}", *args]
    done = subprocess.run(
        [*command, str(TEMPLATE), *answers_given],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [project] = output.iterdir()
    return project


def ci_login(facts: dict[str, Any]) -> Login:
    login = app_login(facts, facts["ci_env"])
    assert login is not None
    return login


def ci_stand_in(script: str) -> str:
    """A GitLab script as it runs here: the service's host is this machine,
    and the machine has the clients the job installs."""
    lines = [
        ": skipped" if line.startswith("apt-get ") else line
        for line in script.splitlines()
    ]
    return "\n".join(lines).replace("PGHOST=db ", "PGHOST=127.0.0.1 ")


# --- the walks -------------------------------------------------------------------


#: The walks: SQLite, PostgreSQL and MariaDB through uv, and SQLite through pip.
WALKS = [("postgresql", "uv"), ("mysql", "uv"), ("sqlite", "pip"), ("sqlite", "uv")]
WALKED = {backend for backend, _ in WALKS}


def walk(backend: str, install: str, scratch: Path, mypy_cache: Path) -> None:
    """The README's commands in order, then (with uv) the CI jobs' steps in
    the same project, as a checkout: the environment is shared, `.env` is not.

    With pip: the README's `# or:` install, on Python 3.13, and then the
    activated environment instead of `uv run`. Runs in the background
    process (the `background` mark), beside the rest of the suite.
    """
    facts = FACTS[backend]
    env = {**user_env(scratch), "MYPY_CACHE_DIR": str(mypy_cache)}
    if install == "pip":  # the newest Python here is the one on PATH
        python313 = find_python313()
        if python313 is None:
            missing("no Python 3.13: set TEMPLATE_TEST_PYTHON313")
        env["PATH"] = f"{Path(str(python313)).parent}{os.pathsep}{env['PATH']}"
    project = fresh(scratch / "project", backend)
    dotenv = {k: v or "" for k, v in dotenv_values(project / ".env").items()}
    with ExitStack() as stack:
        server = stack.enter_context(local_server(backend)) if facts["server"] else None
        walk = Walk(project, env, dotenv.get("DB_PASSWORD"))
        walk_readme(walk, facts, install, server, dotenv)
        if backend == "sqlite":
            # The first commit, from a shell with no environment on PATH: the
            # pre-commit hooks find the project's tools themselves.
            commit(project, env, scratch)
        if install == "uv":
            (project / ".env").rename(scratch / "dotenv")  # not in a checkout
            gitlab = fresh(scratch / "gitlab", backend, ci_provider="gitlab")
            walk_ci(project, gitlab, backend, server, env)
            if backend == "postgresql":
                (scratch / "dotenv").rename(project / ".env")  # the developer's again
                switch_driver(walk, project)


def switch_driver(walk: Walk, project: Path) -> None:
    """The README's switch to the other PostgreSQL driver, as it is written:
    one dependency in pyproject.toml, one setting in .env, `uv sync`; then the
    suite runs on the server through the other driver, the first one gone."""
    where = "README, PostgreSQL notes"
    readme = " ".join((project / "README.md").read_text().split())
    dependency = re.search(
        r"in `pyproject.toml` replace `([^`]+)` with `([^`]+)`", readme
    )
    setting = re.search(r"set `(DB_DRIVER)=(\w+)` in `.env`", readme)
    assert dependency, where
    assert setting, where
    old, new = dependency.groups()
    pyproject = project / "pyproject.toml"
    assert f'"{old}"' in pyproject.read_text(), where
    pyproject.write_text(pyproject.read_text().replace(f'"{old}"', f'"{new}"'))
    dotenv = project / ".env"
    name, driver = setting.groups()
    assert re.search(rf"^{name}=", dotenv.read_text(), re.M), where
    dotenv.write_text(
        re.sub(rf"^{name}=.*$", f"{name}={driver}", dotenv.read_text(), flags=re.M)
    )
    walk.run(Step("uv sync", where))
    installed = walk.run(Step("uv pip list", where))
    assert re.search(rf"^{re.escape(new.split('>')[0])} ", installed, re.M), installed
    assert not re.search(rf"^{re.escape(old.split('[')[0])} ", installed, re.M), (
        installed
    )
    output = walk.run(Step("uv run pytest --require-db", where))
    assert suite_database(output).startswith(f"database: postgresql+{driver}://"), (
        output
    )


@pytest.mark.background
@pytest.mark.parametrize(
    ("backend", "install"),
    [
        pytest.param(*case, marks=[pytest.mark.server] if case[0] != "sqlite" else [])
        for case in WALKS
    ],
)
def test_walk(backend: str, install: str, tmp_path: Path, mypy_cache: Path) -> None:
    walk(backend, install, tmp_path, mypy_cache)


def walk_readme(
    walk: Walk,
    facts: dict[str, Any],
    install: str,
    server: LocalServer | None,
    dotenv: dict[str, str],
) -> None:
    project = walk.project
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert ("## Run against the real server" in readme) == facts["server"]
    steps = readme_steps(readme)
    assert any(step.alternative for step in steps)
    server_started = False
    for step in steps:
        if step.compose:
            assert server is not None, f"{step.where}: compose in a SQLite project"
            login, databases = compose_creates(
                step, load_yaml(project / "docker-compose.yml"), facts, dotenv
            )
            assert login is not None
            server.create(login, databases)
            server_started = True
            continue
        if install == "pip" and step.alternative:
            output = walk.run(step, step.alternative)
        elif install == "pip":
            command = re.sub(r"\buv run ", "", step.command)
            output = walk.run(step, f". .venv/bin/activate && {command}")
        else:
            output = walk.run(step)
        if step.runs("pytest"):
            check_suite_run(
                output, facts, server_started, f"{step.where}: {step.command}"
            )
    assert (project / ".venv" / "bin" / "python").exists()
    if server is not None:
        assert server_started, "the README never starts the server"
        # The suite leaves its database as empty as it found it.
        assert server.tables(dotenv["DB_NAME"] + "_test") == set()
        assert server.tables(dotenv["DB_NAME"]) >= {"users", "profiles"}


def walk_ci(
    project: Path,
    gitlab: Path,
    backend: str,
    server: LocalServer | None,
    env: dict[str, str],
) -> None:
    """The GitHub job's `run:` steps, then the GitLab job's script lines that
    differ from them (GitLab runs its script in one shell)."""
    facts = FACTS[backend]
    workflow = load_yaml(project / ".github/workflows/ci.yml")
    job = workflow["jobs"]["test"]
    ci_env = {
        **env,
        "CI": "true",
        "UV_PYTHON": job["strategy"]["matrix"]["python-version"][0],
    }
    secret = None
    # What a CI step creates on the service: each job's service starts empty.
    made_by_ci: tuple[Login, set[str]] | None = None
    if server is not None:
        login = ci_login(facts)
        if image_login(facts, facts["ci_env"]) is not None:
            server.create(login, set(login.databases))
        else:  # a CI step creates it; each job's service starts empty
            made_by_ci = (login, script_creates(facts, facts["ci_env"]))
            server.adopt(*made_by_ci)
        secret = login.password
    github_env = {**ci_env, "GITHUB_ACTIONS": "true", **job.get("env", {})}
    walk = Walk(project, github_env, secret)
    walked = set()
    for step in github_steps(workflow):
        output = walk.run(step)
        if not step.env:
            walked.add(step.command)
        if step.runs("pytest") and server is not None:
            assert facts["drivername"] in suite_database(output), step.where
    pipeline = load_yaml(gitlab / ".gitlab-ci.yml")
    variables = {
        name: str(value).replace("@db:", "@127.0.0.1:")
        for name, value in pipeline["test"].get("variables", {}).items()
    }
    script = "\n".join(
        f": {step.command!r}" if step.command in walked else step.command
        for step in gitlab_steps(pipeline)
    )
    env = {**ci_env, "GITLAB_CI": "true", **variables}
    if server is not None and made_by_ci is not None:
        server.adopt(*made_by_ci)
    Walk(project, env, secret).run(Step(ci_stand_in(script), "GitLab job"))


def commit(project: Path, env: dict[str, str], home: Path) -> None:
    git = ["git", "-c", "user.name=New", "-c", "user.email=new@example.com"]
    bare = {**env, "PATH": "/usr/bin:/bin", "HOME": str(home)}
    for command in (["add", "-A"], ["commit", "-q", "-m", "first"]):
        done = subprocess.run(
            [*git, *command],
            cwd=project,
            env=bare,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    hooks = done.stdout + done.stderr
    for hook in (
        "ruff check",
        "ruff format",
        "mypy --strict",
        "keep .env out of git",
        "keep private keys out of git",
    ):
        assert hook in hooks


# --- the order of the steps, on every server backend ----------------------------


def connects(step: Step, server_started: bool, command: str) -> bool:
    """Whether `step` needs the server: Alembic and the project's `command`
    always, pytest once a server is meant to be up (before that, it falls
    back to SQLite)."""
    return migrates(step, command) or (server_started and step.runs("pytest"))


def migrates(step: Step, command: str) -> bool:
    """Whether `step` runs Alembic, or the project's `command` (which works on
    the development database)."""
    return step.runs("alembic") or step.runs(command)


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_readme_creates_before_it_connects(render: Renderer, backend: str) -> None:
    facts = FACTS[backend]
    project = render(database_backend=backend)
    dotenv = {k: v or "" for k, v in dotenv_values(project / ".env").items()}
    compose = load_yaml(project / "docker-compose.yml")
    owned = "DB_NAME" if facts["test_database_part"] == "database" else "DB_USER"
    created: set[str] = set()
    started = False
    for step in readme_steps((project / "README.md").read_text(encoding="utf-8")):
        if step.compose:
            created |= compose_creates(step, compose, facts, dotenv)[1]
            started = True
        elif migrates(step, project.name):
            assert dotenv[owned] in created, f"{step.where}: {step.command}"
        elif connects(step, started, project.name):
            assert dotenv[owned] + "_test" in created, f"{step.where}: {step.command}"
    assert started


#: The servers' administrators, whose logins the application must not use.
ADMINISTRATORS = {"sa", "postgres", "root", "sys", "system"}


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_ci_creates_and_waits_before_it_connects(
    render: Renderer, backend: str, provider: str
) -> None:
    facts = FACTS[backend]
    project = render(database_backend=backend, ci_provider=provider)
    # Each job has a service of its own; SQL Server's second job runs pyodbc.
    urls = {"test": facts["ci_url"]}
    if facts.get("ci_odbc_url"):
        urls["test-odbc"] = facts["ci_odbc_url"]
    if provider == "github":
        workflow = load_yaml(project / ".github/workflows/ci.yml")
        assert set(workflow["jobs"]) == set(urls)
        jobs = {name: github_steps(workflow, name) for name in urls}
    else:
        pipeline = load_yaml(project / ".gitlab-ci.yml")
        assert {name for name, job in pipeline.items() if "script" in job} == set(urls)
        jobs = {name: gitlab_steps(pipeline, name) for name in urls}
    login = image_login(facts, facts["ci_env"])
    app = app_login(facts, facts["ci_env"])
    for name, steps in jobs.items():
        url = make_url(urls[name].replace("{host}", "db"))
        target = (
            url.database if facts["test_database_part"] == "database" else url.username
        )
        created = set(login.databases) if login else set()
        # The logins the service has: the image's, or (SQL Server) `sa` alone.
        users = {login.user} if login else set() if app else {"sa"}
        # The application never logs in as the server's administrator.
        assert url.username not in ADMINISTRATORS, f"{name} logs in as {url.username}"
        # GitHub starts the steps once the service's healthcheck passes.
        ready = provider == "github"
        waited = False
        for step in steps:
            if "docker/initdb/" in step.command:  # what compose's initdb runs
                assert app is not None
                assert ready, f"{step.where} runs before the server is ready"
                created |= script_creates(facts, facts["ci_env"])
                users.add(app.user)
            elif step.runs("pg_isready"):
                ready = True
            elif step.runs("scripts/wait_for_database.py"):
                if "--create-login" in step.words:  # as sa, with DB_ROOT_PASSWORD
                    assert "sa" in users
                    assert "DB_ROOT_PASSWORD" in {*step.env, *step.command.split("=")}
                    users.add(str(url.username))
                assert url.username in users, f"{step.where}: no login yet"
                waited = ready = True
                if facts["admin_database"]:  # it creates the test database
                    created.add(str(target))
            elif connects(step, server_started=True, command=project.name):
                assert target in created, f"{step.where}: {step.command}"
                assert url.username in users, f"{step.where}: no login yet"
                assert waited, f"{step.where} connects before the server is ready"
        assert waited, f"{name} never waits for the server"
