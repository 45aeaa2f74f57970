{%- set db = cookiecutter | backend -%}
{%- set relational = db.relational -%}
{%- set group = "analytics" if relational else "" -%}
"""The project's command for the BigQuery dataset{{ " (`analytics ...`)" if relational else "" }} on the emulator,
run in-process with click's CliRunner: the migration commands, `doctor` in
each state the emulator can show, bq, the shell.

Each test that migrates works in a dataset of its own, made by `migrate`
and deleted afterwards, and in a copy of alembic.ini and
migrations_analytics/, so nothing here touches the project's files or
BQ_DATASET_ID.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from google.api_core.exceptions import NotFound
from google.cloud import bigquery
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }} import doctor_bigquery
from {{ cookiecutter.package_name }}.cli import main
{%- if relational %}
from {{ cookiecutter.package_name }}.infra import database
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings, get_settings

PROJECT = Path(__file__).resolve().parents[2]
#: The command group of the dataset's commands.
GROUP = {{ '("analytics",)' if relational else "()" }}
#: The names of doctor's BigQuery checks, in order.
NAMES = doctor_bigquery.NAMES
#: The checks' names, in order: credentials, dataset, migrations, cost.
CREDENTIALS, DATASET, MIGRATIONS, COST = NAMES
#: A query for bq on the table, with the partition filter it requires.
COUNT = (
    "SELECT COUNT(*) AS n FROM analytics_events"
    " WHERE event_timestamp > TIMESTAMP '2000-01-01'"
)


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def doctor() -> tuple[int, dict[str, dict[str, str]]]:
    result = cli("doctor", "--json")
    report = json.loads(result.output)
    assert report["ok"] is (result.exit_code == 0)
    return result.exit_code, {check["name"]: check for check in report["checks"]}


def bigquery_statuses(checks: dict[str, dict[str, str]]) -> list[str]:
    return [checks[name]["status"] for name in NAMES]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with alembic.ini and the migrations, the working directory,
    with no .env: the settings come from the environment alone."""
    shutil.copy(PROJECT / "alembic.ini", tmp_path)
    shutil.copytree(PROJECT / "migrations_analytics", tmp_path / "migrations_analytics")
{%- if relational %}
    shutil.copytree(PROJECT / "migrations", tmp_path / "migrations")
    # The operational database: a SQLite file, never made (its checks fail).
    monkeypatch.setenv("DATABASE_URL", f"sqlite+pysqlite:///{tmp_path / 'dev.db'}")
    monkeypatch.setenv(
        "TEST_DATABASE_URL", f"sqlite+pysqlite:///{tmp_path / 'dev_test.db'}"
    )
{%- endif %}
    (tmp_path / "pyproject.toml").touch()  # the project's root: no .env above it
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENV_FILE", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def on_emulator(
    workspace: Path, analytics_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workspace's settings: the emulator and project the suite uses."""
    host = analytics_settings.bigquery_emulator_host
    assert host is not None  # analytics_settings found the emulator
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", host)
    monkeypatch.setenv("GCP_PROJECT_ID", analytics_settings.gcp_project_id)


