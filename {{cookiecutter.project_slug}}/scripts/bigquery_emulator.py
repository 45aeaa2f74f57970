"""Run a local BigQuery emulator: no Google account, no Docker, no cost.

    python scripts/bigquery_emulator.py            # serves until Ctrl-C
    python scripts/bigquery_emulator.py --wait     # waits until one answers
    python scripts/bigquery_emulator.py --dry-run  # says what it would serve

It serves the project GCP_PROJECT_ID with the dataset BQ_DATASET_ID, read as
the application reads them: the environment over the project's `.env`. It
uses the standard library only, so it runs before `uv sync` and in a bare
container; that is why it reads `.env` itself, by python-dotenv's rules.

The emulator is local-bigquery (DuckDB inside). It needs Python 3.13, so the
first run builds an environment of its own with uv in .bigquery-emulator/
(about 700 MB; seconds with a warm uv cache), with the first Python 3.13 of:
`--python`, `uv python find`, python3.13 on PATH, pyenv's versions; else one
uv downloads, if its settings allow. Then the script becomes the server
(exec), so stopping it (Ctrl-C, `kill`) stops the server. Every start begins
with empty data. `--wait` returns once an emulator answers, or fails at once
when the one started for this port has exited.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NoReturn

REQUIREMENTS = [
{%- for requirement in cookiecutter._analytics.emulator_requirements %}
    "{{ requirement }}",
{%- endfor %}
]
#: DuckDB extensions the emulator needs; the wheels above carry them, so
#: nothing is downloaded at run time.
EXTENSIONS = ["icu", "ducklake", "spatial"]
#: What the application uses when neither the environment nor `.env` says.
DEFAULTS = {
    "GCP_PROJECT_ID": {{ cookiecutter.project_slug | literal }},
    "BQ_DATASET_ID": {{ cookiecutter.package_name | literal }},
}
#: Prints the interpreter's path; fails unless it is Python 3.13.
IS_313 = "import sys; print(sys.executable); sys.exit(sys.version_info[:2] != (3, 13))"
INSTALL_PYTHON = (
    "install one (`uv python install 3.13`, or `pyenv install 3.13`), "
    "or name one with --python"
)
#: Seconds `--wait` trusts an emulator record written before it started: a
#: previous run's, until an emulator started along with the wait replaces it.
STALE_GRACE = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default={{ cookiecutter._analytics.emulator_port }})
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--home", type=Path, default=Path(".bigquery-emulator"))
    parser.add_argument(
        "--python",
        default=os.environ.get("BIGQUERY_EMULATOR_PYTHON"),
        help="the Python 3.13 to build with (default: the first one found)",
    )
    parser.add_argument("--project", help="default: GCP_PROJECT_ID")
    parser.add_argument("--dataset", help="default: BQ_DATASET_ID")
    parser.add_argument(
        "--wait", action="store_true", help="wait for the emulator to answer"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would be served, and how"
    )
    args = parser.parse_args(argv)
    env_file = find_env_file()
    settings = read_settings(env_file)
    project = args.project or settings["GCP_PROJECT_ID"]
    dataset = args.dataset or settings["BQ_DATASET_ID"]
    endpoint = f"http://127.0.0.1:{args.port}"
    home = args.home.resolve()
    record = home / f"server-{args.port}.json"
    if args.wait:
        wait_until_ready(endpoint, project, timeout=180, record=record)
        print(f"BigQuery emulator ready at {endpoint}", flush=True)
        return 0
    if args.dry_run:
        print(f"serve: {endpoint}, project {project}, dataset {dataset}")
        print(f"settings: the environment, over {env_file or 'no .env file'}")
        print(f"environment: {describe_environment(home, args.python)}")
        return 0
    for port in (args.port, args.port + 10):  # the REST and the gRPC port
        check_port_free(args.host, port)
    # For --wait: this process, which builds the environment, then is the server.
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(this_process()))
    venv = prepare(home, args.python)
    data = home / f"data-{args.port}"  # one per port: emulators may share a home
    shutil.rmtree(data, ignore_errors=True)
    command = [
        str(venv / "bin" / "local-bigquery"), "serve",
        "--host", args.host, "--port", str(args.port), "--grpc-port", str(args.port + 10),
        "--project", project, "--dataset", dataset, "--data-dir", str(data),
    ]  # fmt: skip
    print(
        f"BigQuery emulator starting at {endpoint}: project {project}, "
        f"dataset {dataset}",
        flush=True,
    )
    # The same process from here on: a signal for it reaches the server.
    os.execve(command[0], command, emulator_env(home))


def fail(message: str) -> NoReturn:
    """Stop with one line on stderr, no traceback."""
    sys.exit(f"bigquery_emulator: {message}")


# --- The settings, as the application reads them (see settings.py) ---------


def find_env_file() -> Path | None:
    """`ENV_FILE`, else the first .env from the working directory up to the
    folder holding pyproject.toml; None outside a project."""
    named = os.environ.get("ENV_FILE", "")
    if named.strip():
        if not Path(named).is_file():
            fail(f"ENV_FILE names {named!r}, which is not a file")
        return Path(named)
    here = Path.cwd()
    folders = [here, *here.parents]
    root = next((f for f in folders if (f / "pyproject.toml").is_file()), None)
    if root is None:
        return None
    candidates = [f / ".env" for f in folders[: folders.index(root) + 1]]
    return next((path for path in candidates if path.is_file()), None)


def read_settings(env_file: Path | None) -> dict[str, str]:
    """DEFAULTS, overridden by `env_file`, overridden by the environment;
    empty values keep the defaults."""
    values = read_env_file(env_file) if env_file else {}
    values.update(os.environ)
    return {
        name: value if (value := values.get(name, "")).strip() else default
        for name, default in DEFAULTS.items()
    }


#: python-dotenv's grammar, the parser settings.py uses, one piece at a time.
BLANK = r"\s*"
EXPORT = r"(?:export[^\S\r\n]+)?"
QUOTED_KEY = r"'([^']+)'"
KEY = r"([^=\#\s]+)"
SPACE = r"[^\S\r\n]*"
EQUALS = r"(=[^\S\r\n]*)"
QUOTED_VALUE = {"'": r"'((?:\\.|[^'\\])*)'", '"': r'"((?:\\.|[^"\\])*)"'}
UNQUOTED_VALUE = r"([^\r\n]*)"
END = r"(?:[^\S\r\n]*#[^\r\n]*)?[^\S\r\n]*(?:\r\n|\n|\r|$)"
ESCAPES = {"'": r"\\([\\'])", '"': r"\\([\\'\"abfnrtv])"}
ESCAPED = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def read_env_file(path: Path) -> dict[str, str]:
    """The NAME=value lines of a .env file as python-dotenv reads them
    (`export`, quotes, escapes, comments), without ${VAR} expansion. A line it
    cannot read stops the script with one line, as it stops the application."""
    text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    values: dict[str, str] = {}
    at = 0

    def read(pattern: str) -> str:
        """Match `pattern` at `at` and move past it: its group, else all of it."""
        nonlocal at
        match = re.compile(pattern, re.DOTALL).match(text, at)
        if match is None:
            line = len(re.findall(r"\r\n|\n|\r", text[:at])) + 1
            fail(f"{path}, line {line}: not a NAME=value line")
        at = match.end()
        return match.group(1) if match.re.groups else match.group(0)

    while True:
        read(BLANK)
        if at == len(text):
            return values
        read(EXPORT)
        key = None
        if not text.startswith("#", at):  # else a comment line
            key = read(QUOTED_KEY if text.startswith("'", at) else KEY)
        read(SPACE)
        value = None
        if text.startswith("=", at):
            equals = read(EQUALS)
            quote = text[at : at + 1]
            if len(equals) > 1 and quote == "#":  # `KEY= # comment`
                value = ""
            elif quote in QUOTED_VALUE:
                value = re.sub(
                    ESCAPES[quote],
                    lambda m: ESCAPED.get(m.group(1), m.group(1)),
                    read(QUOTED_VALUE[quote]),
                )
            else:
                value = re.sub(r"\s+#.*", "", read(UNQUOTED_VALUE)).rstrip()
        read(END)
        if key is not None and value is not None:
            values[key] = value


# --- Building the emulator's environment -------------------------------------


def prepare(home: Path, python: str | None) -> Path:
    """The emulator's environment in `home`/venv, built once with uv."""
    venv = home / "venv"
    if is_built(venv):
        return venv
    uv = shutil.which("uv")
    if uv is None:
        fail("the BigQuery emulator is installed with uv: https://docs.astral.sh/uv/")
    shutil.rmtree(venv, ignore_errors=True)
    interpreter = find_python(python, uv)
    created = subprocess.run(
        [uv, "venv", "--quiet", "--python", interpreter or "3.13", str(venv)],
        capture_output=True,
        text=True,
        check=False,
    )
    if created.returncode:
        reason = (created.stderr.strip().splitlines() or ["uv venv failed"])[-1]
        if interpreter is None:
            fail(
                f"no Python 3.13 found, nor fetched by uv ({reason}): {INSTALL_PYTHON}"
            )
        fail(f"uv venv --python {interpreter}: {reason}")
    built = str(venv / "bin" / "python")
    step(uv, "pip", "install", "--quiet", "--python", built, *REQUIREMENTS)
    install = f"from duckdb_extensions import import_extension\nfor name in {EXTENSIONS!r}:\n    import_extension(name)"
    step(built, "-c", install, env=emulator_env(home))
    (venv / "requirements.json").write_text(json.dumps(REQUIREMENTS))
    return venv


