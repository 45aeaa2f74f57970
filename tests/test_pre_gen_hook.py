"""The pre-generation hook: every bad answer is refused in one clear line, nothing
written, and a command to run again follows, with every answer but the refused ones."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
from cookiecutter import hooks
from cookiecutter.cli import main as cookiecutter_cli
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from conftest import TEMPLATE, Renderer, run, run_hook_here, tool

#: What the suggested command puts in place of a refused answer.
PLACEHOLDER = "<edit me>"


def suggested_command(printed: str) -> list[str]:
    """The command the hook printed after its error lines, as arguments."""
    # Split at newlines only: an answer may hold U+2028, which splitlines() splits at.
    lines = printed.split("\n")
    intro = next(i for i, line in enumerate(lines) if line.startswith("Nothing was"))
    assert PLACEHOLDER in lines[intro], lines[intro]
    return shlex.split(lines[intro + 1])


def parsed(command: list[str]) -> dict[str, Any]:
    """The suggested command's parameters, as cookiecutter's own CLI reads them."""
    assert command[0] == "cookiecutter", command
    context = cookiecutter_cli.make_context("cookiecutter", command[1:])
    return dict(context.params)


def refused(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], **answers: Any
) -> list[str]:
    """Render with `answers`, expect the hook to refuse; returns its error lines."""
    lines = rejection(tmp_path, capfd, **answers).splitlines()
    return [line for line in lines if line.startswith("error: ")]


def rejection(tmp_path: Path, capfd: pytest.CaptureFixture[str], **answers: Any) -> str:
    """Render with `answers`, expect the hook to refuse; returns what it printed."""
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
    return stderr


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
    ({"project_slug": PLACEHOLDER}, "project_slug", "placeholder"),
    ({"project_name": PLACEHOLDER}, "project_name", "placeholder"),
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
    ({"package_name": "psycopg2"}, "package_name", "shadow a module"),
    # The project's command is named after its slug: it must not replace one.
    *[
        ({"project_slug": command}, "project_slug", f"replace the {command!r} command")
        for command in (
            "python",
            "pip",
            "uv",
            "pytest",
            "alembic",
            "ruff",
            "mypy",
            "pre-commit",
        )
    ],
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


def test_the_suggested_command_repeats_every_answer_but_the_refused(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    name = 'It\'s a "3D" $HOME service'
    printed = rejection(
        tmp_path,
        capfd,
        project_name=name,
        package_name="json",
        author_email="nope",
        database_backend="postgresql",
        use_docker_compose=False,
    )
    params = parsed(suggested_command(printed))
    assert params["no_input"] is True
    assert params["template"] == str(TEMPLATE)
    assert params["output_dir"] == str(tmp_path / "out")
    assert params["extra_context"] == {
        "project_name": name,
        # project_slug is left out: derived from the name, it follows an edit.
        "package_name": PLACEHOLDER,
        "description": "A Python service with a SQLAlchemy 2 data layer.",
        "author_name": "Your Name",
        "author_email": PLACEHOLDER,
        "python_version": "3.11",
        "database_backend": "postgresql",
        "postgresql_driver": "psycopg",
        "use_bigquery_analytics": "no",
        "use_docker_compose": "no",
        "ci_provider": "github",
    }


def test_a_rejection_from_the_command_line_ends_in_a_command_that_works(
    tmp_path: Path,
) -> None:
    """The real CLI: the hook's lines, no traceback, and the suggested command,
    its placeholder filled in, generates the project (run here in-process)."""
    cookiecutter_cmd = tool("cookiecutter")
    first = run(
        [
            cookiecutter_cmd,
            "--no-input",
            str(TEMPLATE),
            "project_slug=3d-printer",
            "project_name=3D Printer",
            "use_docker_compose=no",
        ],
        tmp_path,
        {"PWD": str(tmp_path)},
    )
    assert first.returncode == 1
    assert list(tmp_path.iterdir()) == []
    lines = first.stderr.splitlines()
    assert lines[0].startswith("error: project_slug: '3d-printer' is not accepted")
    assert lines[1].startswith("Nothing was generated.")
    assert len(lines) == 3, first.stderr
    # Cookiecutter's own traceback is kept out; its last line stays.
    assert "Traceback" not in first.output
    assert "Stopping generation" not in first.output
    assert first.stdout.strip() == "Hook script failed (exit status: 1)"
    command = suggested_command(first.stderr)
    # Run from the same folder, so no --output-dir.
    assert "--output-dir" not in command
    params = parsed(
        [
            "project_slug=printer" if arg == f"project_slug={PLACEHOLDER}" else arg
            for arg in command
        ]
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hooks, "run_script", run_hook_here)
        patch.chdir(tmp_path)
        project = Path(
            cookiecutter(
                params["template"],
                no_input=params["no_input"],
                extra_context=params["extra_context"],
            )
        )
    assert project == tmp_path / "printer"
    # The package name, derived from the slug, follows the edited slug.
    assert (project / "src" / "printer").is_dir()
    assert not (project / "docker-compose.yml").exists()


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
