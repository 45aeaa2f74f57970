"""Older cookiecutters: the oldest supported one renders the template, an older
one is refused in one line that names the minimum and a command that works.

2.7 is the minimum: 2.2 to 2.6 keep yes/no given on the command line as text
("no", which Jinja takes for true), 2.1 passes even the defaults as text.
(1.7.3, Debian's, stops before any template code runs; see the README.)
Each version is installed with uv into an environment of its own.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conftest import TEMPLATE, Renderer, missing, run

OLDEST_SUPPORTED = "2.7.0"
REFUSED = ["2.1.1", "2.6.0"]


@pytest.fixture(scope="module")
def cookiecutters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """version -> the `cookiecutter` command of an environment with that version."""
    uv = shutil.which("uv")
    if uv is None:
        missing("uv is not installed")
    root = tmp_path_factory.mktemp("cookiecutters")
    commands = {}
    for version in [OLDEST_SUPPORTED, *REFUSED]:
        venv = root / version
        env = {"UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(venv)}
        made = run(
            [str(uv), "venv", "-q", "--python", sys.executable, str(venv)], root, env
        )
        assert made.returncode == 0, made.output
        install = run(
            [str(uv), "pip", "install", "-q", f"cookiecutter=={version}"], root, env
        )
        if install.returncode != 0:
            missing(f"cannot install cookiecutter {version}: {install.output[-500:]}")
        commands[version] = str(venv / "bin" / "cookiecutter")
    return commands


ANSWERS = [
    "database_backend=postgresql",
    "use_docker_compose=no",
    "use_bigquery_analytics=yes",
]


def files(project: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in project.rglob("*")
        if p.is_file() and p.name != ".env" and "__pycache__" not in p.parts
    }


def test_the_oldest_supported_cookiecutter_renders_the_same_project(
    cookiecutters: dict[str, str], render: Renderer, tmp_path: Path
) -> None:
    result = run(
        [cookiecutters[OLDEST_SUPPORTED], "--no-input", str(TEMPLATE), *ANSWERS],
        tmp_path,
    )
    assert result.returncode == 0, result.output
    expected = render(
        database_backend="postgresql",
        use_docker_compose=False,
        use_bigquery_analytics=True,
    )
    assert files(tmp_path / "my-service") == files(expected)


@pytest.mark.parametrize("version", REFUSED)
def test_an_older_cookiecutter_is_refused_in_one_line(
    cookiecutters: dict[str, str], version: str, tmp_path: Path
) -> None:
    result = run(
        [cookiecutters[version], "--no-input", str(TEMPLATE), *ANSWERS], tmp_path
    )
    assert result.returncode == 1
    assert list(tmp_path.iterdir()) == []
    assert result.output.strip().splitlines() == [
        "Unable to load extension: this template needs cookiecutter 2.7 or newer,"
        f" not {version}; run it with a current one: uvx cookiecutter --no-input"
        f" {TEMPLATE} {' '.join(ANSWERS)} (or pipx run cookiecutter ...)"
    ]
