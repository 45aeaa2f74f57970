{%- set relational = (cookiecutter | backend).relational -%}
"""BigQuery for real, on the emulator: the table, inserts, reads, the partition rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import bigquery
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.infra import bigquery as bigquery_module
from {{ cookiecutter.package_name }}.infra.bigquery import (
    client_of,
    ensure_dataset,
    estimate_bytes,
)
{%- if relational %}
from {{ cookiecutter.package_name }}.infra.data_access import DataAccess
{%- endif %}
from {{ cookiecutter.package_name }}.models.analytics_event import (
    AnalyticsEvent,
)
from {{ cookiecutter.package_name }}.repositories.analytics_repository import (
    AnalyticsRepository,
)
from {{ cookiecutter.package_name }}.settings import SettingsError

NOW = datetime.now(UTC)


@pytest.fixture
def user() -> str:
    """A user id of this test's own: BigQuery cannot roll back other tests' rows."""
    return f"user-{uuid.uuid4()}"


def test_migration_made_the_partitioned_clustered_table(
    analytics_engine: Engine, analytics_client: bigquery.Client, analytics_dataset: str
) -> None:
    table = analytics_client.get_table(f"{analytics_dataset}.analytics_events")
    assert table.time_partitioning.type_ == "DAY"
    assert table.time_partitioning.field == "event_timestamp"
    assert table.clustering_fields == ["event_type", "user_id"]
    assert table.require_partition_filter is True
    assert [field.name for field in table.schema] == [
        "event_id",
        "user_id",
        "event_type",
        "event_timestamp",
        "properties",
    ]


def test_insert_event_returns_the_id_it_wrote(
    analytics_session: Session, user: str
) -> None:
    repository = AnalyticsRepository(analytics_session)
    event_id = repository.insert_event(user, "signup", ["plan=free", "ref=ad"])
    [event] = repository.list_events(user_id=user)
    assert event["event_id"] == event_id
    assert event["event_type"] == "signup"
    assert event["properties"] == ["plan=free", "ref=ad"]
    assert datetime.fromisoformat(event["event_timestamp"]).tzinfo is not None


def test_list_events_reads_only_the_window_asked_for(
    analytics_session: Session, user: str
) -> None:
    repository = AnalyticsRepository(analytics_session)
    old = NOW - timedelta(days=30)
    repository.insert_events(
        [
            {"user_id": user, "event_type": "view", "event_timestamp": old},
            {"user_id": user, "event_type": "view", "event_timestamp": NOW},
            {"user_id": user, "event_type": "buy", "event_timestamp": NOW},
        ]
    )
    assert len(repository.list_events(user_id=user)) == 2  # the last 7 days
    month = repository.list_events(NOW - timedelta(days=31), NOW, user_id=user)
    assert len(month) == 3
    bought = repository.list_events(event_type="buy", user_id=user)
    assert [event["event_type"] for event in bought] == ["buy"]


def test_count_by_type(analytics_session: Session, user: str) -> None:
    repository = AnalyticsRepository(analytics_session)
    day = NOW - timedelta(days=400)  # a window of this test's own
    repository.insert_events(
        [
            {"user_id": user, "event_type": kind, "event_timestamp": day}
            for kind in "aab"
        ]
    )
    window = (day - timedelta(hours=1), day + timedelta(hours=1))
    assert repository.count_by_type(*window) == {"a": 2, "b": 1}


def test_without_a_session_each_call_opens_its_own(
    analytics_session: Session, user: str
) -> None:
    repository = AnalyticsRepository()  # uses get_bigquery_session()
    event_id = repository.insert_event(user, "standalone")
    assert [e["event_id"] for e in repository.list_events(user_id=user)] == [event_id]


def test_queries_without_a_partition_filter_are_refused(
    analytics_session: Session,
) -> None:
    with pytest.raises(DatabaseError, match="without a filter over column"):
        analytics_session.execute(select(AnalyticsEvent.user_id)).all()


def test_text_queries_bind_parameters(analytics_session: Session, user: str) -> None:
    AnalyticsRepository(analytics_session).insert_event(user, "click")
    statement = text(
        "SELECT event_type FROM analytics_events"
        " WHERE user_id = :user AND event_timestamp >= :since"
    )
    since = NOW - timedelta(days=1)
    rows = analytics_session.execute(statement, {"user": user, "since": since})
    assert [row.event_type for row in rows] == ["click"]


def test_dry_run_checks_the_sql_without_running_it(
    analytics_session: Session, analytics_client: bigquery.Client
) -> None:
    good = select(AnalyticsEvent.event_id).where(AnalyticsEvent.event_timestamp >= NOW)
    assert estimate_bytes(good, analytics_client) >= 0
    bad = select(AnalyticsEvent.event_id)  # no partition filter
    with pytest.raises(Exception, match="without a filter over column"):
        estimate_bytes(bad, analytics_client)


def test_streaming_inserts_store_every_chunk(
    analytics_session: Session, user: str
) -> None:
    repository = AnalyticsRepository(analytics_session)
    day = NOW - timedelta(days=200)
    ids = repository.insert_events(
        [{"user_id": user, "event_type": "tick", "event_timestamp": day}] * 501
    )  # two requests: 500 rows, then 1
    assert len(set(ids)) == 501
    window = (day - timedelta(hours=1), day + timedelta(hours=1))
    assert repository.count_by_type(*window) == {"tick": 501}


def test_load_events_stores_through_a_load_job(
    analytics_session: Session, user: str
) -> None:
    repository = AnalyticsRepository(analytics_session)
    ids = repository.load_events(
        [
            {"user_id": user, "event_type": "import", "properties": ["a"]},
            {"user_id": user, "event_type": "import"},
        ]
    )
    listed = repository.list_events(user_id=user)
    assert sorted(e["event_id"] for e in listed) == sorted(ids)
    assert sorted(e["properties"] for e in listed) == [[], ["a"]]


def test_update_and_delete_by_id_within_the_events_day(
    analytics_session: Session, user: str
) -> None:
    repository = AnalyticsRepository(analytics_session)
    when = NOW - timedelta(days=2)
    kept, changed = repository.load_events(
        [{"user_id": user, "event_type": "view", "event_timestamp": when}] * 2
    )
    assert repository.update_event(changed, when, event_type="buy", properties=["x"])
    by_id = {e["event_id"]: e for e in repository.list_events(user_id=user)}
    assert by_id[changed]["event_type"] == "buy"
    assert by_id[changed]["properties"] == ["x"]
    assert by_id[kept]["event_type"] == "view"
    # Another day's partition does not hold the event: nothing happens.
    assert not repository.delete_event(changed, when - timedelta(days=1))
    assert repository.delete_event(changed, when)
    assert not repository.delete_event(changed, when)
    assert [e["event_id"] for e in repository.list_events(user_id=user)] == [kept]


def test_cost_checks_reuse_the_engine_client_and_the_session_dataset(
    analytics_session: Session,
    analytics_dataset: str,
    user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_new_client(*_args: object) -> bigquery.Client:
        raise AssertionError("a new client was made")

    monkeypatch.setattr(bigquery_module, "create_bigquery_client", no_new_client)
    client = client_of(analytics_session)
    assert client_of(analytics_session) is client
    dry_runs: list[str] = []
    query = client.query

    def recording_query(sql: str, **kwargs: object) -> bigquery.QueryJob:
        config = kwargs.get("job_config")
        if isinstance(config, bigquery.QueryJobConfig) and config.dry_run:
            dry_runs.append(sql)
        return query(sql, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "query", recording_query)
    repository = AnalyticsRepository(analytics_session)
    repository.insert_event(user, "click")
    assert len(repository.list_events(user_id=user)) == 1
    assert repository.count_by_type()["click"] >= 1
    assert len(dry_runs) == 2  # one per read, on the engine's client
    # Unqualified names in the dry runs resolve in the session's dataset (the
    # test one), not BQ_DATASET_ID's, which has no analytics_events table.
    config = client.default_query_job_config
    assert config is not None
    assert config.default_dataset.dataset_id == analytics_dataset


def test_datasets_are_created_in_bq_location(
    analytics_client: bigquery.Client, analytics_dataset: str
) -> None:
    name = f"{analytics_dataset}_eu"
    analytics_client.delete_dataset(name, not_found_ok=True)
    try:
        assert ensure_dataset(analytics_client, name, "EU").location == "EU"
        assert analytics_client.get_dataset(name).location == "EU"
        assert ensure_dataset(analytics_client, name, "eu").location == "EU"
        with pytest.raises(SettingsError, match="set BQ_LOCATION=EU"):
            ensure_dataset(analytics_client, name, "US")
    finally:
        analytics_client.delete_dataset(name, not_found_ok=True)
{%- if relational %}


def test_data_access_hands_out_both_kinds_of_session(
    analytics_session: Session, session_factory: object
) -> None:
    with DataAccess.get_analytics_session() as analytics:
        assert analytics.get_bind().dialect.name == "bigquery"
    with DataAccess.get_operational_session() as operational:
        assert operational.get_bind().dialect.name != "bigquery"
{%- endif %}
