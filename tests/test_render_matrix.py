"""What each option puts into the generated project, and that every file parses."""

from __future__ import annotations

import configparser
import json
import re
import secrets
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from conftest import (
    ADMIN_URLS,
    BACKENDS,
    CONTEXT,
    FACTS,
    PSYCOPG2,
    SERVER_BACKENDS,
    TEMPLATE,
    Renderer,
    backend_script,
    missing,
)
from walks import app_login

ALWAYS = [
    "pyproject.toml",
    "README.md",
    ".env",
    ".env.example",
    ".gitignore",
    ".pre-commit-config.yaml",
    "alembic.ini",
    "tests/conftest.py",
    "src/my_service/__init__.py",
    "src/my_service/py.typed",
    "src/my_service/settings.py",
    "src/my_service/errors.py",
    "src/my_service/validation.py",
    "src/my_service/models/__init__.py",
    "src/my_service/models/types.py",
]


#: Every file the template can make, named as in a project called "my_service".
TEMPLATE_FILES = {
    str(path.relative_to(TEMPLATE / "{{cookiecutter.project_slug}}")).replace(
        "{{cookiecutter.package_name}}", "my_service"
    )
    for path in (TEMPLATE / "{{cookiecutter.project_slug}}").rglob("*")
    if path.is_file()
}


def expected(path: str, chosen: dict[str, bool]) -> bool:
    """Whether a project made with the `chosen` parts has `path`: when every
    part listing it is chosen, or its BigQuery-alone variant is (which takes
    its name: "errors.bigquery.py" becomes "errors.py")."""
    if ".bigquery." in path:
        return False
    variant = path.removesuffix(".py") + ".bigquery.py"
    return any(
        all(chosen[part] for part in parts_listing(candidate))
        for candidate in (path, variant)
        if candidate in TEMPLATE_FILES or candidate == path
    )


def parts_listing(path: str) -> set[str]:
    """The parts of cookiecutter.json's `_files` that list `path` or a folder of it."""
    return {
        part
        for part, paths in CONTEXT["_files"].items()
        for listed in paths
        if path == listed.format(package="my_service")
        or path.startswith(listed.format(package="my_service") + "/")
    }


def files(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("ci", ["github", "gitlab", "none"])
@pytest.mark.parametrize("compose", [True, False])
def test_files_follow_the_options(
    render: Renderer, backend: str, ci: str, compose: bool
) -> None:
    project = render(
        database_backend=backend, ci_provider=ci, use_docker_compose=compose
    )
    present = files(project)
    assert set(ALWAYS) <= present
    facts = FACTS[backend]
    with_compose = compose and (facts["server"] or backend == "bigquery")
    # PostgreSQL's CI runs the init script too, to create the application's role.
    ci_runs_it = ci != "none" and backend == "postgresql"
    chosen = {
        "relational": facts["relational"],
        "bigquery_alone": not facts["relational"],
        "analytics": backend == "bigquery",
        "server": facts["server"],
        "compose": with_compose,
        "init_scripts": facts["initdb_dir"] is not None
        and (with_compose or ci_runs_it),
        "github": ci == "github",
        "gitlab": ci == "gitlab",
    }
    assert set(chosen) == set(CONTEXT["_files"])
    # Every file is there exactly when each part that brings it is chosen.
    for path in present | TEMPLATE_FILES:
        assert (path in present) is expected(path, chosen), path
    init_script = "docker/initdb/create-test-database.sh"
    assert (init_script in present) is chosen["init_scripts"]
    # The same outcomes, named: the manifest cannot vouch for itself.
    assert ("src/my_service/infra/database.py" in present) is facts["relational"]
    assert ("tests/analytics/test_analytics.py" in present) is (backend == "bigquery")
    assert ("docker-compose.yml" in present) is with_compose
    assert ("tests/test_server.py" in present) is facts["server"]
    assert (".github/workflows/ci.yml" in present) is (ci == "github")
    assert (".github/dependabot.yml" in present) is (ci == "github")
    assert (".gitlab-ci.yml" in present) is (ci == "gitlab")
    assert ("renovate.json" in present) is (ci == "gitlab")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "oracle"])
@pytest.mark.parametrize("compose", [True, False])
def test_analytics_next_to_an_operational_database(
    render: Renderer, backend: str, compose: bool
) -> None:
    project = render(
        database_backend=backend,
        use_bigquery_analytics=True,
        use_docker_compose=compose,
    )
    present = files(project)
    both = {
        p for p in TEMPLATE_FILES if parts_listing(p) <= {"relational", "analytics"}
    }
    assert set(ALWAYS) | both <= present
    assert "src/my_service/infra/data_access.py" in present
    assert "tests/analytics/conftest.py" in present  # beside the relational one
    assert ("docker-compose.yml" in present) is compose
    if compose:
        services = load_yaml(project / "docker-compose.yml")["services"]
        assert "bigquery" in services
        assert ("db" in services) is FACTS[backend]["server"]
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(project / "alembic.ini")
    assert ini["alembic"]["script_location"] == "%(here)s/migrations"
    assert ini["analytics"]["script_location"] == "%(here)s/migrations_analytics"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = set(pyproject["project"]["dependencies"])
    assert set(CONTEXT["_analytics"]["dependencies"]) <= dependencies
    env = (project / ".env").read_text()
    assert "\nBIGQUERY_EMULATOR_HOST=http://127.0.0.1:9050\n" in env
    assert "\nDB_TYPE=" in env


