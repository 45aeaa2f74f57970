"""The generated scripts/bigquery_emulator.py, started the way the README says.

Most tests stand a small fake in for the emulator: a prepared home whose
`local-bigquery` is a few lines of HTTP server. What they check is the
script's part: which project and dataset it serves, which Python it builds
with, how `--wait` learns that the emulator exited, that stopping the script
stops the server. The real emulator is the session's (`bigquery_emulator`).
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from types import ModuleType

import pytest
from dotenv.parser import parse_stream

from conftest import Renderer, missing

#: `local-bigquery serve --port N ...` as far as the script can tell: a
#: server answering 200 to every GET.
FAKE_SERVER = """\
import argparse, http.server
parser = argparse.ArgumentParser()
parser.add_argument("command")
parser.add_argument("--host")
parser.add_argument("--port", type=int)
args, _ = parser.parse_known_args()
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *_):
        pass
http.server.HTTPServer((args.host, args.port), Answer).serve_forever()
"""


@pytest.fixture(scope="module")
def script(render: Renderer) -> Path:
    return render(database_backend="bigquery") / "scripts" / "bigquery_emulator.py"


@pytest.fixture(scope="module")
def module(script: Path) -> ModuleType:
    """The script, imported (its functions run in this process)."""
    spec = importlib.util.spec_from_file_location("bigquery_emulator", script)
    assert spec is not None
    assert spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture
def project(script: Path, tmp_path: Path) -> Path:
    """A project folder of its own: pyproject.toml, the script, a .env."""
    folder = tmp_path / "project"
    (folder / "scripts").mkdir(parents=True)
    shutil.copy(script, folder / "scripts")
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (folder / ".env").write_text(
        "GCP_PROJECT_ID=acme-analytics  # the .env's own\n"
        "export BQ_DATASET_ID='events $HOME'\n"
    )
    return folder


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the settings the script reads."""
    names = {"GCP_PROJECT_ID", "BQ_DATASET_ID", "ENV_FILE", "BIGQUERY_EMULATOR_PYTHON"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    return {**env, "UV_PYTHON_DOWNLOADS": "never", **extra}


Result = subprocess.CompletedProcess[str]


def start(
    project: Path,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run the script in `project` (from `cwd`, default the project) to its end."""
    command = [sys.executable, str(project / "scripts" / "bigquery_emulator.py"), *args]
    return subprocess.run(
        command,
        cwd=cwd or project,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def free_port() -> int:
    """A free port, with the one 10 above (the emulator's gRPC port) free too."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        with socket.socket() as grpc:
            try:
                grpc.bind(("127.0.0.1", port + 10))
            except OSError:
                continue
        return port


def answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def fake_home(module: ModuleType, tmp_path: Path) -> Path:
    """An emulator home built already, whose emulator is FAKE_SERVER."""
    home = tmp_path / "home"
    bin_folder = home / "venv" / "bin"
    bin_folder.mkdir(parents=True)
    (home / "venv" / "requirements.json").write_text(json.dumps(module.REQUIREMENTS))
    server = bin_folder / "local-bigquery"
    server.write_text(f"#!{sys.executable}\n{FAKE_SERVER}")
    server.chmod(0o755)
    return home


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts, each in a group of its own, ended afterwards."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def launch(
    processes: list[subprocess.Popen[str]], project: Path, *args: str, log: Path
) -> subprocess.Popen[str]:
    """Start the script in the background, as `nohup ... > log 2>&1 &` does."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "scripts/bigquery_emulator.py", *args],
            cwd=project,
            env=clean_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    processes.append(process)
    return process


# --- 1. Project and dataset: the environment over .env, as the application --


ENV_FILES = {
    "plain": "A=1\nB=two words\n\n\nC=\n",
    "export and spaces": "export A = spaced  \n  B=indented\nexport\tC=tab\n",
    "comments": "# a comment\nA=1 # inline\nB=no#comment\nC= # only a comment\nD=#x\n",
    "single quotes": "A='# not a comment' # one\nB='it\\'s'\nC='$HOME \\n'\n",
    "double quotes": 'A="a \\"b\\" \\n \\t \\\\ \\x"\nB="two\nlines"\nC="$HOME"\n',
    "quoted key": "'A B'=1\n",
    "no value": "A\nB=\n",
    "line endings": "\ufeffA=1\r\nB=2\rC=3",
    "repeated": "A=1\nA=2\n",
}
BAD_ENV_FILES = {
    "no equals sign": ("A=1\nnot a setting\n", 2),
    "unclosed quote": ("A=1\nB='open\n", 2),
    "key missing": ("A=1\n\n=1\n", 3),
}


@pytest.mark.parametrize("text", ENV_FILES.values(), ids=ENV_FILES.keys())
def test_env_file_reads_as_python_dotenv_reads_it(
    module: ModuleType, text: str, tmp_path: Path
) -> None:
    """settings.py reads .env with python-dotenv's parser; the script, which
    must run without it, reads it the same."""
    path = tmp_path / ".env"
    path.write_bytes(text.encode())
    expected = {
        b.key: b.value
        for b in parse_stream(StringIO(text.removeprefix("\ufeff")))
        if b.key is not None and b.value is not None and not b.error
    }
    assert not any(b.error for b in parse_stream(StringIO(text)))
    assert module.read_env_file(path) == expected


@pytest.mark.parametrize(
    ("text", "line"), BAD_ENV_FILES.values(), ids=BAD_ENV_FILES.keys()
)
def test_an_unreadable_env_line_is_named(
    module: ModuleType, text: str, line: int, tmp_path: Path
) -> None:
    path = tmp_path / ".env"
    path.write_text(text)
    assert any(b.error for b in parse_stream(StringIO(text)))
    with pytest.raises(SystemExit) as stopped:
        module.read_env_file(path)
    assert (
        stopped.value.code
        == f"bigquery_emulator: {path}, line {line}: not a NAME=value line"
    )


def test_project_and_dataset_come_from_env_file(project: Path, fake_home: Path) -> None:
    """Started as the README says, with nothing exported: the .env's project
    and dataset, not made-up ones (`alembic upgrade head` needs that dataset)."""
    (project / "src").mkdir()
    for cwd in project, project / "src":  # the nearest .env up to pyproject.toml
        shown = start(project, "--dry-run", "--home", str(fake_home), cwd=cwd)
        assert shown.returncode == 0, shown.stderr
        assert "project acme-analytics, dataset events $HOME" in shown.stdout
        assert str(project / ".env") in shown.stdout
    env = clean_env(GCP_PROJECT_ID="from-environment", BQ_DATASET_ID="")
    shown = start(project, "--dry-run", "--home", str(fake_home), env=env)
    # The environment wins; empty is unset: the application's default.
    assert "project from-environment, dataset my_service" in shown.stdout


def test_the_emulator_serves_the_projects_dataset(
    render: Renderer, bigquery_emulator: str
) -> None:
    """The session's emulator, started from a generated project with nothing
    exported, serves the dataset that project's .env names."""
    project = render(database_backend="bigquery")
    settings = {
        b.key: b.value
        for b in parse_stream(StringIO((project / ".env").read_text()))
        if b.key
    }
    path = (
        f"/bigquery/v2/projects/{settings['GCP_PROJECT_ID']}"
        f"/datasets/{settings['BQ_DATASET_ID']}"
    )
    host = bigquery_emulator.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request("GET", path)
        assert connection.getresponse().status == 200
    finally:
        connection.close()


# --- 2. Python 3.13, wherever it is ---------------------------------------------


def no_python_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose only tool is uv, which knows no Python, and whose
    pyenv (PYENV_ROOT) has none either."""
    uv = shutil.which("uv")
    if uv is None:
        missing("uv is not installed")
        raise AssertionError("unreachable")
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    (tools / "uv").symlink_to(uv)
    env = clean_env(
        PATH=str(tools),
        PYENV_ROOT=str(tmp_path / "pyenv"),
        UV_PYTHON_INSTALL_DIR=str(tmp_path / "uv-pythons"),
        UV_NO_CONFIG="1",
        **extra,
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def test_python_313_is_found_in_pyenv(
    project: Path, python313: Path, tmp_path: Path
) -> None:
    """Only pyenv has 3.13 (not on PATH, unknown to uv): it is the one used.
    A newer 3.13 folder without a working interpreter is passed over."""
    versions = tmp_path / "pyenv" / "versions"
    (versions / "3.13.99" / "bin").mkdir(parents=True)
    (versions / "3.13.7" / "bin").mkdir(parents=True)
    (versions / "3.13.7" / "bin" / "python3.13").symlink_to(python313)
    env = no_python_env(tmp_path)
    shown = start(project, "--dry-run", "--home", str(tmp_path / "home"), env=env)
    assert shown.returncode == 0, shown.stderr
    assert f"to build with {versions / '3.13.7' / 'bin' / 'python3.13'}" in shown.stdout


@pytest.mark.parametrize("python", [None, "no-such-python", "false"])
def test_no_python_313_is_one_line_at_once(
    project: Path, python: str | None, tmp_path: Path
) -> None:
    """No 3.13 anywhere and uv may not download one (or --python names no
    3.13): one line saying what to install, at once, no traceback."""
    env = no_python_env(tmp_path)
    args = ["--home", str(tmp_path / "home"), "--port", str(free_port())]
    if python:
        args += ["--python", shutil.which(python, path=os.defpath) or python]
    started = time.monotonic()
    stopped = start(project, *args, env=env)
    assert time.monotonic() - started < 20
    assert stopped.returncode == 1
    assert stopped.stdout == ""
    line, *rest = stopped.stderr.splitlines()
    assert rest == [], stopped.stderr
    if python:
        assert "not a Python 3.13 that runs" in line
    else:
        assert "no Python 3.13 found" in line
        assert "uv python install 3.13" in line


# --- 3. --wait gives up when the emulator has exited ------------------------------


@pytest.mark.parametrize("first", ["wait", "emulator"])
def test_wait_stops_when_the_emulator_exits(
    project: Path, processes: list[subprocess.Popen[str]], first: str, tmp_path: Path
) -> None:
    """The README's and CI's way: the emulator in the background and `--wait`.
    An emulator that cannot start ends the wait, with its log named: at once
    if it exits while the wait runs, after STALE_GRACE seconds if before (an
    emulator starting along with the wait would have replaced its record)."""
    port = str(free_port())
    log = tmp_path / "bigquery-emulator.log"
    wait_log = tmp_path / "wait.log"
    # The README's defaults (home .bigquery-emulator in the project), and a
    # --python that is no Python: the emulator stops at once.
    emulator = ["--port", port, "--python", "/no/python"]
    if first == "wait":
        waiter = launch(processes, project, "--wait", "--port", port, log=wait_log)
        time.sleep(0.5)
        script = launch(processes, project, *emulator, log=log)
    else:
        script = launch(processes, project, *emulator, log=log)
        script.wait(timeout=30)
        waiter = launch(processes, project, "--wait", "--port", port, log=wait_log)
    started = time.monotonic()
    assert waiter.wait(timeout=30) == 1
    assert time.monotonic() - started < 15
    assert wait_log.read_text() == (
        f"bigquery_emulator: the BigQuery emulator (pid {script.pid}) has exited: "
        f"see {log}\n"
    )
    assert "not a Python 3.13" in log.read_text()


def test_wait_is_not_fooled_by_an_earlier_run(
    project: Path,
    fake_home: Path,
    processes: list[subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    """The record of an emulator that has exited, left by an earlier run, does
    not end the wait for the one starting now."""
    port = free_port()
    gone = subprocess.Popen(["true"])
    gone.wait()
    record = fake_home / f"server-{port}.json"
    record.write_text(json.dumps({"pid": gone.pid, "output": None}))
    os.utime(record, (time.time() - 3600, time.time() - 3600))
    args = ["--port", str(port), "--home", str(fake_home)]
    waiter = launch(processes, project, "--wait", *args, log=tmp_path / "wait.log")
    time.sleep(1)  # the waiter has seen the old record
    launch(processes, project, *args, log=tmp_path / "emulator.log")
    assert waiter.wait(timeout=30) == 0, (tmp_path / "wait.log").read_text()
    assert "ready" in (tmp_path / "wait.log").read_text()


# --- 4. Stopping the script stops the emulator --------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_stopping_the_script_stops_the_emulator(
    project: Path,
    fake_home: Path,
    processes: list[subprocess.Popen[str]],
    stop: signal.Signals,
    tmp_path: Path,
) -> None:
    """`kill <pid>` or Ctrl-C on the script: its emulator goes too, and the
    port is free again (the script becomes the emulator once it is ready)."""
    port = free_port()
    log = tmp_path / "emulator.log"
    args = ["--port", str(port), "--home", str(fake_home)]
    script = launch(processes, project, *args, log=log)
    ready = start(project, "--wait", *args)
    assert ready.returncode == 0, log.read_text()
    script.send_signal(stop)
    script.wait(timeout=10)
    deadline = time.monotonic() + 5
    while answers(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not answers(port), "the emulator outlived the script"
