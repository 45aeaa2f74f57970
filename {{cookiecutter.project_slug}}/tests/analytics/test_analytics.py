"""BigQuery without a server: the DDL and queries the dialect writes, the client setup,
and the cost guard."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import identity_pool, impersonated_credentials
from google.auth.credentials import AnonymousCredentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable
from sqlalchemy_bigquery import BigQueryDialect

from {{ cookiecutter.package_name }}.errors import (
    AnalyticsWriteError,
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
from {{ cookiecutter.package_name }}.repositories import (
    analytics_repository as repository_module,
)
from {{ cookiecutter.package_name }}.repositories.analytics_repository import (
    COLUMNS,
    STREAM_ROWS,
    AnalyticsRepository,
    chunked,
    event_delete,
    event_update,
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
    unreadable = tmp_path / "unreadable.json"
    for content, error in [
        ("{not json", "cannot read"),
        ('{"type": "no_such_type"}', "of type 'no_such_type'"),
        ('{"type": "authorized_user"}', "cannot read"),  # no refresh token
    ]:
        unreadable.write_text(content)
        settings = Settings(google_application_credentials=str(unreadable))
        with pytest.raises(SettingsError, match=error):
            create_bigquery_client(settings)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection or resolve a name fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


#: What `gcloud auth application-default login` writes.
AUTHORIZED_USER = {
    "type": "authorized_user",
    "client_id": "764086051850-example.apps.googleusercontent.com",
    "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",
    "refresh_token": "1//0example-refresh-token",
    "quota_project_id": "demo-project",
}


def external_account(token_file: Path) -> dict[str, Any]:
    """A Workload Identity Federation configuration, as GitHub's auth action
    writes one, reading its OIDC token from a file."""
    pool = "projects/123456789/locations/global/workloadIdentityPools/github"
    account = "deploy@demo-project.iam.gserviceaccount.com"
    return {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{pool}/providers/my-repo",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "service_account_impersonation_url": (
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
            f"{account}:generateAccessToken"
        ),
        "credential_source": {"file": str(token_file), "format": {"type": "text"}},
    }


def service_account_key() -> dict[str, Any]:
    """A service account key file's content, with a key made for the test."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "0123456789abcdef",
        "private_key": pem.decode(),
        "client_email": "app@demo-project.iam.gserviceaccount.com",
        "client_id": "123456789",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


#: Each credentials file type, what its content is, and what it loads as.
CREDENTIALS_FILES: dict[str, tuple[Callable[[Path], dict[str, Any]], type]] = {
    "authorized_user": (lambda _token: AUTHORIZED_USER, user_credentials.Credentials),
    "external_account": (external_account, identity_pool.Credentials),
    "service_account": (
        lambda _token: service_account_key(),
        service_account.Credentials,
    ),
    "impersonated_service_account": (
        lambda _token: {
            "type": "impersonated_service_account",
            "service_account_impersonation_url": (
                "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
                "app@demo-project.iam.gserviceaccount.com:generateAccessToken"
            ),
            "source_credentials": AUTHORIZED_USER,
            "delegates": [],
        },
        impersonated_credentials.Credentials,
    ),
}


@pytest.mark.parametrize("kind", list(CREDENTIALS_FILES))
def test_every_kind_of_credentials_file_loads_without_the_network(
    kind: str, tmp_path: Path, no_network: None
) -> None:
    token = tmp_path / "oidc-token"
    token.write_text("header.payload.signature")
    make_content, expected = CREDENTIALS_FILES[kind]
    key_file = tmp_path / "credentials.json"
    key_file.write_text(json.dumps(make_content(token)))
    settings = Settings(
        gcp_project_id="demo-project",
        bq_dataset_id="demo",
        google_application_credentials=str(key_file),
    )
    client = create_bigquery_client(settings)
    assert isinstance(client._credentials, expected)
    assert client.project == "demo-project"
    engine = create_bigquery_engine(settings)
    with engine.connect() as connection:  # a DB-API connection: still offline
        assert isinstance(bigquery_module.client_of(connection)._credentials, expected)
    engine.dispose()


def test_location_reaches_the_client_and_the_url(no_network: None) -> None:
    settings = Settings.from_env({"BQ_LOCATION": "europe-west1"}, env_file=None)
    assert settings.bq_location == "europe-west1"
    located = Settings(**{**vars(EMULATOR), "bq_location": "EU"})
    assert create_bigquery_client(located).location == "EU"
    engine = create_bigquery_engine(located)
    assert engine.url.query["location"] == "EU"
    with engine.connect() as connection:
        assert bigquery_module.client_of(connection).location == "EU"
    engine.dispose()
    # Unset: BigQuery's default, and no location in the URL.
    assert Settings.from_env({}, env_file=None).bq_location is None
    assert create_bigquery_client(EMULATOR).location is None
    assert "location" not in create_bigquery_engine(EMULATOR).url.query


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


