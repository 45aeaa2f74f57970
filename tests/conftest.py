"""Fixtures for the template's tests: rendering, shared tools, real database servers.

Each combination of answers is rendered once per run and shared; generated
suites run in this environment (it has every generated dependency) with
`src/` on PYTHONPATH, so no project needs its own install, except in the
tests that check installing.

Servers: `TEMPLATE_TEST_POSTGRES_URL` and `TEMPLATE_TEST_MYSQL_URL` name an
administrator connection (defaults: the local servers, as root). Outside CI
an unreachable server skips its tests; with CI=true it fails them.
"""

from __future__ import annotations

import json
import os
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from binaryornot.check import is_binary
from cookiecutter import generate, hooks
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from jinja2 import Environment
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from local_extensions import backend

TEMPLATE = Path(__file__).resolve().parents[1]
CONTEXT = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
BACKENDS = CONTEXT["database_backend"]
#: Each backend's facts as the templates read them (`cookiecutter | backend`).
#: The default answers: each choice's first option.
DEFAULTS = {k: v[0] if isinstance(v, list) else v for k, v in CONTEXT.items()}
FACTS = {name: backend({**DEFAULTS, "database_backend": name}) for name in BACKENDS}
#: The answers of a PostgreSQL project on psycopg2 (psycopg 3 is the default).
PSYCOPG2 = {"database_backend": "postgresql", "postgresql_driver": "psycopg2"}
#: A PostgreSQL project's facts with each of its drivers.
POSTGRESQL_DRIVERS = {
    driver: backend(
        {**DEFAULTS, "database_backend": "postgresql", "postgresql_driver": driver}
    )
    for driver in CONTEXT["postgresql_driver"]
}
SERVER_BACKENDS = [b for b in BACKENDS if FACTS[b]["server"]]
RELATIONAL_BACKENDS = [b for b in BACKENDS if FACTS[b]["relational"]]
CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def backend_script(backend: str, name: str) -> str:
    """A backend's setup script (templates/backends/<backend>/<name>), as the
    generated files hold it."""
    path = TEMPLATE / "templates" / "backends" / backend / name
    return path.read_text(encoding="utf-8").strip()


#: Administrator logins for the servers this machine runs (SQL Server and
#: Oracle cannot run here: their projects are checked without a server).
ADMIN_URLS = {
    "postgresql": os.environ.get(
        "TEMPLATE_TEST_POSTGRES_URL",
        "postgresql+psycopg://root@127.0.0.1:5432/postgres",
    ),
    "mysql": os.environ.get(
        "TEMPLATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"
    ),
}
LIVE_BACKENDS = [b for b in SERVER_BACKENDS if b in ADMIN_URLS]
#: The password of the user each server test creates: every character that
#: breaks URLs, shells and .env files.
HOSTILE_PASSWORD = "p@ss:w/rd#%?&= $HOME'\"\\"


#: Where this run's temporary folders go, the generated suites' and tools'
#: too (TMPDIR): a RAM-backed tmpfs when the machine has one with room to
#: spare (creating and deleting the many small files that renders and
#: environments write costs a third there of what it costs on this
#: machine's disk), else pytest's default. Each pytest process (the
#: background one too) gets its own folder, removed when it ends.
SCRATCH_FS = Path("/dev/shm")
SCRATCH_FS_MIN_FREE = 4 << 30


def scratch_fs_usable() -> bool:
    if not os.access(SCRATCH_FS, os.W_OK):
        return False
    stats = os.statvfs(SCRATCH_FS)
    return stats.f_bavail * stats.f_frsize >= SCRATCH_FS_MIN_FREE


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.basetemp is None and scratch_fs_usable():
        scratch = tempfile.mkdtemp(prefix="template-tests-", dir=SCRATCH_FS)
        config.option.basetemp = scratch
        config.stash[SCRATCH_RUN] = Path(scratch)
        os.environ["TMPDIR"] = scratch


SCRATCH_RUN = pytest.StashKey[Path]()


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = config.stash.get(SCRATCH_RUN, None)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def missing(reason: str) -> None:
    """Skip outside CI; fail under CI=true, where every check must run."""
    if CI:
        pytest.fail(f"{reason} (CI=true: not skipping)")
    pytest.skip(reason)


