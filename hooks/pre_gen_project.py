"""Check every answer before cookiecutter writes anything.

Prints one line per problem (which answer, what was given, what is accepted),
then a command that runs cookiecutter again with every answer given, the
refused ones replaced by a placeholder to edit, and exits with status 1.
Cookiecutter then removes the project folder, unless it existed before
(`--overwrite-if-exists`): then it is left as it was.
"""

import json
import keyword
import os
import re
import shlex
import sys
import unicodedata
from pathlib import Path

#: Rendered by cookiecutter from local_extensions.pre_gen_context, as JSON:
#: the only template syntax in this file.
CONTEXT = json.loads(r"""{{ cookiecutter | pre_gen_context | tojson }}""")
#: The answers, in the order cookiecutter asks for them.
ANSWERS = dict(CONTEXT["answers"])
#: What cookiecutter.json derives from the answers above: the command printed
#: after a rejection leaves such answers out, so they follow an edited name.
DERIVED = CONTEXT["derived"]
#: Where the template came from and where the project goes, as cookiecutter
#: was told (the template as typed: a path, a URL or an abbreviation).
RUN = CONTEXT["run"]
CHOICES = {**CONTEXT["choices"], "ci_provider": ["github", "gitlab", "none"]}

#: The naming rules, from local_extensions.py (which derives the defaults that
#: pass them). The package name also names the database ("<name>_test" must
#: fit PostgreSQL's 63 bytes) and must not shadow what the project imports.
MAX_SLUG = CONTEXT["naming"]["max_slug"]
MAX_PACKAGE = CONTEXT["naming"]["max_package"]
SLUG = re.compile(CONTEXT["naming"]["slug_pattern"])
PACKAGE = re.compile(CONTEXT["naming"]["package_pattern"])
TAKEN_IMPORT_NAMES = set(CONTEXT["naming"]["taken_import_names"])
TAKEN_COMMANDS = set(CONTEXT["naming"]["taken_commands"])
EMAIL = re.compile(
    r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\.]+"
)
#: What the printed command puts in place of a refused answer; refused itself.
PLACEHOLDER = "<edit me>"


def check_text(name, value, max_length, required=True):
    """Problems with a free-text answer that ends up in TOML and Markdown."""
    if required and not value.strip():
        return [f"{name}: must not be empty"]
    if len(value) > max_length:
        return [f"{name}: {len(value)} characters given; at most {max_length} accepted"]
    bad = sorted(
        {c for c in value if unicodedata.category(c) in {"Cc", "Cs", "Co", "Cn"}}
    )
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad)
        return [
            f"{name}: contains control or unassigned characters ({shown}); use one line of printable text"
        ]
    return []