class StandInClient:
    """Stands in for the BigQuery client's streaming and load calls, which
    it records; `refuse` makes the request of that number fail."""

    def __init__(self, refuse: int | None = None) -> None:
        self.refuse = refuse
        self.requests: list[tuple[str, list[dict[str, Any]], Any]] = []

    def insert_rows_json(
        self, table: Any, rows: list[dict[str, Any]], row_ids: list[str]
    ) -> list[dict[str, Any]]:
        self.requests.append(("stream", rows, row_ids))
        if len(self.requests) == self.refuse:
            return [{"index": 0, "errors": [{"reason": "invalid"}]}]
        return []

    def load_table_from_json(
        self, rows: list[dict[str, Any]], table: Any, job_config: Any
    ) -> Any:
        self.requests.append(("load", rows, job_config))
        failed = len(self.requests) == self.refuse

        class Job:
            errors = [{"reason": "invalid"}] if failed else None

            def result(self) -> None:
                if failed:
                    raise RuntimeError("the load job failed")

        return Job()


def stand_in_repository(
    monkeypatch: pytest.MonkeyPatch, client: StandInClient
) -> AnalyticsRepository:
    """A repository whose session's client is `client`: nothing leaves the process."""
    monkeypatch.setattr(repository_module, "client_of", lambda _session: client)
    monkeypatch.setattr(repository_module, "table_of", lambda *_args: "demo.events")
    return AnalyticsRepository(Session())


def events(count: int) -> list[Any]:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    return [
        {"user_id": f"u{i}", "event_type": "view", "event_timestamp": moment}
        for i in range(count)
    ]


def test_insert_events_streams_in_chunks_never_by_dml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = StandInClient()
    ids = stand_in_repository(monkeypatch, client).insert_events(events(1201))
    assert [len(rows) for _kind, rows, _ids in client.requests] == [500, 500, 201]
    assert {kind for kind, _rows, _ids in client.requests} == {"stream"}
    sent = [row["event_id"] for _kind, rows, _ids in client.requests for row in rows]
    assert sent == ids  # in order, each once
    # The ids go along as insert ids: a retried request is not stored twice.
    assert [i for _kind, _rows, row_ids in client.requests for i in row_ids] == ids
    assert client.requests[0][1][0]["event_timestamp"] == "2030-01-01T00:00:00+00:00"


def test_a_refused_stream_request_says_what_was_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = StandInClient(refuse=2)
    repository = stand_in_repository(monkeypatch, client)
    with pytest.raises(AnalyticsWriteError, match="after storing 500") as refused:
        repository.insert_events(events(STREAM_ROWS * 3))
    assert refused.value.written == [row["event_id"] for row in client.requests[0][1]]
    assert len(client.requests) == 2  # nothing sent after the refusal


def test_streaming_chunks_stay_under_the_request_size() -> None:
    rows = [{"event_id": str(i), "properties": ["x" * 300]} for i in range(10)]
    size = len(json.dumps(rows[0]).encode()) + 1
    chunks = list(chunked(rows, max_rows=500, max_bytes=size * 3))
    assert [len(chunk) for chunk in chunks] == [3, 3, 3, 1]
    assert [row for chunk in chunks for row in chunk] == rows
    with pytest.raises(ValidationError, match="more than a request takes"):
        list(chunked(rows, max_rows=500, max_bytes=size - 1))


def test_load_events_runs_few_load_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repository_module, "LOAD_ROWS", 2)
    client = StandInClient()
    ids = stand_in_repository(monkeypatch, client).load_events(events(5))
    assert [(kind, len(rows)) for kind, rows, _config in client.requests] == [
        ("load", 2),
        ("load", 2),
        ("load", 1),
    ]
    assert [row["event_id"] for _k, rows, _c in client.requests for row in rows] == ids
    config = client.requests[0][2]
    assert config.source_format == "NEWLINE_DELIMITED_JSON"
    assert config.write_disposition == "WRITE_APPEND"
    failing = StandInClient(refuse=2)
    with pytest.raises(AnalyticsWriteError, match="after storing 2"):
        stand_in_repository(monkeypatch, failing).load_events(events(5))


def test_updates_and_deletes_carry_the_partition_filter() -> None:
    """The emulator does not enforce require_partition_filter for DML (BigQuery
    does): the SQL itself shows the filter on the event's day."""
    # 00:30 in Paris in winter is 23:30 UTC the day before: BigQuery's days are UTC.
    late = datetime(2030, 1, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    expected = (
        "`analytics_events`.`event_timestamp` >= TIMESTAMP '2030-01-01 00:00:00+00:00'"
        " AND `analytics_events`.`event_timestamp` < TIMESTAMP '2030-01-02 00:00:00+00:00'"
    )
    for statement in (
        event_delete("e-1", late),
        event_update("e-1", late, {"event_type": "buy"}),
    ):
        sql = compile_for_bigquery(statement)
        assert "`analytics_events`.`event_id` = 'e-1'" in sql
        assert expected in sql
    assert compile_for_bigquery(event_delete("e-1", late)).startswith("DELETE FROM")


def test_writes_by_id_refuse_what_bigquery_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repository = stand_in_repository(monkeypatch, StandInClient())
    with pytest.raises(ValidationError, match="time zone"):
        repository.delete_event("e-1", datetime(2030, 1, 1))
    with pytest.raises(ValidationError, match="nothing to change"):
        repository.update_event("e-1", datetime(2030, 1, 1, tzinfo=UTC))
