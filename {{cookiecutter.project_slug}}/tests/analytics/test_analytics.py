"""BigQuery without a server: the DDL and queries the dialect writes, the client setup,
and the cost guard."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from sqlalchemy import select
from sqlalchemy.schema import CreateTable
from sqlalchemy_bigquery import BigQueryDialect

from {{ cookiecutter.package_name }}.errors import (
    QueryTooExpensiveError,
    ValidationError,
)
from {{ cookiecutter.package_name }}.infra import bigquery as bigquery_module
from {{ cookiecutter.package_name }}.infra.bigquery import (
    check_cost,
    compile_for_bigquery,
    create_bigquery_client,
    create_bigquery_engine,
)
from {{ cookiecutter.package_name }}.models.analytics_event import (
    AnalyticsBase,
    AnalyticsEvent,
    new_event_id,
)
from {{ cookiecutter.package_name }}.repositories.analytics_repository import (
    COLUMNS,
    AnalyticsRepository,
)
from {{ cookiecutter.package_name }}.settings import Settings, SettingsError

EMULATOR = Settings(
    gcp_project_id="demo-project",
    bq_dataset_id="demo",
    bigquery_emulator_host="http://127.0.0.1:9",
    bq_max_bytes_billed=5_000_000,
)


def test_table_ddl_is_partitioned_clustered_and_filtered() -> None:
    table = AnalyticsBase.metadata.tables["analytics_events"]
    ddl = str(CreateTable(table).compile(dialect=BigQueryDialect()))
    assert "`event_id` STRING NOT NULL" in ddl
    assert "`event_timestamp` TIMESTAMP NOT NULL" in ddl
    assert "`properties` ARRAY<STRING>" in ddl
    assert "`properties` ARRAY<STRING> NOT NULL" not in ddl  # BigQuery refuses that
    assert "PARTITION BY TIMESTAMP_TRUNC(event_timestamp, DAY)" in ddl
    assert "CLUSTER BY event_type, user_id" in ddl
    assert "OPTIONS(require_partition_filter=true)" in ddl
    assert "PRIMARY KEY" not in ddl  # BigQuery has none; ids are UUIDs


def test_event_ids_are_made_here_and_unique() -> None:
    ids = {new_event_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(event_id) == 36 for event_id in ids)


def test_reads_name_their_columns_and_filter_on_the_partition() -> None:
    since = datetime(2030, 1, 1, tzinfo=UTC)
    until = datetime(2030, 1, 8, tzinfo=UTC)
    statement = select(*COLUMNS).where(
        AnalyticsEvent.event_timestamp.between(since, until)
    )
    sql = compile_for_bigquery(statement)
    assert "*" not in sql
    assert "`analytics_events`.`event_timestamp` BETWEEN" in sql
    assert "TIMESTAMP '2030-01-01 00:00:00+00:00'" in sql


def test_emulator_client_needs_no_google_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    client = create_bigquery_client(EMULATOR)
    assert isinstance(client._credentials, AnonymousCredentials)
    assert client.project == "demo-project"
    config = client.default_query_job_config
    assert config is not None
    assert config.maximum_bytes_billed == 5_000_000  # every job carries the limit
    assert str(config.default_dataset) == "demo-project.demo"
    engine = create_bigquery_engine(EMULATOR)
    assert engine.url.render_as_string() == (
        "bigquery://demo-project/demo?user_supplied_client=true"
    )
    engine.dispose()


def test_missing_credentials_file_is_a_clear_error(tmp_path: Any) -> None:
    settings = Settings(google_application_credentials=str(tmp_path / "missing.json"))
    with pytest.raises(SettingsError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        create_bigquery_client(settings)


class FakeDryRun:
    """Stands in for a client whose dry run reports `total_bytes_processed`."""

    def __init__(self, total_bytes: int) -> None:
        self.total_bytes = total_bytes
        self.queries: list[tuple[str, Any]] = []

    def query(self, sql: str, job_config: Any) -> Any:
        self.queries.append((sql, job_config))
        return type("Job", (), {"total_bytes_processed": self.total_bytes})()


def test_check_cost_stops_expensive_queries_before_they_run() -> None:
    statement = select(AnalyticsEvent.event_id).where(
        AnalyticsEvent.event_timestamp >= datetime(2030, 1, 1, tzinfo=UTC)
    )
    cheap = FakeDryRun(total_bytes=1_000)
    assert check_cost(statement, limit=10_000, client=cheap) == 1_000  # type: ignore[arg-type]
    [(sql, job_config)] = cheap.queries
    assert job_config.dry_run is True
    assert "SELECT `analytics_events`.`event_id`" in sql
    with pytest.raises(
        QueryTooExpensiveError, match="20,000 bytes, more than the limit of 10,000"
    ):
        check_cost(statement, limit=10_000, client=FakeDryRun(20_000))  # type: ignore[arg-type]


def test_repository_refuses_bad_input_before_any_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_session() -> Any:
        raise AssertionError("a query ran")

    monkeypatch.setattr(bigquery_module, "get_bigquery_session_maker", no_session)
    repository = AnalyticsRepository()
    with pytest.raises(ValidationError):
        repository.insert_event("user\x00", "click")
    with pytest.raises(ValidationError):
        repository.insert_event(
            "user", "click", timestamp=datetime(2030, 1, 1)
        )  # no time zone
    with pytest.raises(ValidationError):
        repository.list_events(limit=0)
    with pytest.raises(ValidationError):
        repository.list_events(since=datetime(2030, 1, 1))  # no time zone
