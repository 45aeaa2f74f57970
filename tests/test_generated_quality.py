"""The generated code passes ruff and mypy --strict as generated, for every variant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import PSYCOPG2, Renderer, run, tool

#: Variants whose Python differs: each backend, the oldest and newest Python,
#: the shortest and longest package names (line wrapping), a hostile name.
VARIANTS: list[dict[str, Any]] = [
    # Every backend; between them, the shortest and longest package names
    # (line wrapping), the newest Python (syntax), a hostile project name.
    {
        "database_backend": "sqlite",
        "project_name": "Ünï 'q' \"dq\" \\ 🎉",
        "project_slug": "uni",
    },
    {
        "database_backend": "postgresql",
        "python_version": "3.14",
        "package_name": "x" * 40,
    },
    {"database_backend": "mysql", "package_name": "p", "project_slug": "p"},
    {
        "database_backend": "mssql",
        "use_bigquery_analytics": True,
        "python_version": "3.12",
    },
    {"database_backend": "oracle"},
    {"database_backend": "bigquery", "package_name": "b" * 40, "project_slug": "bq"},
    {"database_backend": "postgresql", "use_bigquery_analytics": True},
    PSYCOPG2,
]
IDS = ["-".join(str(v) for v in variant.values())[:40] for variant in VARIANTS]


def in_background(answers: dict[str, Any]) -> bool:
    """Whether mypy checks this variant in the second pytest process
    (conftest's `background` mark), to balance the two: the BigQuery ones
    (google-cloud-bigquery makes mypy's slowest runs) and Oracle."""
    return bool(answers.get("use_bigquery_analytics")) or answers[
        "database_backend"
    ] in {"bigquery", "oracle"}


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


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(
            answers,
            marks=[pytest.mark.background] if in_background(answers) else [],
        )
        for answers in VARIANTS
    ],
    ids=IDS,
)
def test_mypy_strict(
    render: Renderer, answers: dict[str, str], mypy_cache: Path
) -> None:
    project = render(**answers)
    result = run([tool("mypy"), "--cache-dir", str(mypy_cache)], project)
    assert result.returncode == 0, result.output
    assert "Success: no issues found" in result.stdout