def run_hook_here(script_path: str, cwd: Path | str = ".") -> None:
    """cookiecutter.hooks.run_script, but in this process (no interpreter start-up)."""
    saved_cwd, saved_path = os.getcwd(), sys.path[:]
    saved_bytecode = sys.dont_write_bytecode
    project = str(Path(cwd).resolve())
    os.chdir(cwd)
    try:
        runpy.run_path(script_path, {"compile": compile_checked}, run_name="__main__")
        status = 0
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_bytecode
        for name, module in list(sys.modules.items()):  # forget the generated package
            if str(getattr(module, "__file__", None) or "").startswith(project):
                del sys.modules[name]
    if status:
        raise FailedHookException(f"Hook script failed (exit status: {status})")


COMPILED: dict[tuple[object, ...], Any] = {}
_compile = Environment.compile


def compile_once(
    self: Environment,
    source: Any,
    name: Any = None,
    filename: Any = None,
    raw: bool = False,
    defer_init: bool = False,
) -> Any:
    """Jinja's compile, memoised: the template's files are the same in every run.

    The key leaves out the file's path (it only names the file in tracebacks),
    so renders from a copy of the template reuse it too (test_cruft.py). It
    includes whether the environment has a file loader, which changes what
    the template's extension does (see local_extensions.py).
    """
    key = (source, name, raw, defer_init, self.loader is None)
    if key not in COMPILED:
        COMPILED[key] = _compile(self, source, name, filename, raw, defer_init)
    return COMPILED[key]


_binary: dict[str, bool] = {}


def is_binary_once(path: str) -> bool:
    """binaryornot's check, memoised per template file: cookiecutter reads
    each file's first kilobyte and scores it on every render."""
    if path not in _binary:
        _binary[path] = is_binary(path)
    return _binary[path]


_compiled_sources: set[tuple[str, str]] = set()


def compile_checked(source: str, filename: str, mode: str, **flags: Any) -> Any:
    """`compile`, for code that only checks that a file compiles: a source
    text that compiled once is not compiled again (hostile-answer renders
    share most of their files). Anything but a plain str compiles as usual."""
    if not isinstance(source, str) or flags.get("flags"):
        return compile(source, filename, mode, **flags)
    key = (source, mode)
    if key in _compiled_sources:
        return None
    code = compile(source, filename, mode, **flags)
    _compiled_sources.add(key)
    return code


@contextmanager
def in_process_rendering() -> Iterator[None]:
    """cookiecutter as the tests run it: hooks in this process, each template
    file compiled and scored once per run (the same code as a real run,
    without the repeated work).

    These three patches of cookiecutter's and Jinja's internals stay because
    they pay for themselves: twelve renders (six backends, two CI providers)
    take 6.7 s without them and 0.45 s with them (hooks in-process alone
    4.9 s, Jinja's compile memoised alone 3.2 s, binaryornot's check
    memoised alone 6.0 s; 2 cores, 2026-11-30), and the suite renders
    several hundred projects. The walks and the bare-cookiecutter test run
    cookiecutter's command line unpatched, as users do.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hooks, "run_script", run_hook_here)
        patch.setattr(Environment, "compile", compile_once)
        patch.setattr(generate, "is_binary", is_binary_once)
        yield


class Renderer:
    """Renders the template, once per distinct set of answers.

    The hooks run in this process and Jinja compiles each file once: the same
    hook code as in a real run, without starting an interpreter twice per
    project (test_pre_gen_hook.py and test_post_gen_hook.py run them for real).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, Path] = {}

    def __call__(self, **answers: Any) -> Path:
        key = json.dumps(answers, sort_keys=True)
        if key not in self.cache:
            output = self.root / f"p{len(self.cache)}"
            with in_process_rendering():
                project = cookiecutter(
                    str(TEMPLATE),
                    no_input=True,
                    extra_context=answers,
                    output_dir=str(output),
                )
            self.cache[key] = Path(project)
        return self.cache[key]


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    """`render(**answers)`: the generated project's path (rendered once per run)."""
    return Renderer(tmp_path_factory.mktemp("projects"))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> Result:
    """Run a command; returns its exit code and output (never raises on failure)."""
    completed = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def project_env(project: Path, **extra: str) -> dict[str, str]:
    """Environment for running a generated project's tools from this venv."""
    env = {
        "PYTHONPATH": str(project / "src"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # What a developer's shell may have set must not leak into the project,
        # nor pytest-xdist's worker name, should this suite run under it.
        "DATABASE_URL": "",
        "TEST_DATABASE_URL": "",
        "CI": "",
        "ENV_FILE": "",
        "PYTEST_XDIST_WORKER": "",
    }
    env.update(extra)
    return env


def tool(name: str) -> str:
    """A command installed in this environment."""
    return str(Path(sys.executable).parent / name)


#: The file of a server project's slow fault tests, and why they are skipped
#: without --faults.
FAULTS_FILE = "tests/test_faults.py"
FAULTS_SKIPPED = "slow fault tests: run pytest --faults"
#: A generated suite, as the tests run it (warnings of deprecation are errors).
PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-p",
    "no:cacheprovider",
    "-W",
    "error::DeprecationWarning",
]


