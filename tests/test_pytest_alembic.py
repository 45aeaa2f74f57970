"""pytest-alembic's built-in migration tests pass on a generated project.

pytest-alembic hands env.py an engine (not a connection), on SQLite and on a
server. It is not a dependency of the generated projects, and its 0.13.1
needs pytest below 9.2, so it runs in an environment of its own, made with uv.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Renderer, Server, missing, run

#: The four built-in tests, and an engine from ALEMBIC_TEST_URL (default: SQLite).
TESTS = """
import os

import pytest
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import create_engine


@pytest.fixture
def alembic_engine():
    return create_engine(os.environ.get("ALEMBIC_TEST_URL") or "sqlite://")
"""
BUILT_IN = {
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
}


@pytest.fixture(scope="module")
def pytest_alembic_python(
    render: Renderer, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A Python with pytest-alembic, pytest < 9.2 and the PostgreSQL project."""
    uv = shutil.which("uv")
    if uv is None:
        missing("uv is not installed")
    venv = tmp_path_factory.mktemp("pytest-alembic") / "venv"
    env = {"UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(venv)}
    made = run(
        [str(uv), "venv", "-q", "--python", sys.executable, str(venv)], venv.parent, env
    )
    assert made.returncode == 0, made.output
    project = render(database_backend="postgresql")
    install = run(
        [
            str(uv),
            "pip",
            "install",
            "-q",
            "pytest-alembic==0.13.1",
            "pytest<9.2",
            "-e",
            str(project),
        ],
        venv.parent,
        env,
    )
    assert install.returncode == 0, install.output
    return str(venv / "bin" / "python")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_pytest_alembic_built_in_tests(
    render: Renderer,
    server_factory: Callable[[str], Server],
    pytest_alembic_python: str,
    database: str,
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    shutil.copytree(render(database_backend="postgresql"), project)
    (project / "tests" / "test_pytest_alembic.py").write_text(TESTS)
    env = {"PYTHONDONTWRITEBYTECODE": "1", "CI": "", "ALEMBIC_TEST_URL": ""}
    if database == "postgresql":
        server = server_factory("postgresql")
        name = f"{server.database}_alembic_test"
        server.admin(f"CREATE DATABASE {name} OWNER {server.user}")
        env["ALEMBIC_TEST_URL"] = server.url(name).render_as_string(hide_password=False)
    # Only pytest-alembic's tests, without the project's own fixtures.
    result = run(
        [
            pytest_alembic_python,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-v",
            "--noconftest",
            "tests/test_pytest_alembic.py",
        ],
        project,
        env,
    )
    assert result.returncode == 0, result.output
    passed = {
        line.split("::")[1].split()[0]
        for line in result.stdout.splitlines()
        if " PASSED" in line
    }
    assert passed == BUILT_IN
