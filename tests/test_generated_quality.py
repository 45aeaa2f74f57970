"""The generated code passes ruff and mypy --strict as generated, for every variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import BACKENDS, Renderer, run, tool

#: Variants whose Python differs: each backend, the oldest and newest Python,
#: the shortest and longest package names (line wrapping), a hostile name.
VARIANTS = [
    *({"database_backend": backend} for backend in BACKENDS),
    {"database_backend": "postgresql", "python_version": "3.14"},
    {"database_backend": "mysql", "package_name": "p", "project_slug": "p"},
    {
        "database_backend": "postgresql",
        "package_name": "x" * 40,
        "project_slug": "long",
    },
    {
        "database_backend": "sqlite",
        "project_name": "Ünï 'q' \"dq\" \\ 🎉",
        "project_slug": "uni",
    },
]
IDS = ["-".join(str(v) for v in variant.values())[:40] for variant in VARIANTS]


@pytest.mark.parametrize("answers", VARIANTS, ids=IDS)
def test_ruff_check(render: Renderer, answers: dict[str, str]) -> None:
    project = render(**answers)
    result = run([tool("ruff"), "check", "--no-cache", "."], project)
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("answers", VARIANTS, ids=IDS)
def test_ruff_format(render: Renderer, answers: dict[str, str]) -> None:
    project = render(**answers)
    result = run([tool("ruff"), "format", "--check", "--no-cache", "."], project)
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("answers", VARIANTS, ids=IDS)
def test_mypy_strict(
    render: Renderer, answers: dict[str, str], mypy_cache: Path
) -> None:
    project = render(**answers)
    result = run([tool("mypy"), "--cache-dir", str(mypy_cache)], project)
    assert result.returncode == 0, result.output
    assert "Success: no issues found" in result.stdout
