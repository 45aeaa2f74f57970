"""Jinja additions for this template, loaded through `_extensions` in cookiecutter.json.

- `backend`: the chosen backend's facts (`_backends` in cookiecutter.json),
  with what is derived from the answers once: `name`, and `analytics` (the
  project has a BigQuery side: BigQuery alone, or analytics beside another),
  `db_init` (a server whose image runs no init scripts).
  Every template reads `{%- set db = cookiecutter | backend -%}`.
- `pre_gen_context`, `post_gen_context`: what each hook needs, rendered into
  its one line of template syntax as JSON, so that the hooks are plain Python.
- `literal`: carries a user's answer into a generated file as a quoted string.
- `tuple_literal`: a list of strings as a Python tuple, formatted as ruff would.
- `as_slug`, `as_package_name`: the defaults cookiecutter.json derives from
  the project name, valid for every name in any script (the rules are
  `NAMING` below; the pre-generation hook enforces them).
- Importing this module refuses, in one line, a cookiecutter older than 2.7
  (those keep yes/no given on the command line as text), and keeps
  cookiecutter's traceback out of a rejection by the pre-generation hook,
  which has said why already.
- Answers given on the command line stay text: cookiecutter would otherwise
  render `{{ ... }}` in them as a template (the interactive prompts do not).
  Before generation starts, only this template's own strings are rendered:
  the values in cookiecutter.json and the hooks.
- The project folder's name never renders empty or as a path: an invalid slug
  gets a stand-in folder, so the pre-generation hook runs and explains the
  problem (cookiecutter then deletes the stand-in).
"""

from __future__ import annotations

import json
import keyword
import logging
import re
import secrets
import shlex
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import cookiecutter
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import apply_overwrites_to_context
from jinja2 import Environment
from jinja2.ext import Extension
from slugify import slugify

#: The oldest cookiecutter that renders this template: 2.7 is the first to turn
#: yes/no given on the command line into booleans (2.2 to 2.6 pass the text
#: "no", which Jinja takes for true; 2.1 passes even the defaults as text).
MINIMUM_COOKIECUTTER = "2.7"


def reads_yes_no() -> bool:
    """Whether this cookiecutter turns a yes/no answer given as text into a boolean.

    Asked of cookiecutter itself rather than of its version number: 2.7.0
    reports itself as 2.6.0 in `cookiecutter.__version__`.
    """
    answers = {"flag": False}
    apply_overwrites_to_context(answers, {"flag": "no"})
    return answers["flag"] is False


def upgrade_hint(version: str, argv: list[str]) -> str:
    """One line: the minimum, and the command line again with a current cookiecutter."""
    command = Path(argv[0]).name if argv else ""
    args = shlex.join(argv[1:]) if command.startswith("cookiecutter") else "<template>"
    return (
        f"this template needs cookiecutter {MINIMUM_COOKIECUTTER} or newer, not {version};"
        f" run it with a current one: uvx cookiecutter {args}"
        " (or pipx run cookiecutter ...)"
    )


def installed_version() -> str:
    try:
        return metadata.version("cookiecutter")
    except metadata.PackageNotFoundError:  # run from a source tree
        return cookiecutter.__version__


if not reads_yes_no():
    # Cookiecutter turns an ImportError from an extension into one line:
    # "Unable to load extension: <this message>".
    raise ImportError(upgrade_hint(installed_version(), sys.argv))

TEMPLATE_DIR = Path(__file__).resolve().parent
PROJECT_DIR_TEMPLATE = "{{cookiecutter.project_slug}}"
JINJA_SYNTAX = re.compile(r"\{[{%#]")
SAFE_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

#: What the pre-generation hook accepts as project_slug and package_name
#: (rendered into the hook; the defaults below are derived to pass it).
#: The package name also names the database ("<name>_test" must fit
#: PostgreSQL's 63 bytes) and keeps imports on one line.
MAX_SLUG = 60
MAX_PACKAGE = 40
SLUG = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")