@dataclass
class SuiteRun:
    """What one run of a generated suite did, test by test."""

    result: Result
    passed: set[str]
    failed: dict[str, str]  # failures and errors, with their messages
    skipped: dict[str, str]  # with the reasons

    def files(self, tests: set[str] | dict[str, str]) -> set[str]:
        return {test.split("::")[0] for test in tests}

    @property
    def header(self) -> str:
        return next(
            line
            for line in self.result.stdout.splitlines()
            if line.startswith("database: ")
        )

    def assert_green(self, skipped: dict[str, str] | None = None) -> None:
        """Nothing failed or errored, and the skipped tests are exactly those of
        the files in `skipped`, each for its file's reason (default: none)."""
        expected = skipped or {}
        assert self.failed == {}, self.result.output[-4000:]
        assert self.result.returncode == 0, self.result.output[-4000:]
        assert self.passed, self.result.output[-4000:]
        assert self.files(self.skipped) == set(expected), self.skipped
        assert not self.files(self.passed) & set(expected)
        for test, reason in self.skipped.items():
            assert reason == expected[test.split("::")[0]], (test, reason)


def junit_outcomes(report: Path) -> dict[str, tuple[str, str]]:
    """Each test of a pytest JUnit report: ("passed" | "skipped" | "failed",
    the skip's reason or the failure's message, traceback included)."""
    outcomes: dict[str, tuple[str, str]] = {}
    if report.exists():
        for case in ElementTree.parse(report).iter("testcase"):
            module = case.get("classname", "").replace(".", "/")
            test = f"{module}.py::{case.get('name')}"
            outcome = next(iter(case), None)
            if outcome is None:
                outcomes[test] = ("passed", "")
            elif outcome.tag == "skipped":
                outcomes[test] = ("skipped", outcome.get("message", ""))
            else:  # failure or error
                message = outcome.get("message", "")
                outcomes[test] = ("failed", f"{message}\n{outcome.text or ''}")
    return outcomes


def run_suite(
    project: Path,
    env: dict[str, str],
    report: Path,
    *args: str,
    python: str = sys.executable,
) -> SuiteRun:
    """Run the generated suite with `python`; its outcomes from the JUnit report."""
    result = run([python, *PYTEST[1:], f"--junitxml={report}", *args], project, env)
    outcomes = junit_outcomes(report)
    passed = {test for test, (status, _) in outcomes.items() if status == "passed"}
    failed = {
        test: why for test, (status, why) in outcomes.items() if status == "failed"
    }
    skipped = {
        test: why for test, (status, why) in outcomes.items() if status == "skipped"
    }
    return SuiteRun(result, passed, failed, skipped)


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every generated project: SQLAlchemy is analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")


