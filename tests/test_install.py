"""A user's first minutes: `uv sync`, `pytest`, `pre-commit`, on a fresh copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import Renderer, missing, run


@pytest.fixture(scope="module")
def uv() -> str:
    path = shutil.which("uv")
    if path is None:
        missing("uv is not installed")
    return str(path)


def test_uv_sync_then_pytest_and_pre_commit(
    render: Renderer, uv: str, tmp_path: Path
) -> None:
    project = tmp_path / "my-service"
    shutil.copytree(render(), project)
    env = {"UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": "", "PYTHONPATH": ""}
    sync = run([uv, "sync", "--quiet"], project, env)
    assert sync.returncode == 0, sync.output
    tests = run(
        [uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project, env
    )
    assert tests.returncode == 0, tests.output
    assert " passed" in tests.stdout
    assert "failed" not in tests.stdout
    assert run(["git", "init", "-q"], project).returncode == 0
    install = run([uv, "run", "--no-sync", "pre-commit", "install"], project, env)
    assert install.returncode == 0, install.output
    assert run(["git", "add", "-A"], project).returncode == 0
    # The first commit from a shell with no environment on PATH: the hooks
    # find the project's tools themselves (scripts/venv-tool).
    bare = {**env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    commit = run(
        [
            "git",
            "-c",
            "user.name=New",
            "-c",
            "user.email=new@example.com",
            "commit",
            "-q",
            "-m",
            "first",
        ],
        project,
        bare,
    )
    assert commit.returncode == 0, commit.output
    for hook in ("ruff check", "ruff format", "mypy --strict", "keep .env out of git"):
        assert hook in commit.output