def problems(a):
    """One line per bad answer in `a`, each starting with the answer's name."""
    found = []
    found += check_text("project_name", a["project_name"], 200)
    found += check_text("description", a["description"], 500, required=False)
    found += check_text("author_name", a["author_name"], 200)

    slug = a["project_slug"]
    if not SLUG.fullmatch(slug) or len(slug) > MAX_SLUG:
        found.append(
            f"project_slug: {slug!r} is not accepted; use lowercase ASCII letters, digits and"
            f" hyphens, starting with a letter, not ending with a hyphen, at most {MAX_SLUG}"
            " characters (e.g. 'my-service')"
        )
    elif slug in TAKEN_COMMANDS:
        found.append(
            f"project_slug: {slug!r} names the project's command, which would replace"
            f" the {slug!r} command of its environment; choose another name"
        )

    package = a["package_name"]
    if not PACKAGE.fullmatch(package) or len(package) > MAX_PACKAGE:
        found.append(
            f"package_name: {package!r} is not accepted; use lowercase ASCII letters, digits"
            f" and underscores, not starting with a digit, at most {MAX_PACKAGE} characters"
            " (e.g. 'my_service')"
        )
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        found.append(
            f"package_name: {package!r} is a Python keyword; choose another name"
        )
    elif package in sys.stdlib_module_names or package == "test":
        found.append(
            f"package_name: {package!r} would shadow the standard library module of that"
            " name; choose another name"
        )
    elif package in TAKEN_IMPORT_NAMES:
        found.append(
            f"package_name: {package!r} would shadow a module or folder the generated"
            " project uses; choose another name"
        )

    email = a["author_email"]
    if not EMAIL.fullmatch(email) or len(email) > 254:
        found.append(
            f"author_email: {email!r} is not an e-mail address like 'you@example.com'"
        )

    for name, accepted in CHOICES.items():
        if a[name] not in accepted:
            found.append(f"{name}: {a[name]!r} is not one of {', '.join(accepted)}")
    # use_bigquery_analytics with database_backend=bigquery changes nothing
    # (that project is on BigQuery already), so it is no error.
    for name in ("use_docker_compose", "use_bigquery_analytics"):
        if isinstance(a[name], str):
            # Cookiecutter before 2.7 passes yes/no from the command line as
            # text (local_extensions.py refuses those versions before this).
            found.append(
                f"{name}: {a[name]!r} arrived as text, not yes/no: cookiecutter 2.7 or newer"
                " is needed (uvx cookiecutter ...)"
            )
        elif not isinstance(a[name], bool):
            found.append(f"{name}: {a[name]!r} is not yes or no")

    # A placeholder from a command printed earlier is refused as such alone.
    kept = {name for name, value in a.items() if value == PLACEHOLDER}
    found = [line for line in found if line.split(":", 1)[0] not in kept]
    found += [
        f"{name}: still {PLACEHOLDER!r}, the placeholder of the suggested command; put your answer there"
        for name in kept
    ]
    return found


def folder_problems(slug):
    """Cookiecutter runs this hook inside the project folder it just created;
    if the folder already held files, generating would overwrite some of them."""
    if any(Path().iterdir()):
        return [
            f"project_slug: the folder {slug!r} already exists and is not empty;"
            " remove it or choose another slug (nothing was overwritten)"
        ]
    return []


def cookiecutter_command():
    """How cookiecutter was started, as far as the Python running it shows."""
    python = Path(sys.executable).as_posix()
    if os.environ.get("UV") and "/archive-v" in python:
        return ["uvx", "cookiecutter"]
    if "/pipx/.cache/" in python or "/.cache/pipx/" in python:
        return ["pipx", "run", "cookiecutter"]
    return ["cookiecutter"]


def rerun_command(a, refused):
    """The command that runs cookiecutter again with the answers `a`, without
    questions; each refused answer is PLACEHOLDER. Derived answers that were
    not typed are left out, so they follow the answers they come from."""
    # cruft runs cookiecutter without telling it the template as typed.
    command = [*cookiecutter_command(), "--no-input", RUN["template"] or "<template>"]
    if RUN["checkout"]:
        command += ["--checkout", RUN["checkout"]]
    here = os.environ.get(
        "PWD"
    )  # the shell's directory: cookiecutter's own chdir leaves it
    if RUN["output_dir"] and (
        not here or os.path.realpath(here) != os.path.realpath(RUN["output_dir"])
    ):
        command += ["--output-dir", RUN["output_dir"]]
    answers = []
    for name, value in a.items():
        if name in refused:
            value = PLACEHOLDER
        elif DERIVED.get(name) == value:
            continue
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        answers.append(f"{name}={shlex.quote(str(value))}")
    return " ".join([shlex.join(command), *answers])


def main():
    found = problems(ANSWERS) + folder_problems(ANSWERS["project_slug"])
    if not found:
        return 0
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    refused = {problem.split(":", 1)[0] for problem in found}
    print(
        f"Nothing was generated. To try again, replace each {PLACEHOLDER!r} in this command"
        " and run it:",
        file=sys.stderr,
    )
    print(f"  {rerun_command(ANSWERS, refused)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
