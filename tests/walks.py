"""The commands a user meets in a generated project, read as they are written.

`readme_steps` reads the shell blocks of a README, in order; `github_steps`
the `run:` steps of the GitHub workflow's test job; `gitlab_steps` the GitLab
job's script. `compose_creates` says what a `docker compose` line brings into
being on the server, by the rules of the images the compose file runs.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conftest import backend_script

FENCE = re.compile(r"^```(\w*)$")
SHELLS = {"bash", "sh", "shell", "console"}
GITHUB_EXPRESSION = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}")


@dataclass(frozen=True)
class Step:
    """One command line, where it came from, and what it needs."""

    command: str
    where: str
    alternative: str | None = None  # the line's "# or: ..." form
    env: dict[str, str] = field(default_factory=dict)  # a CI step's own variables

    @property
    def words(self) -> list[str]:
        return shlex.split(self.command)

    @property
    def compose(self) -> bool:
        return self.words[:2] == ["docker", "compose"]

    def runs(self, tool: str) -> bool:
        """Whether the line runs `tool` (e.g. "alembic", "pytest") anywhere."""
        return bool(re.search(rf"(^|[\s&;|]){re.escape(tool)}(\s|$)", self.command))


def split_comment(line: str) -> tuple[str, str]:
    """A shell line's command and its trailing comment (quotes respected)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip(), line[index + 1 :].strip()
    return line.rstrip(), ""


def readme_steps(readme: str) -> list[Step]:
    """Every command of the README's shell blocks, in reading order."""
    steps: list[Step] = []
    section, language = "", None
    for line in readme.splitlines():
        stripped = line.strip()
        if language is None:
            if line.startswith("#"):
                section = line.lstrip("#").strip()
            fence = FENCE.match(stripped)
            if fence:
                language = fence.group(1)
            continue
        if stripped == "```":
            language = None
        elif language in SHELLS and stripped:
            command, comment = split_comment(stripped)
            if command:
                alternative = comment[3:].strip() if comment.startswith("or:") else None
                steps.append(Step(command, f"README, {section}", alternative))
    return steps


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def github_steps(workflow: Any, name: str = "test") -> list[Step]:
    """The `run:` steps of job `name`, each with its own `env:` resolved."""
    job = workflow["jobs"][name]
    variables = {k: str(v) for k, v in job.get("env", {}).items()}
    steps = []
    for number, step in enumerate(job["steps"], 1):
        if "run" in step:
            env = {
                name: GITHUB_EXPRESSION.sub(lambda m: variables[m.group(1)], str(value))
                for name, value in step.get("env", {}).items()
            }
            where = f"GitHub workflow, {name} step {number}"
            steps.append(Step(step["run"], where, env=env))
    return steps


def gitlab_steps(pipeline: Any, name: str = "test") -> list[Step]:
    return [
        Step(line, f"GitLab job {name}, script line {number}")
        for number, line in enumerate(pipeline[name]["script"], 1)
    ]


@dataclass(frozen=True)
class Login:
    """What a database image creates from its environment: a login with a
    password, owning some databases (on Oracle: schemas, i.e. users)."""

    user: str
    password: str
    databases: tuple[str, ...]


def app_login(facts: dict[str, Any], environment: dict[str, str]) -> Login | None:
    """The application's login that `environment` (the variables named as in
    the compose file's `db` service) describes, or None if it names none."""
    variable = {setting: name for name, setting in facts["container_env"].items()}
    if "DB_USER" not in variable:  # SQL Server: only its administrator, `sa`
        return None
    owned = "DB_NAME" if facts["test_database_part"] == "database" else "DB_USER"
    return Login(
        environment[variable["DB_USER"]],
        environment[variable["DB_PASSWORD"]],
        (environment[variable[owned]],),
    )


def image_login(facts: dict[str, Any], environment: dict[str, str]) -> Login | None:
    """The login the backend's image itself creates from `environment`, or
    None if it makes none but its administrator. PostgreSQL's makes only its
    superuser: the initdb script (and CI, running it) creates the
    application's role from the APP_DB_* variables."""
    variable = {setting: name for name, setting in facts["container_env"].items()}
    if variable.get("DB_USER", "").startswith("APP_DB_"):
        return None
    return app_login(facts, environment)


def script_creates(facts: dict[str, Any], environment: dict[str, str]) -> set[str]:
    """The databases (Oracle: users) docker/initdb's script creates from
    `environment`, besides the image's."""
    login = app_login(facts, environment)
    assert login is not None
    names = {name + "_test" for name in login.databases}
    if image_login(facts, environment) is None:  # the script makes the login
        names |= set(login.databases)
    return names


def compose_creates(
    step: Step, compose: Any, facts: dict[str, Any], dotenv: dict[str, str]
) -> tuple[Login | None, set[str]]:
    """The login and the databases (Oracle: users) that `step`, a `docker
    compose up` or `run` line, creates: its services and the services they
    depend on, on a fresh volume."""
    words = step.words
    assert words[2] in {"up", "run"}, f"{step.where}: no stand-in for {step.command!r}"
    wanted = [word for word in words[3:] if not word.startswith("-")]
    started: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in started:
            started.add(name)
            wanted.extend(compose["services"][name].get("depends_on", {}))
    owned = "DB_NAME" if facts["test_database_part"] == "database" else "DB_USER"
    created: set[str] = set()
    login = None
    for name in started:
        service = compose["services"][name]
        if service["image"] != facts["image"]:
            continue
        if "entrypoint" in service:  # db-init
            script = backend_script(facts["name"], "db-init.sh")
            assert service["entrypoint"][-1] == script.replace("$", "$$")
            created |= {dotenv[owned], dotenv[owned] + "_test"}
            continue
        environment = {
            variable: dotenv[setting]
            for variable, setting in facts["container_env"].items()
            if setting.startswith("DB_")
        }
        login = image_login(facts, environment)
        if login is not None:
            created |= set(login.databases)
        if f"./docker/initdb:{facts['initdb_dir']}:ro" in service.get("volumes", []):
            created |= script_creates(facts, environment)
            login = login or app_login(facts, environment)
    return login, created