@dataclass
class Server:
    """A real database server with a user and an empty database for one test run."""

    backend: str
    admin_url: URL
    user: str
    password: str
    database: str

    def env(self) -> dict[str, str]:
        """The DB_* settings a generated project needs to reach this server."""
        return {
            "DB_HOST": str(self.admin_url.host),
            "DB_PORT": str(
                self.admin_url.port or CONTEXT["_backends"][self.backend]["port"]
            ),
            "DB_USER": self.user,
            "DB_PASSWORD": self.password,
            "DB_NAME": self.database,
        }

    def databases(self) -> list[str]:
        """The databases on the server whose names start with `self.database`."""
        engine = create_engine(self.admin_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                query = text(LIST_DATABASES[self.backend])
                return list(connection.scalars(query, {"prefix": self.database}))
        finally:
            engine.dispose()

    def url(self, database: str) -> URL:
        """The URL of `database` on this server, as this run's user."""
        return self.admin_url.set(
            username=self.user, password=self.password, database=database
        )

    def admin(self, *statements: str, database: str | None = None) -> None:
        url = (
            self.admin_url
            if database is None
            else self.admin_url.set(database=database)
        )
        engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()


def quoted(value: str, backend: str) -> str:
    """`value` as an SQL string literal (MySQL also reads backslash escapes)."""
    if backend == "mysql":
        value = value.replace("\\", "\\\\")
    return "'" + value.replace("'", "''") + "'"


#: Create and drop a user and its databases ("<name>" and "<name>_test").
SETUP = {
    "postgresql": lambda s: [
        f"CREATE ROLE {s.user} LOGIN CREATEDB PASSWORD {quoted(s.password, 'postgresql')}",
        f"CREATE DATABASE {s.database} OWNER {s.user}",
    ],
    "mysql": lambda s: [
        f"CREATE USER '{s.user}'@'%' IDENTIFIED BY {quoted(s.password, 'mysql')}",
        f"CREATE USER '{s.user}'@'localhost' IDENTIFIED BY {quoted(s.password, 'mysql')}",
        f"CREATE DATABASE {s.database} CHARACTER SET utf8mb4",
        f"GRANT ALL PRIVILEGES ON `{s.database}%`.* TO '{s.user}'@'%'",
        f"GRANT ALL PRIVILEGES ON `{s.database}%`.* TO '{s.user}'@'localhost'",
    ],
}
#: Every database a test makes on the server starts with the run's database
#: name ("<name>_test", "<name>_test_gw0", a 63-character name, ...): the
#: teardown finds them all by that prefix.
LIST_DATABASES = {
    "postgresql": "SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)",
    "mysql": "SELECT schema_name FROM information_schema.schemata"
    " WHERE LEFT(schema_name, CHAR_LENGTH(:prefix)) = :prefix",
}
DROP_DATABASE = {
    "postgresql": 'DROP DATABASE IF EXISTS "{}" WITH (FORCE)',
    "mysql": "DROP DATABASE IF EXISTS `{}`",
}
DROP_USER = {
    "postgresql": lambda s: [f"DROP ROLE IF EXISTS {s.user}"],
    "mysql": lambda s: [
        f"DROP USER IF EXISTS '{s.user}'@'%'",
        f"DROP USER IF EXISTS '{s.user}'@'localhost'",
    ],
}


@pytest.fixture(scope="session")
def server_factory() -> Iterator[Callable[[str], Server]]:
    """`server_factory(backend)`: a user and database on that server, made once per run."""
    created: dict[str, Server] = {}

    def make(backend: str) -> Server:
        if backend in created:
            return created[backend]
        admin_url = make_url(ADMIN_URLS[backend])
        name = f"tpl_{secrets.token_hex(4)}"
        server = Server(backend, admin_url, name, HOSTILE_PASSWORD, name)
        try:
            server.admin("SELECT 1")
        except DBAPIError as error:
            missing(
                f"{backend} server at {admin_url.render_as_string()} unreachable: {error.orig}"
            )
        server.admin(*SETUP[backend](server))
        created[backend] = server
        return server

    yield make
    for server in created.values():
        server.admin(
            *(
                DROP_DATABASE[server.backend].format(name)
                for name in server.databases()
            ),
            *DROP_USER[server.backend](server),
        )


def find_python313() -> Path | None:
    """Python 3.13: TEMPLATE_TEST_PYTHON313, or pyenv's 3.13.0."""
    given = os.environ.get("TEMPLATE_TEST_PYTHON313")
    if given:
        return Path(given)
    pyenv = shutil.which("pyenv")
    if pyenv:
        prefix = subprocess.run(
            [pyenv, "prefix", "3.13.0"], capture_output=True, text=True, check=False
        )
        if prefix.returncode == 0:
            return Path(prefix.stdout.strip()) / "bin" / "python"
    return None


@pytest.fixture(scope="session")
def python313() -> Path:
    found = find_python313()
    if found is None:
        missing("no Python 3.13: set TEMPLATE_TEST_PYTHON313")
    return Path(str(found))


#: The tests marked `background` (the walks, the hostile answers, mypy on
#: some variants: long tests that mostly wait for processes of their own or
#: keep one core busy) run in a second pytest process, started when
#: collection ends, so both cores work at once; this process reports their
#: outcomes in their place (pytest_pyfunc_call). Balance by moving the mark:
#: the summary says how long this process waited for the other at the end.
#: Set in the second process's environment.
BACKGROUND_CHILD = "TEMPLATE_TEST_BACKGROUND_CHILD"


@dataclass
class Background:
    process: subprocess.Popen[bytes]
    report: Path
    log: Path
    outcomes: dict[str, tuple[str, str]] | None = None
    started: float = field(default_factory=time.perf_counter)
    took: float = 0.0  # how long it ran
    waited: float = 0.0  # how long this process waited for it at the end

    def outcome(self, nodeid: str) -> tuple[str, str]:
        """("passed" | "skipped" | "failed", message) of a test run there."""
        if self.outcomes is None:
            waiting = time.perf_counter()
            self.process.wait()
            self.took = time.perf_counter() - self.started
            self.waited = time.perf_counter() - waiting
            self.outcomes = junit_outcomes(self.report)
        tail = self.log.read_text(errors="replace")[-4000:]
        return self.outcomes.get(nodeid, ("failed", f"no outcome reported:\n{tail}"))


BACKGROUND_RUN = pytest.StashKey[Background]()


def in_background(item: pytest.Item) -> bool:
    return not os.environ.get(BACKGROUND_CHILD) and bool(
        item.get_closest_marker("background")
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests run in the background come last here: this process works
    through the others before it waits for their outcomes."""
    items.sort(key=in_background)  # stable: the order is otherwise kept


def pytest_collection_finish(session: pytest.Session) -> None:
    items = [item for item in session.items if in_background(item)]
    if not items or session.config.option.collectonly:
        return
    folder = Path(tempfile.mkdtemp(prefix="template-tests-background-"))
    report, log = folder / "report.xml", folder / "output.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
                f"--junitxml={report}",
                *(item.nodeid for item in items),
            ],
            cwd=TEMPLATE,
            env={**os.environ, BACKGROUND_CHILD: "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    session.config.stash[BACKGROUND_RUN] = Background(process, report, log)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    background = pyfuncitem.config.stash.get(BACKGROUND_RUN, None)
    if background is None or not in_background(pyfuncitem):
        return None
    status, message = background.outcome(pyfuncitem.nodeid)
    if status == "skipped":
        pytest.skip(message)
    if status != "passed":
        pytest.fail(f"(run in the background process)\n{message}", pytrace=False)
    return True


def pytest_sessionfinish(session: pytest.Session) -> None:
    background = session.config.stash.get(BACKGROUND_RUN, None)
    if background is not None and background.process.poll() is None:
        background.process.kill()  # the run was cut short
        background.process.wait()


#: What the BigQuery emulator fixture measured, for the summary line.
EMULATOR_TIMES: dict[str, float] = {}


@pytest.fixture(scope="session")
def bigquery_emulator(
    render: Renderer, python313: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A local BigQuery emulator for this run, started with a generated project's
    own scripts/bigquery_emulator.py, from the project's folder as its README
    says (it serves the .env's dataset); its environment is kept in .tools/."""
    project = render(database_backend="bigquery")
    script = str(project / "scripts" / "bigquery_emulator.py")
    home = TEMPLATE / ".tools" / "bigquery-emulator"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    started = time.perf_counter()
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                script,
                "--port",
                port,
                "--home",
                str(home),
                "--python",
                str(python313),
            ],
            cwd=project,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
            # Its own process group: the emulator it starts is stopped with it.
            start_new_session=True,
        )
    try:
        ready = run(
            [sys.executable, script, "--wait", "--port", port, "--home", str(home)],
            project,
            timeout=300,
        )
        if ready.returncode != 0 or server.poll() is not None:
            missing(f"the BigQuery emulator did not start: {log.read_text()[-2000:]}")
        EMULATOR_TIMES["start"] = time.perf_counter() - started
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        # What it left in the shared home: the record --wait reads, its data.
        (home / f"server-{port}.json").unlink(missing_ok=True)
        shutil.rmtree(home / f"data-{port}", ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report the hostile-answer counts (test_hostile_answers.py) and the
    slowest walk steps, when they ran (in the background process: its lines)."""
    background = terminalreporter.config.stash.get(BACKGROUND_RUN, None)
    if background is not None and background.outcomes is not None:
        # What to balance: both processes should end together.
        terminalreporter.write_line(
            f"background process: {background.took:.0f} s; this process waited "
            f"{background.waited:.0f} s for it at the end"
        )
    if background is not None and background.log.exists():
        for line in background.log.read_text(errors="replace").splitlines():
            if line.startswith(("hostile answers:", "walk step")):
                terminalreporter.write_line(line)
    stats = sys.modules.get("test_hostile_answers")
    counts = getattr(stats, "STATS", None)
    if counts:
        terminalreporter.write_line(
            f"hostile answers: {counts['tried']} tried, {counts['accepted']} accepted, "
            f"{counts['rejected']} rejected"
        )
    walks = sys.modules.get("test_walks")
    for seconds, step in sorted(getattr(walks, "STEP_TIMES", []), reverse=True)[:12]:
        terminalreporter.write_line(f"walk step {seconds:6.1f} s  {step[:110]}")
    if EMULATOR_TIMES:
        terminalreporter.write_line(
            f"BigQuery emulator: ready {EMULATOR_TIMES['start']:.1f} s after launch"
            " (building its environment included, when it had to)"
        )
