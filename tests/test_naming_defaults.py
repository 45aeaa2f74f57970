"""The slug and package name cookiecutter.json derives from any project name
pass the pre-generation hook: no default is refused after all the questions.

In-process: the two defaults are rendered as cookiecutter renders them (its
Jinja environment, this template's extension), and judged by the hook's own
`problems()`, rendered from hooks/pre_gen_project.py.
"""

from __future__ import annotations

import keyword
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.environment import StrictEnvironment
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment

from conftest import CONTEXT, TEMPLATE, Renderer

GOOD = {
    "project_name": "Good Name",
    "project_slug": "good-name",
    "package_name": "good_name",
    "description": "fine",
    "author_name": "Ada",
    "author_email": "ada@example.com",
    "python_version": "3.11",
    "database_backend": "sqlite",
    "use_bigquery_analytics": False,
    "use_docker_compose": True,
    "ci_provider": "github",
}


@pytest.fixture(scope="module")
def env() -> Environment:
    """Cookiecutter's Jinja environment with this template's extension."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(TEMPLATE))  # as cookiecutter does for extensions
        return StrictEnvironment(context={"cookiecutter": CONTEXT})


@pytest.fixture(scope="module")
def hook_problems(env: Environment) -> Callable[[dict[str, Any]], list[str]]:
    """The pre-generation hook's `problems(answers)`."""
    context = {
        **GOOD,
        "_python_versions": CONTEXT["_python_versions"],
        "_backends": CONTEXT["_backends"],
        "_template": str(TEMPLATE),
        "_checkout": None,
        "_output_dir": "/tmp",
    }
    source = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "pre_gen_project"}
    rendered = env.from_string(source).render(cookiecutter=context)
    exec(compile(rendered, "pre_gen_project.py", "exec"), namespace)
    return namespace["problems"]  # type: ignore[no-any-return]


def defaults(env: Environment, name: str, slug: str | None = None) -> tuple[str, str]:
    """The default slug for `name`, and the default package name for `slug`
    (when the user typed one) or for the default slug."""
    derived = env.from_string(CONTEXT["project_slug"]).render(
        cookiecutter={"project_name": name}
    )
    package = env.from_string(CONTEXT["package_name"]).render(
        cookiecutter={"project_slug": derived if slug is None else slug}
    )
    return derived, package


#: Names at the edges: digits first, any script, no letters at all, the
#: names the package name must not take, too long for anything.
EDGE_NAMES = [
    "3D Printer Service",
    "Сервис заказов",
    "注文サービス",
    "🚀🚀",
    "",
    " ",
    "---",
    "123",
    "9" * 80,
    "_private",
    "x" * 300,
    "a " * 150,
    "Ünïcödé Café",
    "İstanbul ß ﬁ ½",
    "٣ arabic digit",
    *sorted(keyword.kwlist + keyword.softkwlist),
    *sorted(sys.stdlib_module_names),
    "sqlalchemy",
    "psycopg binary",
    "pre-commit",
    "typing extensions",
    "tests",
    "migrations analytics",
    "test",
]


@settings(max_examples=400, deadline=None)
@given(
    name=st.one_of(st.sampled_from(EDGE_NAMES), st.text(max_size=300)),
    typed_slug=st.one_of(st.none(), st.sampled_from(EDGE_NAMES), st.text()),
)
def test_every_name_gets_defaults_the_hook_accepts(
    env: Environment,
    hook_problems: Callable[[dict[str, Any]], list[str]],
    name: str,
    typed_slug: str | None,
) -> None:
    slug, package = defaults(env, name, typed_slug)
    assert hook_problems({**GOOD, "project_slug": slug, "package_name": package}) == []


@pytest.mark.parametrize(
    ("name", "slug", "package"),
    [
        ("My Service", "my-service", "my_service"),
        (
            "3D Printer Service",
            "project-3d-printer-service",
            "project_3d_printer_service",
        ),
        ("Сервис заказов", "servis-zakazov", "servis_zakazov"),
        ("🚀🚀", "my-project", "my_project"),
        ("JSON", "json", "json_app"),
        ("class", "class", "class_app"),
        ("x" * 300, "x" * 60, "x" * 40),
    ],
)
def test_defaults_read_like_the_name(
    env: Environment, name: str, slug: str, package: str
) -> None:
    assert defaults(env, name) == (slug, package)


def test_a_name_in_any_script_is_spelled_in_ascii(env: Environment) -> None:
    slug, package = defaults(env, "注文サービス")
    assert slug.isascii(), slug
    assert slug != "my-project", "fell back as if the name had no letters"
    assert package == slug.replace("-", "_")


def test_a_name_starting_with_a_digit_generates(render: Renderer) -> None:
    """Reported: the defaults of "3D Printer Service" were refused after all
    the questions."""
    project = render(project_name="3D Printer Service")
    assert project.name == "project-3d-printer-service"
    assert (project / "src" / "project_3d_printer_service" / "__init__.py").is_file()


def test_the_analytics_readme_says_what_the_two_databases_are(
    render: Renderer,
) -> None:
    """It spoke of "the guide's hybrid architecture", a guide the user never saw."""
    readme = (
        Path(render(database_backend="postgresql", use_bigquery_analytics=True))
        / "README.md"
    ).read_text(encoding="utf-8")
    words = " ".join(readme.split())
    assert "guide" not in words.lower()
    assert (
        "PostgreSQL, the operational database, keeps the application's own data"
        in words
    )
