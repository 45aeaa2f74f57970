"""Jinja additions for this template, loaded through `_extensions` in cookiecutter.json.

- `literal`: carries a user's answer into a generated file as a quoted string.
- `tuple_literal`: a list of strings as a Python tuple, formatted as ruff would.
- Answers given on the command line stay text: cookiecutter would otherwise
  render `{{ ... }}` in them as a template (the interactive prompts do not).
- The project folder's name never renders empty or as a path: an invalid slug
  gets a stand-in folder, so the pre-generation hook runs and explains the
  problem (cookiecutter then deletes the stand-in).
"""

from __future__ import annotations

import json
import re
import secrets

from jinja2 import Environment
from jinja2.ext import Extension

PROJECT_DIR_TEMPLATE = "{{cookiecutter.project_slug}}"
JINJA_SYNTAX = re.compile(r"\{[{%#]")
SAFE_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def literal(value: object) -> str:
    """Quote `value` as a double-quoted string that Python, TOML and JSON read back unchanged.

    Jinja's own `tojson` escapes astral characters as surrogate pairs, which
    Python and TOML do not join back into one character (an emoji in a project
    name would come out as two broken halves). The pre-generation hook rejects
    control characters, so JSON escapes are the only ones this can emit.
    """
    return json.dumps(str(value), ensure_ascii=False)


def tuple_literal(items: list[str]) -> str:
    """`items` as a Python tuple of double-quoted strings, as ruff formats one."""
    inside = ", ".join(literal(item) for item in items)
    return f"({inside},)" if len(items) == 1 else f"({inside})"


def project_dir(slug: object) -> str:
    """`slug` when it is a plain folder name, else a stand-in the hook will reject.

    Cookiecutter creates the project folder before any hook runs: an empty slug
    would make it fail with "directory already exists", and "a/b" or "../x"
    would create folders outside the project.
    """
    text = str(slug)
    if SAFE_FOLDER_NAME.fullmatch(text):
        return text
    return f"invalid-project-slug-{secrets.token_hex(4)}"


class TemplateExtension(Extension):
    """Adds the filters above, keeps typed answers as text, guards the folder name."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["literal"] = literal
        environment.filters["tuple_literal"] = tuple_literal
        environment.filters["project_dir"] = project_dir

    def preprocess(
        self, source: str, name: str | None, filename: str | None = None
    ) -> str:
        if source == PROJECT_DIR_TEMPLATE:
            return "{{ cookiecutter.project_slug | project_dir }}"
        if (
            name is None
            and JINJA_SYNTAX.search(source)
            and "cookiecutter" not in source
        ):
            # Every template string of ours names `cookiecutter`; this one is an
            # answer (`key=value` on the command line): output it as it is.
            return "{{ " + jinja_string(source) + " }}"
        return source


def jinja_string(text: str) -> str:
    """`text` as a Jinja string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
