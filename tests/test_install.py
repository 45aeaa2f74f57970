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
    assert run(["git", "add", "-A"], project).returncode == 0
    hooks = run(
        [uv, "run", "--no-sync", "pre-commit", "run", "--all-files"], project, env
    )
    assert hooks.returncode == 0, hooks.output
    for hook in ("ruff check", "ruff format", "mypy --strict", "keep .env out of git"):
        assert hook in hooks.stdout
