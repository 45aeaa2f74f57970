"""The template under hostile answers: hundreds of generated answer sets per run.

Every accepted set must render a project whose Python compiles, whose
TOML/INI/YAML parse and whose .env reads back the answers; every rejected set
must fail with one line per bad answer, no traceback, and nothing on disk. A
rejection must also name every bad answer: the command it suggests, with the
placeholders of the named answers replaced by good ones, is accepted.

Hooks run in this process (not as subprocesses) to keep the run short.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import keyword
import os
import shutil
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pre_gen_hook import PLACEHOLDER, parsed, suggested_command

from conftest import (
    BACKENDS,
    CONTEXT,
    FACTS,
    TEMPLATE,
    compile_checked,
    in_process_rendering,
)

#: libyaml's safe loader when PyYAML has it (ten times faster).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Counts for the run's summary line (see conftest.pytest_terminal_summary).
STATS: Counter[str] = Counter()
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "500"))

GOOD = {
    "project_name": "Good Name",
    "project_slug": "good-slug",
    "package_name": "good_pkg",
    "description": "fine",
    "author_name": "Ada",
    "author_email": "ada@example.com",
    "use_bigquery_analytics": False,
}
TRICKY_TEXT = [
    "",
    " ",
    "Quote \" and ' and \\",
    "{{ 7*7 }}",
    "{% raw %}",
    "{{ cookiecutter.nope }}",
    "{# comment #}",
    "$HOME ${HOME} $$",
    "two\nlines",
    "tab\tin",
    "nul\x00",
    "é" * 200,
    "x" * 201,
    "名前 プロジェクト",
    "مشروع",
    "🎉 party 🎉",
    "line\u2028sep",
    "zero\u200bwidth",
    "\ud800",
    "bidi \u202e override",
    "../../etc/passwd",
    "C:\\Windows",
    "--",
]
EDGE_SLUGS = [
    "",
    "-",
    "a",
    "a-",
    "-a",
    "1abc",
    "abc",
    "a--b",
    "a_b",
    "A",
    "..",
    ".",
    "/",
    "a/b",
    "../x",
    "my service",
    "x" * 60,
    "x" * 61,
    "ünï",
    "sqlalchemy",
    "test",
]
EDGE_PACKAGES = [
    "",
    "_",
    "a",
    "1abc",
    "my-pkg",
    "My",
    "class",
    "match",
    "case",
    "_private",
    "type",
    "json",
    "os",
    "test",
    "sqlalchemy",
    "alembic",
    "pytest",
    "psycopg",
    "pymysql",
    "argon2",
    "dotenv",
    "tests",
    "migrations",
    "scripts",
    "src",
    "p" * 40,
    "p" * 41,
    "naïve",
    "a.b",
    "ok_name",
]
BAD_EMAILS = [
    "",
    "a",
    "a@b",
    "a b@example.com",
    "<a@example.com>",
    "a@@example.com",
    "a@example.",
    "x" * 250 + "@ex.com",
]

#: Printable text in any script (quotes, backslashes, braces, $ included):
#: what the rules accept.
printable = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Co", "Cn")), min_size=1, max_size=60
).filter(str.strip)
nasty_but_valid = st.sampled_from(
    [t for t in TRICKY_TEXT if t.strip() and len(t) <= 200 and t.isprintable()]
)
hostile_text = st.one_of(
    st.sampled_from(TRICKY_TEXT),
    st.text(max_size=40),
    st.text(min_size=180, max_size=230),
)
CHOICES = {
    "python_version": st.sampled_from(CONTEXT["python_version"]),
    "database_backend": st.sampled_from(BACKENDS),
    "use_docker_compose": st.booleans(),
    "use_bigquery_analytics": st.booleans(),
    "ci_provider": st.sampled_from(CONTEXT["ci_provider"]),
}
#: Sets meant to pass (with nasty but valid text), and sets meant to probe the
#: rules (any answer may be bad); the test checks each by its outcome alone.
friendly = st.fixed_dictionaries(
    {
        "project_name": st.one_of(printable, nasty_but_valid),
        "description": st.one_of(printable, nasty_but_valid),
        "author_name": st.one_of(printable, nasty_but_valid),
        "author_email": st.emails(),
        "project_slug": st.from_regex(r"[a-z][a-z0-9-]{0,30}[a-z0-9]", fullmatch=True),
        "package_name": st.from_regex(r"[a-z][a-z0-9_]{2,30}", fullmatch=True).filter(
            lambda name: (
                not keyword.iskeyword(name) and name not in sys.stdlib_module_names
            )
        ),
        **CHOICES,
    }
)
probing = st.fixed_dictionaries(
    {
        "project_name": st.one_of(printable, hostile_text),
        "description": st.one_of(printable, hostile_text),
        "author_name": st.one_of(printable, hostile_text),
        "author_email": st.one_of(
            st.emails(), st.sampled_from(BAD_EMAILS), st.text(max_size=20)
        ),
        **CHOICES,
    },
    optional={
        "project_slug": st.one_of(
            st.sampled_from(EDGE_SLUGS),
            st.from_regex(r"[a-z][a-z0-9-]{0,64}", fullmatch=True),
        ),
        "package_name": st.one_of(
            st.sampled_from(EDGE_PACKAGES),
            st.from_regex(r"[a-z_][a-z0-9_]{0,44}", fullmatch=True),
            st.sampled_from(sorted(keyword.kwlist + list(sys.stdlib_module_names))),
        ),
    },
)
answers = st.one_of(friendly, probing)


def generate(
    answers: dict[str, Any], output: Path
) -> tuple[Path | None, list[str], str]:
    """Render in-process: (project or None, error lines, everything printed)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            project = cookiecutter(
                str(TEMPLATE),
                no_input=True,
                extra_context=answers,
                output_dir=str(output),
            )
        except FailedHookException:
            project = None
    printed = stderr.getvalue()
    errors = [line for line in printed.splitlines() if line.startswith("error: ")]
    return (Path(project) if project else None), errors, printed