@pytest.fixture
def dataset(
    on_emulator: None,
    analytics_settings: Settings,
    analytics_client: bigquery.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """A dataset name of this test's own, as BQ_DATASET_ID, on the emulator;
    not made yet (`migrate` makes it), deleted afterwards."""
    name = f"{analytics_settings.bq_dataset_id}_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("BQ_DATASET_ID", name)
    yield name
    analytics_client.delete_dataset(name, delete_contents=True, not_found_ok=True)


def test_migrate_show_doctor_and_back_to_zero(
    dataset: str, analytics_client: bigquery.Client
) -> None:
    made = cli(*GROUP, "migrate")
    assert made.exit_code == 0, made.output
    assert analytics_client.get_table(f"{dataset}.analytics_events").num_rows == 0
    listed = cli(*GROUP, "showmigrations").output.splitlines()
    assert listed
    assert all(line.startswith("[X] ") for line in listed), listed
    status, checks = doctor()
    assert bigquery_statuses(checks) == ["ok"] * len(NAMES), checks
{%- if not relational %}
    assert status == 0
{%- endif %}
    assert dataset in checks[DATASET]["detail"]
    assert "would scan 0 B" in checks[COST]["detail"]  # the emulator's estimate

    assert cli(*GROUP, "migrate", "zero").exit_code == 0
    assert "[X]" not in cli(*GROUP, "showmigrations").output
    status, checks = doctor()
    assert status == 1
    assert checks[MIGRATIONS]["status"] == "fail"
    assert checks[MIGRATIONS]["detail"].startswith("at no revision;")
    assert checks[MIGRATIONS]["fix"] == "apply them: {{ group ~ ' ' if group else '' }}migrate"
    assert checks[COST]["status"] == "skip"


def test_doctor_finds_a_missing_dataset_without_making_it(
    dataset: str, analytics_client: bigquery.Client
) -> None:
    status, checks = doctor()
    assert status == 1
    assert checks[CREDENTIALS]["status"] == "ok"
    assert checks[DATASET]["status"] == "fail"
    assert dataset in checks[DATASET]["detail"]
    assert "migrate" in checks[DATASET]["fix"]
    assert bigquery_statuses(checks)[2:] == ["skip", "skip"]
    with pytest.raises(NotFound):
        analytics_client.get_dataset(dataset)


def test_doctor_finds_the_emulator_down(
    dataset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", "http://127.0.0.1:9")  # discard
    status, checks = doctor()
    assert status == 1
    assert checks[DATASET]["status"] == "fail"
    assert checks[DATASET]["detail"].startswith("no answer from http://127.0.0.1:9")
    assert "scripts/bigquery_emulator.py" in checks[DATASET]["fix"]


@pytest.mark.usefixtures("on_emulator", "analytics_engine")
def test_doctor_fails_a_dry_run_over_the_cost_limit(
    analytics_dataset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator estimates every query at 0 bytes: the estimate of a
    # large table stands in for it. The suite's dataset is at head.
    monkeypatch.setenv("BQ_DATASET_ID", analytics_dataset)
    monkeypatch.setenv("BQ_MAX_BYTES_BILLED", str(10 * 1024**3))
    monkeypatch.setattr(doctor_bigquery, "estimate_bytes", lambda *_: 11 * 1024**3)
    status, checks = doctor()
    assert status == 1
    assert checks[COST]["status"] == "fail"
    assert checks[COST]["detail"] == (
        "BQ_MAX_BYTES_BILLED 10 GiB; a dry run of the last day's events would"
        " scan 11 GiB"
    )
    assert "BQ_MAX_BYTES_BILLED" in checks[COST]["fix"]


def test_sqlmigrate_prints_the_sql_without_a_connection(
    analytics_client: bigquery.Client, dataset: str
) -> None:
    config = Config(str(PROJECT / "alembic.ini"){{ ', ini_section="analytics"' if relational else "" }})
    first = ScriptDirectory.from_config(config).get_base()
    assert first is not None
    result = cli(*GROUP, "sqlmigrate", first)
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE `analytics_events`" in result.output
    with pytest.raises(NotFound):
        analytics_client.get_dataset(dataset)


def test_drift_is_found_by_doctor_and_written_by_makemigrations(
    dataset: str, workspace: Path, analytics_client: bigquery.Client
) -> None:
    """A table the migrations do not know: doctor reports it, and
    makemigrations writes a revision that passes ruff and mypy."""
    assert cli(*GROUP, "migrate").exit_code == 0
    schema = [bigquery.SchemaField("note", "STRING")]
    analytics_client.create_table(
        bigquery.Table(f"{analytics_client.project}.{dataset}.stray", schema)
    )
    status, checks = doctor()
    assert status == 1
    assert checks[MIGRATIONS]["status"] == "fail"
    assert "models differ from the migrations" in checks[MIGRATIONS]["detail"]
    assert "stray" in checks[MIGRATIONS]["detail"]
    assert "makemigrations" in checks[MIGRATIONS]["fix"]
    result = cli(*GROUP, "makemigrations", "-m", "drop stray")
    assert result.exit_code == 0, result.output
    [new] = (workspace / "migrations_analytics" / "versions").glob("*drop_stray.py")
    assert 'op.drop_table("stray")' in new.read_text()
    # As test_cli.py checks the operational database's revisions.
    config = str(PROJECT / "pyproject.toml")
    ruff = ["ruff", "check", "--no-cache", "--config", config]
    mypy = ["mypy", "--config-file", config, "--follow-imports=skip"]
    for tool in (ruff, [*mypy, "--no-incremental"]):
        done = subprocess.run(
            [sys.executable, "-m", *tool, str(new)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_dbshell_runs_bq_on_the_dataset(
    analytics_engine: Engine, analytics_dataset: str
) -> None:
    env = {**os.environ, "BQ_DATASET_ID": analytics_dataset}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "{{ cookiecutter.package_name }}",
            *GROUP,
            "dbshell",
            "--",
            "query",
            "--nouse_legacy_sql",
            COUNT,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
    )
    if shutil.which("bq"):
        assert done.returncode == 0, done.stderr
        assert "| n |" in done.stdout
    else:  # this machine lacks the client: one line says what to install
        assert done.returncode == 1
        assert "bq is not installed: install the Google Cloud CLI" in done.stderr


def test_shell_has_a_session_on_the_dataset(
    analytics_session: Session,
{%- if relational %}
    tmp_path: Path,
{%- endif %}
) -> None:
{%- if relational %}
    # The shell's `session` is the operational database's: a SQLite file here.
    engine = database.create_db_engine(f"sqlite+pysqlite:///{tmp_path / 'dev.db'}")
    with database.use_database(engine):
        result = cli(
            "shell",
            stdin=f"print('events:', analytics_session.scalar(text({COUNT!r})))\n",
        )
    engine.dispose()
{%- else %}
    result = cli(
        "shell",
        stdin=f"print('events:', session.scalar(text({COUNT!r})))\n",
    )
{%- endif %}
    assert result.exit_code == 0, result.output
    assert "events: " in result.output
