"""Finish the generated project, then smoke-test it.

1. Delete what the chosen options do not need, and put the BigQuery-alone
   variants of four files in place (cookiecutter.json's `_files`).
2. Write .env from .env.example, with fresh random passwords (mode 0600).
3. Check the output: no template syntax is left, TOML/INI/YAML files parse,
   .env has every setting of .env.example, and, when this Python is new
   enough for the project, every .py file compiles (else it says so). The
   same checks on every machine, whatever this Python has installed: running
   the project's code is its own test suite's job.

Any failure exits with status 1 and one line per problem; cookiecutter then
removes the project. Nothing here touches the network.
"""

import configparser
import importlib.util
import json
import os
import re
import secrets
import shutil
import string
import sys
from pathlib import Path

#: Rendered by cookiecutter from local_extensions.post_gen_context, as JSON:
#: the only template syntax in this file.
CONTEXT = json.loads(r"""{{ cookiecutter | post_gen_context | tojson }}""")
ANSWERS = CONTEXT["answers"]
DB = CONTEXT["backend"]
PACKAGE = ANSWERS["package_name"]
CI = ANSWERS["ci_provider"]
#: Oracle's passwords: see new_password().
ORACLE = DB["name"] == "oracle"
#: The project's lowest Python: older ones cannot compile or import its code.
PYTHON = tuple(int(part) for part in ANSWERS["python_version"].split("."))
CAN_RUN_PROJECT = sys.version_info >= PYTHON
#: Free-text answers: they may contain anything, braces included.
FREE_TEXT = [
    ANSWERS[name]
    for name in ("project_name", "description", "author_name", "author_email")
]
#: The parts of the project the answers choose. cookiecutter.json's `_files`
#: lists what each part brings; a path goes when a part listing it, or one of
#: its folders, is not chosen.
COMPOSE = (DB["server"] or DB["analytics"]) and ANSWERS["use_docker_compose"]
CHOSEN = {
    "relational": DB["relational"],
    # Files named <name>.bigquery.py: the BigQuery-alone version of <name>.py.
    "bigquery_alone": not DB["relational"],
    "analytics": DB["analytics"],
    "server": DB["server"],
    "compose": COMPOSE,
    # The server image runs docker/initdb/'s scripts; PostgreSQL's CI job
    # runs them too, on a service that runs none, to create the app's role.
    "init_scripts": bool(DB["initdb_dir"])
    and (COMPOSE or (CI != "none" and DB["name"] == "postgresql")),
    "github": CI == "github",
    "gitlab": CI == "gitlab",
}
UNNEEDED = sorted(
    {
        path.format(package=PACKAGE)
        for part, paths in CONTEXT["files"].items()
        if not CHOSEN[part]
        for path in paths
    }
)
#: Template syntax left unrendered: a tag that reads the answers. (Written in
#: two parts so that Jinja leaves this line alone; user text may contain braces.)
UNRENDERED = re.compile(r"\{[{" + r"%]-?[^}]*?cookiecutter\.")
TEXT_SUFFIXES = {
    ".py",
    ".toml",
    ".ini",
    ".yml",
    ".yaml",
    ".md",
    ".sh",
    ".mako",
    ".example",
    ".cfg",
    ".txt",
}


def remove_unneeded():
    for name in UNNEEDED:
        path = Path(name)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def use_variants():
    """Put each kept BigQuery-alone file (<name>.bigquery.py) in its place."""
    for name in CONTEXT["files"]["bigquery_alone"]:
        path = Path(name.format(package=PACKAGE))
        if path.exists():
            path.rename(path.with_name(path.name.replace(".bigquery.", ".", 1)))


def write_env():
    """Copy .env.example to .env with a random value for every *_PASSWORD."""
    lines = []
    for line in Path(".env.example").read_text(encoding="utf-8").splitlines():
        key, sep, _value = line.partition("=")
        if sep and key.endswith("_PASSWORD") and not key.startswith("#"):
            line = f"{key}={new_password()}"
        lines.append(line)
    env = Path(".env")
    fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    env.chmod(0o600)


def new_password():
    """A random password: nothing to quote or expand in .env or URLs, and always
    upper case, lower case and digits (SQL Server's rule).

    32 letters, digits, - and _ (192 bits). On Oracle 30 characters, the most
    releases before 23ai accept (30 bytes), and a letter first, then letters,
    digits and _, so that `IDENTIFIED BY` takes it unquoted: 5.7 + 29 x 5.98,
    about 179 bits.
    """
    while True:
        if ORACLE:
            rest = string.ascii_letters + string.digits + "_"
            password = secrets.choice(string.ascii_letters) + "".join(
                secrets.choice(rest) for _ in range(29)
            )
        else:
            password = secrets.token_urlsafe(24)
        if (
            any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def without_answers(text):
    """`text` without the answers, as written or escaped (in TOML strings)."""
    for answer in FREE_TEXT:
        text = text.replace(answer, "").replace(
            json.dumps(answer, ensure_ascii=False)[1:-1], ""
        )
    return text


def env_keys(path):
    keys = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        key, sep, _ = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            keys.add(key.strip())
    return keys


def check_files():
    problems = []
    for path in sorted(Path().rglob("*")):
        if not path.is_file() or (
            path.suffix not in TEXT_SUFFIXES and path.name != ".env"
        ):
            continue
        text = path.read_text(encoding="utf-8")
        if UNRENDERED.search(without_answers(text)):
            problems.append(f"{path}: template syntax left unrendered")
        try:
            if path.suffix == ".py" and CAN_RUN_PROJECT:
                compile(text, str(path), "exec", dont_inherit=True)
            elif path.suffix == ".toml":
                parse_toml(text)
            elif path.suffix == ".ini":
                configparser.ConfigParser(interpolation=None).read_string(text)
            elif path.suffix in {".yml", ".yaml"}:
                parse_yaml(text)
        except Exception as error:  # every parser has its own error class
            problems.append(f"{path}: does not parse: {error}")
    missing = env_keys(".env.example") - env_keys(".env")
    if missing:
        problems.append(f".env: missing {', '.join(sorted(missing))}")
    return problems


def parse_toml(text):
    try:
        import tomllib
    except ImportError:  # Python 3.10: only when tomli is around
        if importlib.util.find_spec("tomli") is None:
            return
        import tomli as tomllib
    tomllib.loads(text)


def parse_yaml(text):
    import yaml  # a dependency of cookiecutter itself

    # libyaml's parser when PyYAML has it: the same documents, ten times faster.
    yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def main():
    remove_unneeded()
    use_variants()
    write_env()
    problems = check_files()
    if not CAN_RUN_PROJECT:
        running = ".".join(map(str, sys.version_info[:2]))
        print(
            f"note: the generated .py files were not compiled: Python {running} runs cookiecutter,"
            f" the project needs {'.'.join(map(str, PYTHON))} or newer"
        )
    for problem in problems:
        print(f"error: generated project is broken: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
