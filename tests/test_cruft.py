"""`cruft create`, a template commit, then `cruft update`: clean on every backend.

`cruft update` renders the template twice, at the project's commit and at the
new one, and applies the difference to the project. Whatever differs from one
render to the next must stay out of that difference, or the update leaves
`*.rej` files behind and still reports success: the generated pyproject.toml's
`[tool.cruft] skip` lists `.env`, whose passwords the post-generation hook
draws anew on every render.

The template is a git repository made from this checkout's files as they are
on disk, so the update crosses a real commit. cruft runs through its command
line (`cruft._cli.app`) in forked worker processes, two cases at a time, with
no interpreter start per command. As in the `render` fixture, the hooks run in
the worker's process and Jinja compiles each file once. Nothing connects anywhere: git may use
local paths only, and sockets refuse.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cruft._cli import app
from typer.testing import CliRunner

from conftest import TEMPLATE, in_process_rendering, missing

#: Every backend, and both data layers in one project.
CASES: dict[str, dict[str, Any]] = {
    "postgresql-analytics": {
        "database_backend": "postgresql",
        "use_bigquery_analytics": True,
    },
    **{
        backend: {"database_backend": backend}
        for backend in ("sqlite", "postgresql", "mysql", "mssql", "oracle", "bigquery")
    },
}
#: Created in the test process before the workers fork: they inherit its
#: imports and compiled templates (it needs the most of both).
WARM_UP = "postgresql-analytics"


@dataclass(frozen=True)
class Edit:
    """A line the template commit changes, as written and as rendered."""

    template_path: str
    project_path: str
    old: str
    new: str
    rendered_old: str
    rendered_new: str


EDITS = [
    Edit(
        "{{cookiecutter.project_slug}}/README.md",
        "README.md",
        "# {{ cookiecutter.project_name }}\n",
        "# {{ cookiecutter.project_name }}, updated\n",
        "# My Service\n",
        "# My Service, updated\n",
    ),
    Edit(
        "{{cookiecutter.project_slug}}/src/{{cookiecutter.package_name}}/__init__.py",
        "src/my_service/__init__.py",
        'models and repositories."""',
        'models and repositories, updated."""',
        'models and repositories."""',
        'models and repositories, updated."""',
    ),
]
#: Git without the user's or the system's configuration, local paths only.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Template Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Template Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_ALLOW_PROTOCOL": "file",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def refuse_connection(*args: object) -> None:
    raise AssertionError(f"a connection attempt: {args[1:]}")


@contextmanager
def as_the_cli(cwd: Path) -> Iterator[None]:
    """What `cruft` started in `cwd` would see, and no network."""
    with in_process_rendering(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse_connection)
        patch.setattr(socket.socket, "connect_ex", refuse_connection)
        for name, value in GIT_ENV.items():
            patch.setenv(name, value)
        # cruft imports local_extensions from its clone of the template; a new
        # process would import it afresh.
        patch.delitem(sys.modules, "local_extensions", raising=False)
        patch.chdir(cwd)
        yield