def is_built(venv: Path) -> bool:
    marker = venv / "requirements.json"
    return marker.is_file() and json.loads(marker.read_text()) == REQUIREMENTS


def step(*command: str, env: Mapping[str, str] | None = None) -> None:
    """Run one step of the build; its own output says why it failed."""
    if subprocess.run(command, env=env, check=False).returncode:
        fail(f"building the emulator's environment failed at: {' '.join(command[:3])}")


def find_python(given: str | None, uv: str | None) -> str | None:
    """A Python 3.13: `given`, else the first of `uv python find 3.13`,
    python3.13 on PATH, pyenv's 3.13.x; None if there is none."""
    if given:
        found = python313(shutil.which(given) or given)
        if found is None:
            fail(f"--python {given}: not a Python 3.13 that runs")
        return found
    return next(filter(None, map(python313, python_candidates(uv))), None)


def python_candidates(uv: str | None) -> Iterator[str]:
    """Where a Python 3.13 may be, in the order find_python tries them."""
    if uv is not None:
        found = subprocess.run(
            [uv, "python", "find", "3.13"], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            yield found.stdout.strip()
    on_path = shutil.which("python3.13")
    if on_path:
        yield on_path
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    patches = [p for p in pyenv.glob("3.13.*") if re.fullmatch(r"3\.13\.\d+", p.name)]
    for version in sorted(patches, key=lambda p: -int(p.name.split(".")[2])):
        yield str(version / "bin" / "python3.13")


def python313(candidate: str) -> str | None:
    """The interpreter `candidate` runs, if it runs and is Python 3.13
    (a pyenv shim of a version not selected does not run)."""
    try:
        result = subprocess.run(
            [candidate, "-c", IS_313], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def describe_environment(home: Path, python: str | None) -> str:
    """The emulator's environment, for --dry-run: built, or how it would be."""
    venv = home / "venv"
    if is_built(venv):
        return f"{venv}, built"
    found = find_python(python, shutil.which("uv"))
    if found is None:
        return f"{venv}, to build, but no Python 3.13 found: {INSTALL_PYTHON}"
    return f"{venv}, to build with {found}"


def emulator_env(home: Path) -> dict[str, str]:
    """DuckDB keeps its extensions under $HOME: a folder of the emulator's own."""
    duckdb_home = home / "duckdb-home"
    duckdb_home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(duckdb_home), "PYTHONPATH": ""}


# --- Starting and waiting ----------------------------------------------------


def check_port_free(host: str, port: int) -> None:
    """Stop unless `port` is free, as the server will see it (connections
    closing on it, TIME_WAIT, do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            fail(f"port {port} on {host} is taken ({error.strerror}): running already?")


def this_process() -> dict[str, object]:
    """What `--wait` needs to tell whether this process still runs, and where
    its output goes."""
    pid = os.getpid()
    return {"pid": pid, "started": process_fields(pid)[19:20], "output": output_file()}


def output_file() -> str | None:
    """The file this process's output goes to (`> bigquery-emulator.log`), if
    it is one and the system says which (Linux)."""
    try:
        if stat.S_ISREG(os.fstat(1).st_mode):
            return os.readlink("/proc/self/fd/1")
    except OSError:
        pass
    return None


def process_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the name: state first, start time
    at 19; [] without /proc (macOS)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return []


def running(record: dict[str, object]) -> bool:
    """Whether the process `record` describes still runs: not gone, not a
    zombie (exited, not yet reaped), not another one with its pid."""
    pid = record.get("pid")
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = process_fields(pid)
    return not fields or (fields[0] != "Z" and fields[19:20] == record.get("started"))


def exited(record_file: Path, waiting_since: float) -> str | None:
    """Why the emulator `record_file` describes will never answer, or None."""
    try:
        written = record_file.stat().st_mtime
        record = json.loads(record_file.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or running(record):
        return None
    if written < waiting_since and time.time() < waiting_since + STALE_GRACE:
        return None
    output = record.get("output") or "its output"
    return f"the BigQuery emulator (pid {record.get('pid')}) has exited: see {output}"


def wait_until_ready(endpoint: str, project: str, timeout: float, record: Path) -> None:
    """Wait until the emulator lists datasets (its first answer loads DuckDB)."""
    address = endpoint.removeprefix("http://")
    path = f"/bigquery/v2/projects/{project}/datasets"
    since = time.time()
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection(address, timeout=5)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        reason = exited(record, since)
        if reason:
            fail(reason)
        if time.monotonic() > deadline:
            fail(f"no BigQuery emulator answered at {endpoint} within {timeout:.0f} s")
        time.sleep(0.25)


if __name__ == "__main__":
    sys.exit(main())