@cache
def template_context() -> dict[str, Any]:
    """cookiecutter.json, as this template states it."""
    text = (TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def driver_import_names() -> set[str]:
    """The import names of every backend's drivers (cookiecutter.json)."""
    names = set()
    for facts in template_context()["_backends"].values():
        for variant in [facts, *facts.get("drivers", {}).values()]:
            names.add(variant.get("import_name", facts["import_name"]))
        names.update(facts.get("optional_dependencies", {}))  # named as imported
    return names


#: Import names of what the generated project installs (and so must not
#: shadow), plus the folders that sit next to the package.
TAKEN_IMPORT_NAMES = frozenset({
    "alembic", "argon2", "dotenv", "mako", "markupsafe", "sqlalchemy", "greenlet",
    "typing_extensions", "cffi", "cryptography", "pytest", "_pytest", "pluggy",
    "iniconfig", "packaging", "mypy", "ruff", "pre_commit", "hatchling",
    "psycopg_binary", "google", "tests", "migrations", "migrations_analytics",
    "scripts", "src", *driver_import_names(),
})  # fmt: skip
#: Commands a generated project's environment installs (and pip, uv, which
#: users run beside them): the project's own command, named after its slug,
#: must not replace one.
TAKEN_COMMANDS = frozenset({
    "python", "python3", "pip", "pip3", "uv", "uvx", "pytest",
    "alembic", "ruff", "mypy", "mypyc", "dmypy", "stubgen", "stubtest",
    "pre-commit", "identify-cli", "nodeenv", "virtualenv", "dotenv",
    "mako-render", "pygmentize", "cffi-gen-src", "activate", "deactivate",
    "cookiecutter", "cruft",
})  # fmt: skip
NAMING = {
    "max_slug": MAX_SLUG,
    "max_package": MAX_PACKAGE,
    "slug_pattern": SLUG.pattern,
    "package_pattern": PACKAGE.pattern,
    "taken_import_names": sorted(TAKEN_IMPORT_NAMES),
    "taken_commands": sorted(TAKEN_COMMANDS),
}
#: The slug for a name with no letter or digit in any script (emoji only), and
#: the word put before one that starts with a digit ("3D Printer Service").
FALLBACK_SLUG = "my-project"
DIGIT_PREFIX = "project"


def as_slug(name: object) -> str:
    """A valid project_slug for any project name: "Сервис заказов" -> "servis-zakazov".

    Letters of any script are spelled in ASCII (python-slugify, which
    cookiecutter itself uses), cut at a word boundary to MAX_SLUG characters;
    a slug that would name a command of the environment ("pytest") gets
    "-project" added.
    """
    slug = slugify(str(name), max_length=MAX_SLUG, word_boundary=True)
    if slug and not slug[0].isalpha():
        slug = slugify(
            f"{DIGIT_PREFIX}-{slug}", max_length=MAX_SLUG, word_boundary=True
        )
    if slug in TAKEN_COMMANDS:  # "Python" would name its command `python`
        slug = f"{slug}-{DIGIT_PREFIX}"
    return slug if SLUG.fullmatch(slug) else FALLBACK_SLUG


def package_problem(name: str) -> str | None:
    """Why `name` cannot be the package name, or None when it can."""
    if not PACKAGE.fullmatch(name) or len(name) > MAX_PACKAGE:
        return "format"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "keyword"
    if name in sys.stdlib_module_names or name == "test":
        return "standard library"
    if name in TAKEN_IMPORT_NAMES:
        return "taken"
    return None


def as_package_name(slug: object) -> str:
    """A valid package_name for any slug: "my-service" -> "my_service".

    A name that would shadow a module (json, sqlalchemy, tests) or is a keyword
    gets "_app" added: "json" -> "json_app".
    """
    name = as_slug(slug).replace("-", "_")[:MAX_PACKAGE].rstrip("_")
    if package_problem(name):
        name = name[: MAX_PACKAGE - len("_app")].rstrip("_") + "_app"
    return name


def backend(context: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of the backend `context` (the answers) chose, and its flags."""
    name = context["database_backend"]
    # A backend states what differs from `_backend_defaults`.
    facts = {**context["_backend_defaults"], **context["_backends"][name]}
    # A backend with a choice of drivers (`<name>_driver`, e.g.
    # postgresql_driver) states what each changes; other backends ignore it.
    drivers = facts.pop("drivers")
    if drivers:
        facts.update(drivers[context[f"{name}_driver"]])
    # Facts that name the driver say so with {driver} or {drivername}.
    names = {"{driver}": facts["driver"] or "", "{drivername}": facts["drivername"]}

    def filled(value: Any) -> Any:
        if isinstance(value, str):
            for placeholder, name in names.items():
                value = value.replace(placeholder, name)
        return value

    facts["ci_url"] = filled(facts["ci_url"])
    facts["extra_settings"] = [
        {
            **setting,
            "default": filled(setting["default"]),
            "example": filled(setting["example"]),
        }
        for setting in facts["extra_settings"]
    ]
    facts["name"] = name
    facts["analytics"] = name == "bigquery" or bool(context["use_bigquery_analytics"])
    # A server whose image runs no init scripts (SQL Server) gets a db-init
    # service in docker-compose.yml, with templates/backends/<name>/db-init.sh.
    facts["db_init"] = bool(facts["server"] and not facts["initdb_dir"])
    return facts


def answers(context: Mapping[str, Any]) -> list[list[Any]]:
    """The answers as [name, value] pairs, in the order cookiecutter asks them."""
    return [
        [name, value] for name, value in context.items() if not name.startswith("_")
    ]


def pre_gen_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """What the pre-generation hook checks the answers against (which may name
    no backend there is: it says so)."""
    return {
        "answers": answers(context),
        # What cookiecutter.json derives: the command printed after a
        # rejection leaves such answers out, so they follow an edited name.
        "derived": {
            "project_slug": as_slug(context["project_name"]),
            "package_name": as_package_name(context["project_slug"]),
        },
        # The template as typed (a path, a URL or an abbreviation), and so on.
        "run": {
            "template": context.get("_template"),
            "checkout": context.get("_checkout"),
            "output_dir": context.get("_output_dir"),
        },
        "choices": {
            "python_version": context["_python_versions"],
            "database_backend": list(context["_backends"]),
            # A backend's driver question, checked only for that backend.
            **{
                f"{name}_driver": list(facts["drivers"])
                for name, facts in context["_backends"].items()
                if name == context["database_backend"] and "drivers" in facts
            },
        },
        "naming": NAMING,
    }


def post_gen_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """What the post-generation hook shapes the project with (the answers
    have passed the pre-generation hook)."""
    return {
        "answers": dict(answers(context)),
        "backend": backend(context),
        "files": context["_files"],
    }


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
    would make it fail with "directory already exists", "a/b" or "../x" would
    create folders outside the project, and a name longer than the file system
    allows (255 bytes) fails with "File name too long" and a traceback. No slug
    longer than MAX_SLUG is accepted, so none needs a folder of its own.
    """
    text = str(slug)
    if SAFE_FOLDER_NAME.fullmatch(text) and len(text) <= MAX_SLUG:
        return text
    return f"invalid-project-slug-{secrets.token_hex(4)}"


class QuietRejection(logging.Filter):
    """Drops cookiecutter's log record (with its traceback) for a failed
    pre-generation hook: the hook has printed every problem already, and
    cookiecutter's CLI still ends with its one line "Hook script failed"."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            str(record.msg).startswith("Stopping generation because")
            and record.args == ("pre_gen_project",)
            and record.exc_info is not None
            and isinstance(record.exc_info[1], FailedHookException)
        )


def quiet_rejections() -> None:
    hooks_logger = logging.getLogger("cookiecutter.hooks")
    if not any(isinstance(f, QuietRejection) for f in hooks_logger.filters):
        hooks_logger.addFilter(QuietRejection())


class TemplateExtension(Extension):
    """Adds the filters above, keeps typed answers as text, guards the folder name."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["backend"] = backend
        environment.filters["pre_gen_context"] = pre_gen_context
        environment.filters["post_gen_context"] = post_gen_context
        environment.filters["literal"] = literal
        environment.filters["tuple_literal"] = tuple_literal
        environment.filters["project_dir"] = project_dir
        environment.filters["as_slug"] = as_slug
        environment.filters["as_package_name"] = as_package_name
        environment.globals["naming"] = NAMING
        quiet_rejections()

    def preprocess(
        self, source: str, name: str | None, filename: str | None = None
    ) -> str:
        if source == PROJECT_DIR_TEMPLATE:
            return "{{ cookiecutter.project_slug | project_dir }}"
        if (
            name is None
            and self.environment.loader is None
            and JINJA_SYNTAX.search(source)
            and source not in own_strings()
        ):
            # Cookiecutter renders strings without a file loader while it reads
            # the answers and runs the hooks; the only templates it renders
            # then are ours. Anything else is an answer given as key=value on
            # the command line: output it as it is.
            return "{{ " + jinja_string(source) + " }}"
        return source


@cache
def own_strings() -> frozenset[str]:
    """Every string in cookiecutter.json, and the source of every hook."""
    context = template_context()
    hooks = [
        p.read_text(encoding="utf-8") for p in (TEMPLATE_DIR / "hooks").glob("*.py")
    ]
    return frozenset([*strings_in(context), *hooks])


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def jinja_string(text: str) -> str:
    """`text` as a Jinja string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