def cruft(cwd: Path, *args: str) -> tuple[int, str]:
    """`cruft *args` in `cwd`: the exit code and the output."""
    with as_the_cli(cwd):
        result = CliRunner().invoke(app, list(args))
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\n{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, output


@dataclass
class Created:
    project: Path
    exit_code: int
    output: str
    env: bytes


def create(case: str, template: Path, root: Path) -> Created:
    """`cruft create` for one case, and the project committed to git."""
    output_dir = root / case
    output_dir.mkdir()
    exit_code, output = cruft(
        output_dir,
        "create",
        "--no-input",
        "--default-config",
        "--extra-context",
        json.dumps(CASES[case]),
        str(template),
    )
    project = output_dir / "my-service"
    if exit_code != 0:
        return Created(project, exit_code, output, b"")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Generated with cruft")
    return Created(project, exit_code, output, (project / ".env").read_bytes())


@dataclass
class Updated:
    exit_code: int
    output: str
    check: int  # `cruft check` afterwards
    env: bytes
    leftovers: list[str]  # *.rej and *.orig files
    status: list[str]  # git status, ignored and untracked files included
    texts: dict[str, tuple[str, str]]  # each edited file, before and after
    commit: str  # the template commit in .cruft.json


def update(project: Path) -> Updated:
    """`cruft update`, then `cruft check`, and what they left."""
    before = {
        edit.project_path: (project / edit.project_path).read_text(encoding="utf-8")
        for edit in EDITS
    }
    exit_code, output = cruft(project, "update", "--skip-apply-ask")
    check, check_output = cruft(project, "check")
    cruft_json = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    return Updated(
        exit_code=exit_code,
        output=output + check_output,
        check=check,
        env=(project / ".env").read_bytes(),
        leftovers=sorted(
            path.relative_to(project).as_posix()
            for path in project.rglob("*")
            if path.suffix in {".rej", ".orig"}
            and ".git" not in path.relative_to(project).parts
        ),
        status=git(
            project, "status", "--porcelain", "--ignored", "--untracked-files=all"
        ).splitlines(),
        texts={
            name: (text, (project / name).read_text(encoding="utf-8"))
            for name, text in before.items()
        },
        commit=cruft_json["commit"],
    )


def template_repository(path: Path) -> None:
    """This checkout's files (tracked or not yet, as on disk) committed in a new
    repository at `path`."""
    listed = git(
        TEMPLATE, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
    )
    for name in filter(None, listed.split("\0")):
        if (TEMPLATE / name).is_file():  # not a file deleted but not yet committed
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, path / name)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "The template")


def commit_edits(template: Path) -> str:
    """Commit EDITS to the template repository; the new commit's hash."""
    for edit in EDITS:
        path = template / edit.template_path
        text = path.read_text(encoding="utf-8")
        assert text.count(edit.old) == 1, f"{edit.template_path}: edit another line"
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    git(template, "commit", "-q", "-a", "-m", "A change to the template")
    return git(template, "rev-parse", "HEAD").strip()


@dataclass
class Journey:
    created: Created
    updated: Updated | None  # None when create failed
    head: str  # the template's last commit


@pytest.fixture(scope="module")
def journeys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Journey]:
    """Each case created at one template commit, then updated to the next."""
    if shutil.which("git") is None:
        missing("git is not installed")
    template = tmp_path_factory.mktemp("template")
    template_repository(template)
    root = tmp_path_factory.mktemp("projects")
    others = [case for case in CASES if case != WARM_UP]
    created = {WARM_UP: create(WARM_UP, template, root)}
    workers = ProcessPoolExecutor(
        max_workers=2, mp_context=multiprocessing.get_context("fork")
    )
    with workers:
        for case, result in zip(
            others,
            workers.map(create, others, [template] * len(others), [root] * len(others)),
            strict=True,
        ):
            created[case] = result
        head = commit_edits(template)
        ready = [case for case in CASES if created[case].exit_code == 0]
        projects = [created[case].project for case in ready]
        updated = dict(zip(ready, workers.map(update, projects), strict=True))
    return {case: Journey(created[case], updated.get(case), head) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_cruft_update_applies_a_template_commit_cleanly(
    journeys: dict[str, Journey], case: str
) -> None:
    created, updated = journeys[case].created, journeys[case].updated
    assert created.exit_code == 0, created.output
    assert updated is not None
    assert updated.exit_code == 0, updated.output
    assert updated.leftovers == [], updated.output
    assert updated.env == created.env, ".env changed"
    for edit in EDITS:
        before, after = updated.texts[edit.project_path]
        assert before.count(edit.rendered_old) == 1, edit.project_path
        assert after == before.replace(edit.rendered_old, edit.rendered_new)
    # Changed: the edited files and .cruft.json. Untracked: nothing. Ignored:
    # only .env.
    changed = {line[3:]: line[:2] for line in updated.status if line[:2] != "!!"}
    assert set(changed) == {".cruft.json", *(edit.project_path for edit in EDITS)}
    assert all("M" in code for code in changed.values()), updated.status
    assert [line for line in updated.status if line[:2] == "!!"] == ["!! .env"]
    assert updated.commit == journeys[case].head
    assert updated.check == 0, updated.output