def test_bigquery_alone_has_no_relational_layer(render: Renderer) -> None:
    project = render(database_backend="bigquery")
    conftest = (project / "tests" / "conftest.py").read_text()
    assert "def test_engine(" in conftest  # the contract's fixtures, on BigQuery
    assert "def db_session(" in conftest
    assert not (project / "tests" / "analytics" / "conftest.py").exists()
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(project / "alembic.ini")
    assert ini["alembic"]["script_location"] == "%(here)s/migrations_analytics"
    assert "analytics" not in ini
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = pyproject["project"]["dependencies"]
    assert not any(d.startswith("argon2") for d in dependencies)
    assert set(CONTEXT["_analytics"]["dependencies"]) <= set(dependencies)
    # The project's command, on BigQuery: no users to create.
    assert "click>=8.1" in dependencies
    assert pyproject["project"]["scripts"] == {"my-service": "my_service.cli:main"}
    cli = (project / "src" / "my_service" / "cli.py").read_text()
    assert "def createuser(" not in cli
    assert "create_bigquery_engine" in cli
    env = (project / ".env").read_text()
    assert "DB_TYPE" not in env
    assert "GCP_PROJECT_ID=my-service" in env
    compose = load_yaml(project / "docker-compose.yml")
    bigquery = compose["services"].pop("bigquery")
    assert compose["services"] == {}
    assert bigquery["ports"] == ["127.0.0.1:9050:9050"]
    assert bigquery["healthcheck"]["test"] == [
        "CMD",
        "python",
        "scripts/bigquery_emulator.py",
        "--wait",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_config_file_parses(render: Renderer, backend: str) -> None:
    project = render(database_backend=backend)
    for path in project.rglob("*"):
        if path.suffix == ".toml":
            tomllib.loads(path.read_text(encoding="utf-8"))
        elif path.suffix in {".yml", ".yaml"}:
            load_yaml(path)
        elif path.suffix == ".ini":
            configparser.ConfigParser(interpolation=None).read(path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pyproject_declares_the_driver_and_tools(
    render: Renderer, backend: str
) -> None:
    facts = FACTS[backend]
    pyproject = tomllib.loads(
        (render(database_backend=backend) / "pyproject.toml").read_text()
    )
    dependencies = pyproject["project"]["dependencies"]
    if not facts["relational"]:
        return  # see test_bigquery_alone_has_no_relational_layer
    driver = [facts["dependency"]] if facts["dependency"] else []
    common = [
        "sqlalchemy>=2.1",
        "alembic>=1.16",
        "python-dotenv>=1.0",
        "argon2-cffi>=23.1",
        "click>=8.1",
    ]
    assert dependencies == common + driver
    extras = pyproject["project"]["optional-dependencies"]
    assert {"pytest>=8.3", "ruff>=0.12", "mypy>=1.15"} <= set(extras.pop("dev"))
    assert extras == {
        name: [req] for name, req in facts["optional_dependencies"].items()
    }
    assert pyproject["dependency-groups"]["dev"] == ["my-service[dev]"]


def test_psycopg2_project_declares_psycopg2(render: Renderer) -> None:
    project = render(**PSYCOPG2)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = pyproject["project"]["dependencies"]
    assert "psycopg2-binary>=2.9.10" in dependencies
    assert not [d for d in dependencies if d.startswith("psycopg[")]
    assert "types-psycopg2" in pyproject["project"]["optional-dependencies"]["dev"]
    assert "DB_DRIVER=psycopg2" in (project / ".env.example").read_text()
    assert "The driver is psycopg2" in (project / "README.md").read_text()


@pytest.mark.parametrize("backend", ["sqlite", "mysql", "bigquery"])
def test_other_backends_ignore_the_postgresql_driver(
    render: Renderer, backend: str
) -> None:
    default = render(database_backend=backend)
    answered = render(database_backend=backend, postgresql_driver="psycopg2")
    assert files(answered) == files(default)
    for path in files(default) - {".env"}:  # .env: passwords drawn anew
        assert (answered / path).read_bytes() == (default / path).read_bytes(), path


@pytest.mark.parametrize("version", CONTEXT["python_version"])
def test_python_version_is_the_floor_everywhere(render: Renderer, version: str) -> None:
    project = render(
        python_version=version, database_backend="postgresql", ci_provider="github"
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(
        ".", ""
    )
    assert pyproject["tool"]["mypy"]["python_version"] == version
    workflow = load_yaml(project / ".github/workflows/ci.yml")
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    versions = CONTEXT["python_version"]
    assert matrix == versions[versions.index(version) :]
    gitlab = render(python_version=version, ci_provider="gitlab")
    gitlab_matrix = load_yaml(gitlab / ".gitlab-ci.yml")["test"]["parallel"]["matrix"]
    assert gitlab_matrix == [{"PYTHON_VERSION": versions[versions.index(version) :]}]


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_compose_runs_the_server_with_a_healthcheck(
    render: Renderer, backend: str
) -> None:
    facts = FACTS[backend]
    project = render(database_backend=backend)
    compose = load_yaml(project / "docker-compose.yml")
    db = compose["services"]["db"]
    assert db["image"] == facts["image"]
    assert db["ports"] == [f"127.0.0.1:${{DB_PORT:-{facts['port']}}}:{facts['port']}"]
    # Compose turns $$ back into $ for the container's shell.
    assert db["healthcheck"]["test"] == [
        "CMD-SHELL",
        facts["healthcheck"].replace("$", "$$"),
    ]
    assert db["healthcheck"]["retries"] >= 20
    env = db["environment"]
    for variable, setting in facts["container_env"].items():
        if setting.startswith("DB_"):
            assert env[variable] == f"${{{setting}:?set {setting} in .env}}", variable
        else:
            assert env[variable] == setting, variable
    env_file = (project / ".env").read_text()
    for setting in facts["container_env"].values():
        if setting.startswith("DB_"):
            assert f"\n{setting}=" in env_file, f"compose needs {setting} in .env"
    volumes = db["volumes"]
    assert f"db-data:{facts['data_dir']}" in volumes
    if facts["initdb_dir"]:
        assert f"./docker/initdb:{facts['initdb_dir']}:ro" in volumes
        assert set(compose["services"]) == {"db"}
    else:
        init = compose["services"]["db-init"]
        assert init["image"] == facts["image"]
        assert init["depends_on"] == {"db": {"condition": "service_healthy"}}
        script = backend_script(backend, "db-init.sh")
        assert init["entrypoint"][-1] == script.replace("$", "$$")
        assert "_test" in init["entrypoint"][-1]


@pytest.mark.parametrize(
    "backend", [b for b in SERVER_BACKENDS if FACTS[b]["initdb_dir"]]
)
def test_initdb_script_creates_the_test_database(
    render: Renderer, backend: str
) -> None:
    script = render(database_backend=backend) / "docker/initdb/create-test-database.sh"
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert text.rstrip().endswith(backend_script(backend, "initdb.sh"))
    assert "_test" in text
    assert script.stat().st_mode & 0o111, "must be executable"


def locked_sync(sync: str) -> str:
    """The CI line that runs `sync` (`uv sync [options]`) with --locked when
    the project has a uv.lock."""
    locked = sync.replace("uv sync", "uv sync --locked", 1)
    return f"if [ -f uv.lock ]; then {locked}; else {sync}; fi"


@pytest.mark.parametrize("backend", BACKENDS)
def test_github_workflow_tests_against_the_server(
    render: Renderer, backend: str
) -> None:
    facts = FACTS[backend]
    jobs = load_yaml(render(database_backend=backend) / ".github/workflows/ci.yml")[
        "jobs"
    ]
    job = jobs["test"]
    commands = [step.get("run") for step in job["steps"] if "run" in step]
    sync = locked_sync(facts["ci_sync"] or "uv sync")
    assert commands[:4] == [
        sync,
        "uv run ruff check .",
        "uv run ruff format --check .",
        "uv run mypy",
    ]
    if backend == "bigquery":
        assert job["env"] == {"BIGQUERY_EMULATOR_HOST": "http://127.0.0.1:9050"}
        assert commands[4].startswith(
            "nohup uv run python scripts/bigquery_emulator.py"
        )
        assert commands[5] == "uv run python scripts/bigquery_emulator.py --wait"
    if not facts["server"]:
        assert "services" not in job
        assert commands[-1] == "uv run pytest"
        return
    service = job["services"]["db"]
    assert service["image"] == facts["image"]
    assert service["env"] == facts["ci_env"]
    assert service["ports"] == [f"{facts['port']}:{facts['port']}"]
    assert f'--health-cmd "{facts["healthcheck"]}"' in service["options"]
    assert job["env"]["TEST_DATABASE_URL"] == facts["ci_url"].replace(
        "{host}", "127.0.0.1"
    )
    if backend == "postgresql":  # the application's role, as docker/initdb/ makes it
        assert commands[4] == "sh docker/initdb/create-test-database.sh"
        commands.pop(4)
    assert commands[4].startswith("uv run python scripts/wait_for_database.py")
    assert "uv run alembic upgrade head && uv run alembic check" in commands[5]
    assert commands[-1] == "uv run pytest --require-db --faults"
    if not facts.get("ci_odbc_url"):
        assert set(jobs) == {"test"}
        return
    # SQL Server: a second job runs the suite through the default driver.
    odbc = jobs["test-odbc"]
    assert odbc["services"] == job["services"]
    assert odbc["env"] == {
        "TEST_DATABASE_URL": facts["ci_odbc_url"].replace("{host}", "127.0.0.1")
    }
    odbc_commands = [step.get("run") for step in odbc["steps"] if "run" in step]
    assert "sudo ACCEPT_EULA=Y apt-get install -y msodbcsql18" in odbc_commands[0]
    assert "packages.microsoft.com/config/ubuntu/" in odbc_commands[0]
    # Both drivers installed (the tests of each run under CI=true); then the
    # steps of the first job.
    assert odbc_commands[1:] == [locked_sync(facts["ci_sync"]), *commands[4:]]


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_gitlab_pipeline_tests_against_the_server(
    render: Renderer, backend: str
) -> None:
    facts = FACTS[backend]
    pipeline = load_yaml(
        render(database_backend=backend, ci_provider="gitlab") / ".gitlab-ci.yml"
    )
    job = pipeline["test"]
    assert job["services"] == [{"name": facts["image"], "alias": "db"}]
    variables = dict(job["variables"])
    assert variables.pop("TEST_DATABASE_URL") == facts["ci_url"].replace("{host}", "db")
    assert variables == facts["ci_env"]
    assert job["script"][0] == locked_sync(facts["ci_sync"] or "uv sync")
    assert job["script"][-1] == "uv run pytest --require-db --faults"
    if not facts.get("ci_odbc_url"):
        assert set(pipeline) == {"test"}
        return
    # SQL Server: a second job runs the suite through the default driver.
    odbc = pipeline["test-odbc"]
    assert odbc["services"] == job["services"]
    assert odbc["image"].endswith("-bookworm-slim")
    variables = dict(odbc["variables"])
    assert variables.pop("TEST_DATABASE_URL") == facts["ci_odbc_url"].replace(
        "{host}", "db"
    )
    assert variables == facts["ci_env"]
    script = odbc["script"]
    install = script.index(
        "apt-get update && ACCEPT_EULA=Y apt-get install -y msodbcsql18"
    )
    assert any(
        "packages.microsoft.com/config/debian/" in line for line in script[:install]
    )
    assert script[install + 1 :] == [
        locked_sync(facts["ci_sync"]),
        *job["script"][4:],
    ]


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_ci_url_parses_to_the_service(backend: str) -> None:
    facts = FACTS[backend]
    url = make_url(facts["ci_url"].replace("{host}", "db"))
    assert (url.host, url.port) == ("db", facts["port"])
    if app_login(facts, facts["ci_env"]) is not None:
        assert url.password in facts["ci_env"].values()
    else:  # SQL Server: CI creates the application's login as sa
        assert url.username != "sa"
        assert url.password not in facts["ci_env"].values()
    # Where the first job uses another driver, a second one runs the default.
    assert bool(facts.get("ci_odbc_url")) == (url.drivername != facts["drivername"])
    if facts.get("ci_odbc_url"):
        odbc = make_url(facts["ci_odbc_url"].replace("{host}", "db"))
        assert odbc.drivername == facts["drivername"]  # the default driver
        assert odbc.set(drivername=url.drivername, query={}) == url
        # What pyodbc hands to unixODBC: the driver by name, and TLS on.
        [connection_string], _ = odbc.get_dialect()().create_connect_args(odbc)
        assert connection_string.startswith("DRIVER={ODBC Driver 18 for SQL Server};")
        assert "Encrypt=yes" in connection_string
        assert "TrustServerCertificate=yes" in connection_string


def readme_urls(readme: str, backend: str) -> list[str]:
    """The example URLs of `backend`'s drivers that a README shows."""
    drivers = "|".join(map(re.escape, FACTS[backend]["url_drivers"]))
    return re.findall(rf"`((?:{drivers})://[^`]+)`", readme)


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_readme_example_url_works(render: Renderer, backend: str) -> None:
    facts = FACTS[backend]
    readme = (render(database_backend=backend) / "README.md").read_text()
    [example] = readme_urls(readme, backend)
    url = make_url(example)
    assert url.drivername == facts["drivername"]
    assert (url.host, url.port) == ("host", facts["port"])
    if backend == "mssql":
        # Without driver= unixODBC fails (IM002); a URL replaces the TLS settings.
        [connection_string], _ = url.get_dialect()().create_connect_args(url)
        assert connection_string.startswith("DRIVER={ODBC Driver 18 for SQL Server};")
        assert "Encrypt=yes" in connection_string
        assert "TrustServerCertificate=no" in connection_string


def sa_password_policy(password: str) -> bool:
    """SQL Server's rule for the sa password: 8+ characters from 3 of 4 classes."""
    classes = [str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum()]
    used = sum(any(test(c) for c in password) for test in classes)
    return len(password) >= 8 and used >= 3


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
@pytest.mark.parametrize("compose", [True, False])
def test_env_example_passwords_start_the_container(
    render: Renderer, backend: str, compose: bool
) -> None:
    project = render(database_backend=backend, use_docker_compose=compose)
    example = (project / ".env.example").read_text()
    password = re.search(r"^DB_PASSWORD=(.*)$", example, re.MULTILINE)
    assert password is not None
    if backend == "mssql":  # the application's login and sa: both policed
        root = re.search(r"^DB_ROOT_PASSWORD=(.*)$", example, re.MULTILINE)
        assert root is not None
        assert sa_password_policy(password[1])
        assert sa_password_policy(root[1])
        assert "An example to change" in example
    assert not sa_password_policy("change-me")
    # Compose expands $ in .env, the application does not: said where it matters.
    assert ("docker compose" in example and "'pa$word'" in example) == compose


def test_mssql_db_init_creates_the_login_and_the_databases_it_owns(
    tmp_path: Path,
) -> None:
    """The compose db-init command, with a stand-in sqlcmd: as sa, it creates
    the application's login (dbcreator, no sysadmin) and both databases, with
    the collation and row versioning, owned by that login."""
    facts = FACTS["mssql"]
    sqlcmd = stand_in(tmp_path, "sqlcmd")
    init = backend_script("mssql", "db-init.sh").replace(
        "/opt/mssql-tools18/bin/sqlcmd", str(sqlcmd)
    )
    env = {
        "MSSQL_SA_PASSWORD": "Sa-passw0rd",
        "DB_NAME": "shop",
        "DB_USER": "shop_app",
        "DB_PASSWORD": "It's-0-$(x)",
    }
    done = run_script(init, env)
    assert done.returncode == 0, done.stderr
    sent = (tmp_path / "sqlcmd.stdin").read_text()
    assert "-x" in (tmp_path / "sqlcmd.argv").read_text().split()  # no $(x) expansion
    collation = facts["create_database_options"]
    assert collation == "COLLATE Latin1_General_100_CI_AS_SC_UTF8"
    expected = [
        "IF SUSER_ID(N'shop_app') IS NULL"
        " CREATE LOGIN [shop_app] WITH PASSWORD = N'It''s-0-$(x)';",
        "ALTER SERVER ROLE dbcreator ADD MEMBER [shop_app];",
    ]
    for name in ("shop", "shop_test"):
        expected += [
            f"IF DB_ID(N'{name}') IS NULL CREATE DATABASE [{name}] {collation};",
            "IF (SELECT is_read_committed_snapshot_on FROM sys.databases WHERE "
            f"name = N'{name}') = 0 ALTER DATABASE [{name}] SET READ_COMMITTED_SNAPSHOT ON;",
            f"ALTER AUTHORIZATION ON DATABASE::[{name}] TO [shop_app];",
        ]
    lines = sent.splitlines()
    assert set(expected) <= set(lines), sent
    assert "sysadmin" not in sent
    # Each database exists before its options and owner are set.
    for name in ("shop", "shop_test"):
        created = lines.index(expected[2 if name == "shop" else 5])
        assert lines.index("GO", created) < lines.index(
            f"ALTER AUTHORIZATION ON DATABASE::[{name}] TO [shop_app];"
        )


@pytest.mark.parametrize(
    "name",
    [
        "Quote \" and ' and \\ backslash",
        "Ünïcödé Prøject — 名前 🎉",
        "Dollar $HOME ${HOME} and {{ braces }} and {% raw %}",
    ],
)
def test_hostile_project_names_render_working_files(
    render: Renderer, name: str
) -> None:
    project = render(
        project_name=name, project_slug="hostile", description=name, author_name=name
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == name
    assert pyproject["project"]["authors"][0]["name"] == name
    assert (project / "README.md").read_text(encoding="utf-8").startswith(f"# {name}\n")


#: Paths that hold secrets, and paths that do not, for the guards below.
SECRET_PATHS = [
    ".env",
    "config/.env",
    ".env.production",
    "deploy/.env.local",
    "prod.env",
    "keys/gcp-credentials.json",
    "my-project-service-account.json",
    "service_account_key.json",
]
PLAIN_PATHS = [
    ".env.example",
    "config/.env.example",
    "src/x/env.py",
    "environment.json",
]


def test_pre_commit_refuses_secret_files(render: Renderer) -> None:
    """The guard's regexes, applied as pre-commit applies them (re.search)."""
    config = load_yaml(render() / ".pre-commit-config.yaml")
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    guard = hooks["no-env-file"]
    assert (guard["name"], guard["language"]) == ("keep .env out of git", "fail")

    def refused(path: str) -> bool:
        return bool(re.search(guard["files"], path)) and not re.search(
            guard["exclude"], path
        )

    assert [path for path in SECRET_PATHS if not refused(path)] == []
    assert [path for path in PLAIN_PATHS if refused(path)] == []
    # Any JSON file holding a private key, whatever its name.
    key = hooks["no-private-key"]
    assert (key["language"], key["types"]) == ("pygrep", ["json"])
    assert re.search(key["entry"], '{"type": "service_account", "private_key" : "-"}')
    assert not re.search(key["entry"], '{"private_key_id_hint": "none"}')


def test_gitignore_keeps_secrets_and_local_files_out(
    render: Renderer, tmp_path: Path
) -> None:
    (tmp_path / ".gitignore").write_text((render() / ".gitignore").read_text())
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    local = [
        *SECRET_PATHS,
        "my_service.db",
        "data/app.sqlite",
        "app.sqlite3",
        *(f"my_service.db-{suffix}" for suffix in ("journal", "wal", "shm")),
        ".coverage",
        ".coverage.host.1234.567",
        "htmlcov/index.html",
        "coverage.xml",
    ]
    checked = subprocess.run(
        [
            "git",
            "check-ignore",
            "--no-index",
            "--verbose",
            "--non-matching",
            *local,
            *PLAIN_PATHS,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    # "<source>:<line>:<pattern>\t<path>"; "::\t<path>" when no pattern
    # matches, and a "!pattern" that matches last lets the path in.
    kept = {
        line.split("\t")[1]
        for line in checked.stdout.splitlines()
        if line.split(":", 2)[2].startswith(("\t", "!"))
    }
    assert kept == set(PLAIN_PATHS)


UV_VERSION = CONTEXT["_uv_version"]


def test_uv_version_is_the_one_this_template_uses() -> None:
    ci_run = (TEMPLATE / ".ci" / "run").read_text()
    assert f'"uv=={UV_VERSION}"' in ci_run


@pytest.mark.parametrize("backend", ["sqlite", "mssql"])
def test_github_workflow_has_least_privilege_and_pinned_uv(
    render: Renderer, backend: str
) -> None:
    project = render(database_backend=backend)
    workflow = load_yaml(project / ".github/workflows/ci.yml")
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        assert "permissions" not in job, name  # none widened per job
        uses = [step for step in job["steps"] if "uses" in step]
        checkout, setup_uv = uses
        assert checkout["uses"].startswith("actions/checkout@v")
        assert checkout["with"]["persist-credentials"] is False
        assert setup_uv["uses"].startswith("astral-sh/setup-uv@v")
        assert setup_uv["with"]["version"] == UV_VERSION


#: Tags of one release each (a minor, a patch, a cumulative update), not of a
#: line that moves ("17", "11.4", "2022-latest", "23-slim").
EXACT_IMAGE = {
    "postgresql": r"postgres:\d+\.\d+",
    "mysql": r"mariadb:\d+\.\d+\.\d+",
    "mssql": r"mcr\.microsoft\.com/mssql/server:2022-CU\d+-ubuntu-\d+\.\d+",
    "oracle": r"gvenzl/oracle-free:\d+\.\d+-slim",
}


@pytest.mark.parametrize("backend", SERVER_BACKENDS)
def test_server_images_are_exact_releases(backend: str) -> None:
    assert re.fullmatch(EXACT_IMAGE[backend], FACTS[backend]["image"])


def test_gitlab_pipeline_pins_uv(render: Renderer) -> None:
    pipeline = load_yaml(
        render(database_backend="mssql", ci_provider="gitlab") / ".gitlab-ci.yml"
    )
    for name in ("test", "test-odbc"):
        assert pipeline[name]["image"].startswith(
            f"ghcr.io/astral-sh/uv:{UV_VERSION}-python"
        ), name


@pytest.mark.parametrize("lock", [True, False])
def test_ci_sync_is_locked_when_the_project_has_a_lock_file(
    tmp_path: Path, lock: bool
) -> None:
    """The sync line, run by sh with a stand-in uv that records its arguments."""
    log = tmp_path / "uv-args"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").write_text(f'#!/bin/sh\necho "$@" > {log}\n')
    (bin_dir / "uv").chmod(0o755)
    if lock:
        (tmp_path / "uv.lock").write_text("")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    line = locked_sync("uv sync --extra pymssql")
    subprocess.run(["/bin/sh", "-c", line], cwd=tmp_path, env=env, check=True)
    expected = "sync --locked --extra pymssql" if lock else "sync --extra pymssql"
    assert log.read_text().strip() == expected


@pytest.mark.parametrize(
    "answers",
    [
        {"database_backend": "postgresql"},
        {"database_backend": "sqlite"},
        {"database_backend": "bigquery"},
    ],
)
def test_dependabot_covers_actions_python_and_images(
    render: Renderer, answers: dict[str, str]
) -> None:
    project = render(**answers)
    config = load_yaml(project / ".github/dependabot.yml")
    assert config["version"] == 2
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    compose = (project / "docker-compose.yml").exists()
    expected = {"github-actions", "uv"} | ({"docker-compose"} if compose else set())
    assert set(ecosystems) == expected
    for update in ecosystems.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] in {"daily", "weekly", "monthly"}


def test_renovate_covers_images_python_and_uv(render: Renderer) -> None:
    project = render(
        database_backend="postgresql", use_bigquery_analytics=True, ci_provider="gitlab"
    )
    config = json.loads((project / "renovate.json").read_text())
    assert "config:recommended" in config["extends"]  # gitlabci, compose, pep621
    assert config["lockFileMaintenance"]["enabled"] is True
    [uv] = config["customManagers"]
    assert (uv["depNameTemplate"], uv["datasourceTemplate"]) == ("uv", "pypi")
    # Its patterns find uv's version where the files pin it, and nothing else.
    found = []
    for name in (".gitlab-ci.yml", "docker-compose.yml"):
        pattern = uv["managerFilePatterns"]
        assert any(re.search(p.strip("/"), name) for p in pattern), name
        text = (project / name).read_text()
        for match in uv["matchStrings"]:
            python_match = match.replace(
                "(?<", "(?P<"
            )  # Renovate's syntax is JavaScript's
            found += [m["currentValue"] for m in re.finditer(python_match, text)]
    assert found == [UV_VERSION] * 2


def test_bigquery_service_installs_a_pinned_uv(render: Renderer) -> None:
    compose = load_yaml(render(database_backend="bigquery") / "docker-compose.yml")
    bigquery = compose["services"]["bigquery"]
    assert f"uv=={UV_VERSION} &&" in bigquery["command"][-1]
    assert re.fullmatch(r"python:3\.13\.\d+-slim-\w+", bigquery["image"])


# --- the container setup scripts: names and passwords ----------------------------

#: Names that would change the SQL if pasted into it unquoted.
HOSTILE_NAMES = [
    'x" OWNER y TEMPLATE z; --',
    "x`; CREATE DATABASE evil; --",
    "x'@'%'; CREATE DATABASE evil; -- ",
    "x]; DROP DATABASE master; --",
    "x\nCREATE DATABASE evil",
    "",
]


def stand_in(folder: Path, name: str, then: str = "") -> Path:
    """An executable `name` in `folder` that records its arguments (one per
    line), its standard input and its environment, then runs `then` with the
    input, if given."""
    folder.mkdir(exist_ok=True)
    log = folder / name
    script = folder / "bin" / name
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" >> {log}.argv\n'
        f"env >> {log}.env\n"
        f"tee -a {log}.stdin | {then or 'cat >/dev/null'}\n"
    )
    script.chmod(0o755)
    return script


def run_script(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A setup script as the image runs it (`set -eu`, POSIX sh)."""
    return subprocess.run(
        ["/bin/sh", "-eu", "-c", script],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def admin_engine(backend: str) -> Engine:
    return create_engine(
        ADMIN_URLS[backend], poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )


def server_databases(backend: str) -> set[str]:
    query = {
        "postgresql": "SELECT datname FROM pg_database",
        "mysql": "SELECT schema_name FROM information_schema.schemata",
    }[backend]
    engine = admin_engine(backend)
    try:
        with engine.connect() as connection:
            return set(connection.exec_driver_sql(query).scalars())
    except DBAPIError as error:
        missing(f"{backend} server unreachable: {error.orig}")
        raise
    finally:
        engine.dispose()


@pytest.mark.server
def test_postgresql_initdb_script_makes_an_owner_not_a_superuser() -> None:
    """Run on the local server with names that would change pasted SQL, the
    script creates the role and "<name>", "<name>_test" by those exact names,
    and nothing else: a role that is no superuser, may create databases, and
    owns its two."""
    script = backend_script("postgresql", "initdb.sh")
    token = secrets.token_hex(4)
    name = f'x" OWNER root TEMPLATE postgres; -- {token}'
    user = f'u" SUPERUSER; -- {token}'
    engine = admin_engine("postgresql")
    before = server_databases("postgresql")
    quote = engine.dialect.identifier_preparer.quote_identifier
    env = {
        "PGHOST": "127.0.0.1",
        "POSTGRES_USER": "root",
        "APP_DB_USER": user,
        "APP_DB_PASSWORD": "pass'word",
        "APP_DB_NAME": name,
    }
    try:
        done = run_script(script, env)
        assert done.returncode == 0, done.stderr
        assert server_databases("postgresql") - before == {name, name + "_test"}
        with engine.connect() as connection:
            role = connection.exec_driver_sql(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin"
                " FROM pg_roles WHERE rolname = %(user)s",
                {"user": user},
            ).one()
            owned = connection.exec_driver_sql(
                "SELECT datname FROM pg_database"
                " WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = %(user)s)",
                {"user": user},
            ).scalars()
            assert tuple(role) == (False, True, False, True)
            assert set(owned) == {name, name + "_test"}
    finally:
        with engine.connect() as connection:
            for database in (name, name + "_test"):
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(database)}")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {quote(user)}")
        engine.dispose()


@pytest.mark.server
def test_mariadb_initdb_script_refuses_names_it_cannot_quote(tmp_path: Path) -> None:
    """Hostile names: refused before the client runs, nothing created. A
    plain name: the test database is created and granted, the root password
    never on the client's command line."""
    script = backend_script("mysql", "initdb.sh")
    client = stand_in(
        tmp_path, "mariadb", 'exec /usr/bin/mariadb --host=127.0.0.1 "$@"'
    )
    env = {"PATH": f"{client.parent}:/usr/bin:/bin", "MARIADB_ROOT_PASSWORD": ""}
    before = server_databases("mysql")
    for hostile in HOSTILE_NAMES:
        for variable in ("MARIADB_DATABASE", "MARIADB_USER"):
            names = {"MARIADB_DATABASE": "shop", "MARIADB_USER": "shop"}
            done = run_script(script, {**env, **names, variable: hostile})
            assert done.returncode != 0, (variable, hostile)
            assert f"{variable}: use letters, digits and _ only" in done.stderr
    assert not (tmp_path / "mariadb.argv").exists(), "the client ran"
    assert server_databases("mysql") == before

    name = f"initdb_{secrets.token_hex(4)}"
    engine = admin_engine("mysql")
    try:
        with engine.connect() as connection:  # the image creates MARIADB_USER
            connection.exec_driver_sql(f"CREATE USER '{name}'@'%%'")
        names = {"MARIADB_DATABASE": name, "MARIADB_USER": name}
        password = secrets.token_urlsafe(12)
        # The local root has no password: the stand-in checks how it is sent.
        done = run_script(script, {**env, **names, "MARIADB_ROOT_PASSWORD": password})
        assert server_databases("mysql") - before == set()  # refused: wrong password
        assert password not in (tmp_path / "mariadb.argv").read_text()
        assert f"MYSQL_PWD={password}\n" in (tmp_path / "mariadb.env").read_text()
        done = run_script(script, {**env, **names})
        assert done.returncode == 0, done.stderr
        assert server_databases("mysql") - before == {name + "_test"}
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}_test`")
            connection.exec_driver_sql(f"DROP USER IF EXISTS '{name}'@'%%'")
        engine.dispose()


def test_mssql_init_command_refuses_names_and_hides_the_password(
    tmp_path: Path,
) -> None:
    """The compose db-init command and the healthcheck, with a stand-in
    sqlcmd: the passwords travel in SQLCMDPASSWORD and on stdin, never in
    argv, and a name that would need quoting, or `sa` as the application's
    login, is refused before sqlcmd runs."""
    facts = FACTS["mssql"]
    sqlcmd = stand_in(tmp_path, "sqlcmd")
    password = "Sa-passw0rd-" + secrets.token_hex(4)
    app_password = "App-passw0rd-" + secrets.token_hex(4)
    env = {
        "MSSQL_SA_PASSWORD": password,
        "DB_USER": "shop",
        "DB_PASSWORD": app_password,
    }
    for script in (backend_script("mssql", "db-init.sh"), facts["healthcheck"]):
        script = script.replace("/opt/mssql-tools18/bin/sqlcmd", str(sqlcmd))
        done = run_script(script, {**env, "DB_NAME": "shop"})
        assert done.returncode == 0, done.stderr
    argv = (tmp_path / "sqlcmd.argv").read_text()
    assert password not in argv
    assert app_password not in argv
    assert (tmp_path / "sqlcmd.env").read_text().count(
        f"SQLCMDPASSWORD={password}\n"
    ) == 2  # db-init, healthcheck
    (tmp_path / "sqlcmd.argv").unlink()
    init = backend_script("mssql", "db-init.sh").replace(
        "/opt/mssql-tools18/bin/sqlcmd", str(sqlcmd)
    )
    for variable in ("DB_NAME", "DB_USER"):
        for hostile in HOSTILE_NAMES:
            done = run_script(init, {**env, "DB_NAME": "shop", variable: hostile})
            assert done.returncode != 0, hostile
            assert f"{variable}: use letters, digits and _ only" in done.stderr
    for administrator in ("sa", "SA"):
        done = run_script(init, {**env, "DB_NAME": "shop", "DB_USER": administrator})
        assert "DB_USER: the application's own login, not sa" in done.stderr
    assert not (tmp_path / "sqlcmd.argv").exists(), "sqlcmd ran"


def test_oracle_initdb_script_quotes_names_and_hides_passwords(
    tmp_path: Path,
) -> None:
    """The initdb script with a stand-in sqlplus: SYS's password and the
    test user's reach it on stdin only, the user name checked and quoted."""
    script = backend_script("oracle", "initdb.sh")
    sqlplus = stand_in(tmp_path, "sqlplus")
    env = {
        "PATH": f"{sqlplus.parent}:/usr/bin:/bin",
        "ORACLE_PASSWORD": "Sys_" + secrets.token_hex(6),
        "APP_USER_PASSWORD": "App_" + secrets.token_hex(6),
    }
    done = run_script(script, {**env, "APP_USER": "shop"})
    assert done.returncode == 0, done.stderr
    argv = (tmp_path / "sqlplus.argv").read_text()
    assert env["ORACLE_PASSWORD"] not in argv
    assert "/nolog" in argv.splitlines()
    sent = (tmp_path / "sqlplus.stdin").read_text()
    assert f'CONNECT sys/"{env["ORACLE_PASSWORD"]}"@' in sent
    assert f'CREATE USER "SHOP_TEST" IDENTIFIED BY "{env["APP_USER_PASSWORD"]}"' in sent
    assert 'GRANT CONNECT, RESOURCE, CREATE VIEW TO "SHOP_TEST";' in sent
    (tmp_path / "sqlplus.argv").unlink()
    for hostile in [*HOSTILE_NAMES, "_x", "9x"]:
        done = run_script(script, {**env, "APP_USER": hostile})
        assert done.returncode != 0, hostile
        assert "APP_USER: use letters, digits and _ only" in done.stderr
    for password in ('pa"ss; DROP USER x', "pa\nDROP USER x"):
        for variable in ("ORACLE_PASSWORD", "APP_USER_PASSWORD"):
            done = run_script(script, {**env, "APP_USER": "shop", variable: password})
            assert done.returncode != 0, (variable, password)
    assert not (tmp_path / "sqlplus.argv").exists(), "sqlplus ran"
