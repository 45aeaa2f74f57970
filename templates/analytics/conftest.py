{%- set relational = (cookiecutter | backend).relational -%}
"""Fixtures for the BigQuery tests.

Unit tests compile DDL and queries with the BigQuery dialect and need nothing
running. The tests that use `analytics_engine` run against the emulator at
BIGQUERY_EMULATOR_HOST (`python scripts/bigquery_emulator.py` starts one), in
a dataset of their own, BQ_DATASET_ID + "_test" (one per pytest-xdist
worker), made afresh for each run
with the migrations (`alembic{{ "" if not relational else " -n analytics" }} upgrade head`). Without an emulator
they are skipped, and with CI=true that is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from google.api_core.retry import Retry
from google.cloud import bigquery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from {{ cookiecutter.package_name }}.infra import bigquery as bigquery_module
from {{ cookiecutter.package_name }}.settings import Settings

#: The folder of alembic.ini.
PROJECT_ROOT = next(p for p in Path(__file__).parents if (p / "alembic.ini").is_file())


@pytest.fixture(scope="session")
def analytics_settings() -> Settings:
    """The settings, once an emulator answers (skip or, under CI, fail without)."""
    settings = Settings.from_env()
    problem = emulator_problem(settings)
    if problem:
        reason = f"needs a BigQuery emulator at BIGQUERY_EMULATOR_HOST: {problem}"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{reason} (CI=true)")
        pytest.skip(reason)
    return settings


def emulator_problem(settings: Settings) -> str | None:
    """Why the emulator cannot be used, or None. Gives up after 3 seconds: by
    default the Google client keeps retrying a closed port for minutes."""
    host = settings.bigquery_emulator_host
    if not host:
        return "not set"
    client = bigquery_module.create_bigquery_client(settings)
    try:
        list(client.list_datasets(max_results=1, retry=Retry(timeout=3), timeout=3))
    except Exception as error:  # whatever failed, there is no usable emulator
        return f"{host} does not answer ({type(error).__name__})"
    return None


@pytest.fixture(scope="session")
def analytics_dataset(analytics_settings: Settings) -> str:
    """BQ_DATASET_ID + "_test", and the worker's name under pytest-xdist (-n):
    each worker makes and deletes its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{analytics_settings.bq_dataset_id}_test{f'_{worker}' if worker else ''}"


@pytest.fixture(scope="session")
def analytics_client(
    analytics_settings: Settings, analytics_dataset: str
) -> Iterator[bigquery.Client]:
    """A client on a fresh test dataset (in BQ_LOCATION), deleted after the run."""
    client = bigquery_module.create_bigquery_client(
        analytics_settings, analytics_dataset
    )
    client.delete_dataset(analytics_dataset, delete_contents=True, not_found_ok=True)
    bigquery_module.ensure_dataset(
        client, analytics_dataset, analytics_settings.bq_location
    )
    yield client
    client.delete_dataset(analytics_dataset, delete_contents=True, not_found_ok=True)


@pytest.fixture(scope="session")
def analytics_engine(
    analytics_settings: Settings,
    analytics_dataset: str,
    analytics_client: bigquery.Client,
) -> Iterator[Engine]:
    """An engine on the test dataset, its tables made by the migrations."""
    engine = bigquery_module.create_bigquery_engine(
        analytics_settings, analytics_dataset
    )
    config = Config(PROJECT_ROOT / "alembic.ini"{{ ', ini_section="analytics"' if relational else "" }})
    config.attributes["keep_logging"] = True
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield engine
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    engine.dispose()


@pytest.fixture
def analytics_session(
    analytics_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    """A session on the test dataset; `get_bigquery_session()` uses it too.

    Cost checks and streaming use the engine's own client, so they find the
    test dataset without help. BigQuery has no transactions to roll back:
    tests tell their rows apart by ids of their own instead.
    """
    factory = sessionmaker(bind=analytics_engine, expire_on_commit=False)
    monkeypatch.setattr(bigquery_module, "get_bigquery_session_maker", lambda: factory)
    monkeypatch.setattr(
        bigquery_module, "get_bigquery_engine", lambda: analytics_engine
    )
    with factory() as session:
        yield session
{%- if not relational %}


@pytest.fixture(scope="session")
def test_engine(analytics_engine: Engine) -> Engine:
    """The engine the suite runs on: BigQuery, on the test dataset."""
    return analytics_engine


@pytest.fixture
def db_session(analytics_session: Session) -> Session:
    """A session on the test dataset.

    BigQuery has no transactions to roll back: what a test writes stays until
    the dataset is deleted at the end of the run.
    """
    return analytics_session
{%- endif %}
