{%- set relational = (cookiecutter | backend).relational -%}
"""The project's command for the BigQuery dataset{{ " (`analytics ...`)" if relational else "" }}, where it
needs nothing running: start-up, bq's command line, the credentials check.
The rest runs on the emulator (test_analytics_cli_emulator.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.dbshell import bigquery_client
from {{ cookiecutter.package_name }}.doctor_bigquery import (
    NAMES,
    bigquery_checks,
    binary_size,
)
from {{ cookiecutter.package_name }}.settings import Settings

#: The command group of the dataset's commands.
GROUP = {{ '("analytics",)' if relational else "()" }}


def test_help_loads_no_orm_and_no_google_client() -> None:
    code = (
        "import runpy, sys\n"
        "package = sys.argv.pop(1)\n"
        "sys.argv[1:] = [*sys.argv[1:], '--help']\n"
        "try:\n"
        "    runpy.run_module(package, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sqlalchemy', 'alembic', 'google')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(heavy)}))\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "{{ cookiecutter.package_name }}",
            *GROUP,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "migrate" in done.stdout
    assert "dbshell" in done.stdout
    assert done.stdout.strip().endswith("[]"), done.stdout


def test_dbshell_gives_bq_the_dataset_and_the_emulator() -> None:
    settings = Settings(
        gcp_project_id="proj",
        bq_dataset_id="events",
        bq_location="EU",
        bigquery_emulator_host="http://127.0.0.1:9050",
    )
    client = bigquery_client(settings)
    assert client.argv == [
        "bq",
        "--api=http://127.0.0.1:9050",
        "--oauth_access_token=emulator",
        "--project_id=proj",
        "--dataset_id=proj:events",
        "--location=EU",
        "shell",
    ]
    real = bigquery_client(Settings(gcp_project_id="proj", bq_dataset_id="events"))
    assert real.argv == ["bq", "--project_id=proj", "--dataset_id=proj:events", "shell"]
    assert bigquery_client(settings, ["query", "SELECT 1"]).argv[-2:] == [
        "query",
        "SELECT 1",
    ]


def test_dbshell_without_bq_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no client on it
    result = CliRunner().invoke(main, [*GROUP, "dbshell"])
    assert result.exit_code == 1
    assert "bq is not installed: install the Google Cloud CLI" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "which is not a file"),
        ('{"type": "nope"}', "of type 'nope'"),
    ],
    ids=["missing", "unknown-type"],
)
def test_doctor_names_a_bad_credentials_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    key = tmp_path / "key.json"
    if content is not None:
        key.write_text(content)
    settings = Settings(google_application_credentials=str(key))
    checks = bigquery_checks(None, settings)
    assert [check.name for check in checks] == list(NAMES)
    assert [check.status for check in checks] == ["fail", "skip", "skip", "skip"]
    assert expected in checks[0].detail
    assert "GOOGLE_APPLICATION_CREDENTIALS" in checks[0].fix


def test_sizes_read_in_binary_units() -> None:
    assert [binary_size(n) for n in (0, 512, 1536, 10 * 1024**3, 3 * 1024**6)] == [
        "0 B",
        "512 B",
        "1.5 KiB",
        "10 GiB",
        "3072 PiB",
    ]