def check_project(project: Path, given: dict[str, Any]) -> None:
    # This Python can compile code for its own version and older ones only.
    runnable = sys.version_info >= tuple(map(int, given["python_version"].split(".")))
    for path in project.rglob("*"):
        if path.suffix == ".py" and runnable:
            compile_checked(
                path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True
            )
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text(encoding="utf-8"))
        elif path.suffix in {".yml", ".yaml"}:
            yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        elif path.suffix == ".ini":
            configparser.ConfigParser(interpolation=None).read(path)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == given["description"]
    assert pyproject["project"]["authors"] == [
        {"name": given["author_name"], "email": given["author_email"]}
    ]
    env = dotenv_values(project / ".env", interpolate=False)
    facts = FACTS[given["database_backend"]]
    package = next(p.name for p in (project / "src").iterdir())
    if facts["relational"]:
        assert env["DB_TYPE"] == given["database_backend"]
        assert env["DB_NAME"] == (facts["default_db_name"] or package)
    if given["use_bigquery_analytics"] or not facts["relational"]:
        assert env["BQ_DATASET_ID"] == package
    assert all(env[key] for key in env if key.endswith("_PASSWORD"))


@pytest.fixture(scope="module")
def output_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.mark.background
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(answers=answers)
def test_hostile_answers(answers: dict[str, Any], output_root: Path) -> None:
    STATS["tried"] += 1
    base = output_root / f"example{STATS['tried']}"
    output = base / "out"
    output.mkdir(parents=True)
    with in_process_rendering():
        project, errors, printed = generate(answers, output)
        if project is not None:
            STATS["accepted"] += 1
            assert errors == [], printed
            check_project(project, answers)
        else:
            STATS["rejected"] += 1
            assert errors, printed
            assert printed.splitlines()[0].startswith("error: "), printed
            assert "Traceback" not in printed
            assert list(output.iterdir()) == [], "a rejected set left files"
            assert [p.name for p in base.iterdir()] == ["out"], "files left outside"
            named = {line.split(":", 2)[1].strip() for line in errors}
            assert named <= set(GOOD) | {
                "python_version",
                "database_backend",
                "ci_provider",
            }
            # The command printed after the errors, with each placeholder
            # replaced by a good answer, must be accepted.
            suggested = parsed(suggested_command(printed))["extra_context"]
            fixed = {
                name: GOOD[name] if value == PLACEHOLDER else value
                for name, value in suggested.items()
            }
            assert {name for name in suggested if suggested[name] == PLACEHOLDER} == (
                named
            )
            # Every other answer is repeated as given (a derived one may be
            # left out, to be derived again).
            for name, value in answers.items():
                if name in named or name not in suggested:
                    assert name in {*named, "project_slug", "package_name"}, name
                    continue
                given_text = (
                    ("yes" if value else "no") if value in {True, False} else value
                )
                assert suggested[name] == given_text, name
            again = base / "fixed"
            again.mkdir()
            project, errors, printed = generate(fixed, again)
            assert project is not None, (
                f"named {sorted(named)}, still refused: {errors}"
            )
    shutil.rmtree(base)
