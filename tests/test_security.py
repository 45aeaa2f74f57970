"""Security of the generated project: static analysis, and what never overwrites or leaks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from conftest import BACKENDS, TEMPLATE, Renderer, run


@pytest.mark.parametrize("backend", BACKENDS)
def test_bandit_finds_nothing_of_medium_or_high_severity(
    render: Renderer, backend: str
) -> None:
    project = render(
        database_backend=backend, use_bigquery_analytics=backend == "mysql"
    )
    folders = [
        p.name for p in project.iterdir() if p.is_dir() and not p.name.startswith(".")
    ]
    assert {"src", "tests", "scripts"} <= set(folders)
    result = run([sys.executable, "-m", "bandit", "-r", "-q", "-ll", *folders], project)
    assert result.returncode == 0, result.output


def test_existing_folder_is_never_half_overwritten(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "my-service"
    project.mkdir()
    (project / "pyproject.toml").write_text("# mine\n")
    (project / "notes.txt").write_text("keep me\n")
    before = {p.name: p.read_text() for p in project.iterdir()}
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(tmp_path),
            overwrite_if_exists=True,
        )
    err = capfd.readouterr().err
    assert err.splitlines()[0].startswith(
        "error: project_slug: the folder 'my-service' already exists"
    )
    assert {p.name: p.read_text() for p in project.iterdir()} == before


def test_an_empty_existing_folder_may_be_used(tmp_path: Path) -> None:
    (tmp_path / "my-service").mkdir()
    cookiecutter(
        str(TEMPLATE), no_input=True, output_dir=str(tmp_path), overwrite_if_exists=True
    )
    assert (tmp_path / "my-service" / "pyproject.toml").is_file()
