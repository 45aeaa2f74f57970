"""Run a local BigQuery emulator: no Google account, no Docker, no cost.

    python scripts/bigquery_emulator.py          # serves until Ctrl-C
    BIGQUERY_EMULATOR_HOST=http://127.0.0.1:{{ cookiecutter._analytics.emulator_port }} pytest

The emulator is local-bigquery (DuckDB inside). It needs Python 3.13, so the
first run builds an environment of its own with uv in .bigquery-emulator/
(about 700 MB; seconds with a warm uv cache). `--python` picks the
interpreter (default: what uv finds for 3.13). Every start begins with empty
data. `--wait` only waits until an emulator answers (for CI scripts).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

REQUIREMENTS = [
{%- for requirement in cookiecutter._analytics.emulator_requirements %}
    "{{ requirement }}",
{%- endfor %}
]
#: DuckDB extensions the emulator needs; the wheels above carry them, so
#: nothing is downloaded at run time.
EXTENSIONS = ["icu", "ducklake", "spatial"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default={{ cookiecutter._analytics.emulator_port }})
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--home", type=Path, default=Path(".bigquery-emulator"))
    parser.add_argument(
        "--python", default=os.environ.get("BIGQUERY_EMULATOR_PYTHON", "3.13")
    )
    parser.add_argument("--project", default=os.environ.get("GCP_PROJECT_ID", "local"))
    parser.add_argument("--dataset", default=os.environ.get("BQ_DATASET_ID", "local"))
    parser.add_argument(
        "--wait", action="store_true", help="wait for a running emulator"
    )
    args = parser.parse_args(argv)
    endpoint = f"http://127.0.0.1:{args.port}"
    if args.wait:
        wait_until_ready(endpoint, args.project, timeout=180)
        print(f"BigQuery emulator ready at {endpoint}", flush=True)
        return 0
    home = args.home.resolve()
    venv = prepare(home, args.python)
    data = home / "data"
    shutil.rmtree(data, ignore_errors=True)
    command = [
        str(venv / "bin" / "local-bigquery"), "serve",
        "--host", args.host, "--port", str(args.port), "--grpc-port", str(args.port + 10),
        "--project", args.project, "--dataset", args.dataset, "--data-dir", str(data),
    ]  # fmt: skip
    server = subprocess.Popen(command, env=emulator_env(home))
    try:
        wait_until_ready(endpoint, args.project, timeout=120, server=server)
        print(f"BigQuery emulator ready at {endpoint}", flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.terminate()
        server.wait(10)


def prepare(home: Path, python: str) -> Path:
    """The emulator's environment in `home`/venv, built once with uv."""
    venv = home / "venv"
    marker = venv / "requirements.json"
    if marker.is_file() and json.loads(marker.read_text()) == REQUIREMENTS:
        return venv
    uv = shutil.which("uv")
    if uv is None:
        sys.exit(
            "the BigQuery emulator is installed with uv: https://docs.astral.sh/uv/"
        )
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([uv, "venv", "--quiet", "--python", python, str(venv)], check=True)
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            *REQUIREMENTS,
        ],
        check=True,
    )
    install = f"from duckdb_extensions import import_extension\nfor name in {EXTENSIONS!r}:\n    import_extension(name)"
    subprocess.run(
        [str(venv / "bin" / "python"), "-c", install],
        env=emulator_env(home),
        check=True,
    )
    marker.write_text(json.dumps(REQUIREMENTS))
    return venv


def emulator_env(home: Path) -> dict[str, str]:
    """DuckDB keeps its extensions under $HOME: a folder of the emulator's own."""
    duckdb_home = home / "duckdb-home"
    duckdb_home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(duckdb_home), "PYTHONPATH": ""}


def wait_until_ready(
    endpoint: str,
    project: str,
    timeout: float,
    server: subprocess.Popen[bytes] | None = None,
) -> None:
    """Wait until the emulator lists datasets (its first answer loads DuckDB)."""
    address = urllib.parse.urlsplit(endpoint)
    path = f"/bigquery/v2/projects/{project}/datasets"
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection(address.netloc, timeout=5)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        if server is not None and server.poll() is not None:
            sys.exit(f"the BigQuery emulator stopped (exit status {server.returncode})")
        if time.monotonic() > deadline:
            sys.exit(
                f"no BigQuery emulator answered at {endpoint} within {timeout:.0f} s"
            )
        time.sleep(0.25)


if __name__ == "__main__":
    sys.exit(main())
