"""The pre-generation hook: every bad answer is refused in one clear line, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from conftest import TEMPLATE, Renderer


def refused(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], **answers: Any
) -> list[str]:
    """Render with `answers`, expect the hook to refuse; returns its error lines."""
    output = tmp_path / "out"
    output.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output)
        )
    stderr = capfd.readouterr().err
    assert list(output.iterdir()) == [], "the refused project left files behind"
    assert [p.name for p in tmp_path.iterdir()] == ["out"], (
        "files left outside the output"
    )
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors, stderr
    # The hook speaks first: its lines come before anything cookiecutter logs.
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in "\n".join(lines[: len(errors) + 1])
    return errors


CASES = [
    # (answers, the answer named, words the message must contain)
    ({"project_name": ""}, "project_name", "must not be empty"),
    ({"project_name": "   "}, "project_name", "must not be empty"),
    ({"project_name": "x" * 201, "project_slug": "x"}, "project_name", "at most 200"),
    # Longer than a file name may be: refused by the hook, not by the file system.
    ({"project_name": "x" * 300}, "project_name", "at most 200"),
    ({"project_slug": "x" * 300}, "project_slug", "at most 60"),
    ({"project_name": "two\nlines", "project_slug": "x"}, "project_name", "U+000A"),
    ({"project_name": "bell\x07"}, "project_name", "U+0007"),
    ({"description": "tab\there"}, "description", "U+0009"),
    ({"description": "d" * 501}, "description", "at most 500"),
    ({"author_name": ""}, "author_name", "must not be empty"),
    ({"project_slug": "My Service"}, "project_slug", "lowercase"),
    ({"project_slug": "1service"}, "project_slug", "starting with a letter"),
    ({"project_slug": "service-"}, "project_slug", "not ending with a hyphen"),
    ({"project_slug": "a" * 61}, "project_slug", "at most 60"),
    ({"project_slug": "../escape"}, "project_slug", "lowercase"),
    ({"project_slug": "sub/dir"}, "project_slug", "lowercase"),
    ({"package_name": "1pkg"}, "package_name", "not starting with a digit"),
    ({"package_name": "my-pkg"}, "package_name", "underscores"),
    ({"package_name": "Pkg"}, "package_name", "lowercase"),
    ({"package_name": "p" * 41}, "package_name", "at most 40"),
    ({"package_name": "class"}, "package_name", "keyword"),
    ({"package_name": "match"}, "package_name", "keyword"),
    ({"package_name": "json"}, "package_name", "standard library"),
    ({"package_name": "test"}, "package_name", "standard library"),
    ({"package_name": "sqlalchemy"}, "package_name", "shadow a module"),
    ({"package_name": "alembic"}, "package_name", "shadow a module"),
    ({"package_name": "psycopg"}, "package_name", "shadow a module"),
    ({"package_name": "tests"}, "package_name", "shadow a module"),
    ({"author_email": "not-an-email"}, "author_email", "not an e-mail"),
    ({"author_email": "a@b"}, "author_email", "not an e-mail"),
    ({"author_email": "a b@example.com"}, "author_email", "not an e-mail"),
    ({"author_email": "<a@example.com>"}, "author_email", "not an e-mail"),
]


@pytest.mark.parametrize(
    ("answers", "name", "words"), CASES, ids=[c[1] + ":" + c[2] for c in CASES]
)
def test_bad_answer_is_refused(
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    answers: dict[str, str],
    name: str,
    words: str,
) -> None:
    errors = refused(tmp_path, capfd, **answers)
    assert any(
        line.startswith(f"error: {name}: ") and words in line for line in errors
    ), errors


def test_every_problem_gets_its_own_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    errors = refused(
        tmp_path,
        capfd,
        project_slug="Bad Slug",
        package_name="class",
        author_email="nope",
    )
    assert [line.split(":")[1].strip() for line in errors] == [
        "project_slug",
        "package_name",
        "author_email",
    ]


def test_message_shows_what_was_given_and_what_is_accepted(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    [line] = refused(tmp_path, capfd, package_name="my-pkg")
    assert "'my-pkg'" in line
    assert "e.g. 'my_service'" in line


def test_analytics_with_bigquery_is_accepted_and_changes_nothing(
    render: Renderer,
) -> None:
    """A BigQuery project is the analytics side already: the answer cannot
    matter, so it is no error."""
    plain = render(database_backend="bigquery")
    asked = render(database_backend="bigquery", use_bigquery_analytics=True)

    def files(project: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(project)): p.read_bytes()
            for p in project.rglob("*")
            if p.is_file() and p.name != ".env" and "__pycache__" not in p.parts
        }

    assert files(asked) == files(plain)
