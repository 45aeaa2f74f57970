"""The post-generation hook: cleanup, .env, and a smoke test that catches broken output."""

from __future__ import annotations

import re
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

import environments
from conftest import CI, CONTEXT, TEMPLATE, Renderer, run


def env_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key] = value
    return values


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_env_file_is_private_complete_and_random(
    render: Renderer, backend: str
) -> None:
    project = render(database_backend=backend)
    env, example = project / ".env", project / ".env.example"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    values, defaults = env_values(env), env_values(example)
    assert set(values) == set(defaults)
    for key, value in values.items():
        if key.endswith("_PASSWORD"):
            assert len(value) >= 32, key
            assert value not in {defaults[key], "change-me"}
            assert value.replace("-", "").replace("_", "").isalnum(), (
                "must need no quoting"
            )
        else:
            assert value == defaults[key], key
    assert values.get("DB_TYPE") == backend


def test_oracle_passwords_fit_19c(render: Renderer) -> None:
    # Oracle before 23ai takes passwords of 30 bytes at most; an
    # unquoted IDENTIFIED BY needs a letter first, then letters, digits and _.
    project = render(database_backend="oracle")
    values, defaults = (
        env_values(project / ".env"),
        env_values(project / ".env.example"),
    )
    passwords = {
        key: value for key, value in values.items() if key.endswith("_PASSWORD")
    }
    assert set(passwords) == {"DB_PASSWORD", "DB_ROOT_PASSWORD"}
    for key, value in passwords.items():
        assert len(value.encode()) == 30, key
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{29}", value), key
        assert value != defaults[key], key
    assert passwords["DB_PASSWORD"] != passwords["DB_ROOT_PASSWORD"]


def test_each_project_gets_its_own_password(render: Renderer) -> None:
    first = env_values(render(database_backend="postgresql") / ".env")["DB_PASSWORD"]
    second = env_values(
        render(database_backend="postgresql", project_slug="other") / ".env"
    )
    assert first != second["DB_PASSWORD"]


def test_env_file_is_ignored_by_git(render: Renderer) -> None:
    project = render(database_backend="postgresql")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    checkout = project.parent / "git-check"
    shutil.copytree(project, checkout)
    assert run(["git", "init", "-q"], checkout).returncode == 0
    assert run(["git", "add", "-A"], checkout).returncode == 0
    tracked = run(["git", "ls-files"], checkout).stdout.split()
    assert ".env" not in tracked
    assert ".env.example" in tracked
    password = env_values(project / ".env")["DB_PASSWORD"]
    for name in tracked:
        assert password not in (checkout / name).read_text(encoding="utf-8"), name


def test_no_bytecode_or_caches_left_behind(render: Renderer) -> None:
    project = render()
    leftovers = [
        p for p in project.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"
    ]
    assert leftovers == []


def broken_template(tmp_path: Path, path: str, edit: Callable[[str], str]) -> Path:
    """A copy of the template with the file at `path` (in the project) changed."""
    template = tmp_path / "template"
    ignore = shutil.ignore_patterns(
        ".venv", ".git", ".tools", ".hypothesis", "tests", "bench"
    )
    shutil.copytree(TEMPLATE, template, ignore=ignore)
    target = template / "{{cookiecutter.project_slug}}" / path
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    return template


def refused_by_smoke_test(
    template: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> str:
    output = tmp_path / "out"
    with pytest.raises(FailedHookException):
        cookiecutter(str(template), no_input=True, output_dir=str(output))
    assert not (output / "my-service").exists(), "the broken project was left behind"
    return capfd.readouterr().err


def test_smoke_test_failure_removes_the_project(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    template = broken_template(
        tmp_path,
        "src/{{cookiecutter.package_name}}/security.py",
        lambda text: text + "\ndef broken(:\n",
    )
    err = refused_by_smoke_test(template, tmp_path, capfd)
    assert err.splitlines()[0].startswith(
        "error: generated project is broken: src/my_service/security.py: does not parse"
    ), err


def test_smoke_test_catches_unrendered_template_syntax(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    template = broken_template(
        tmp_path,
        "README.md",
        lambda text: "{% raw %}{{ cookiecutter.project_name }}{% endraw %}\n" + text,
    )
    err = refused_by_smoke_test(template, tmp_path, capfd)
    assert "README.md: template syntax left unrendered" in err, err


@pytest.fixture(scope="session")
def bare_cookiecutter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with cookiecutter and nothing else: how most users run templates."""
    uv = shutil.which("uv")
    if uv is None:
        if CI:
            pytest.fail("uv is needed to build an environment without SQLAlchemy")
        pytest.skip("uv is not installed")
    folder = tmp_path_factory.mktemp("bare") / "venv"
    return environments.bare_cookiecutter(uv, sys.executable, folder)


def test_generation_is_the_same_without_sqlalchemy(
    bare_cookiecutter: Path, tmp_path: Path
) -> None:
    """The hook checks the same things whatever cookiecutter's Python has:
    a bare cookiecutter makes the project this environment makes."""
    python = bare_cookiecutter.parent / "python"
    assert run([str(python), "-c", "import sqlalchemy"], tmp_path).returncode != 0
    answers = ["database_backend=mysql", "use_bigquery_analytics=yes"]
    outputs = {}
    for name, command in (
        ("bare", [str(bare_cookiecutter)]),
        ("full", [sys.executable, "-m", "cookiecutter"]),
    ):
        output = tmp_path / name
        result = run(
            [*command, "--no-input", "-o", str(output), str(TEMPLATE), *answers],
            tmp_path,
            env={"PYTHONPATH": ""},
        )
        assert result.returncode == 0, result.output
        outputs[name] = output / "my-service"
    assert tree(outputs["bare"]) == tree(outputs["full"])


def tree(project: Path) -> dict[str, bytes]:
    """Every file of `project` but .env (its passwords differ each time)."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and path.name != ".env"
    }


def test_too_old_a_python_is_said_not_hidden(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A project for a newer Python than cookiecutter's: its files cannot be
    compiled here, and the hook says so instead of passing in silence."""
    running = sys.version_info[:2]
    newer_ones = [
        v
        for v in CONTEXT["_python_versions"]
        if tuple(map(int, v.split("."))) > running
    ]
    if not newer_ones:
        pytest.skip("this Python is the newest a project may require")
    newer = newer_ones[0]
    cookiecutter(
        str(TEMPLATE),
        no_input=True,
        output_dir=str(tmp_path),
        extra_context={"python_version": newer},
    )
    out = capfd.readouterr().out
    assert "note: the generated .py files were not compiled" in out
    assert f"the project needs {newer} or newer" in out
