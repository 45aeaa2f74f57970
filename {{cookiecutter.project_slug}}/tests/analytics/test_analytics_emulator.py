{%- set relational = cookiecutter._backends[cookiecutter.database_backend].relational -%}
"""BigQuery for real, on the emulator: the table, inserts, reads, the partition rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import bigquery
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.infra.bigquery import estimate_bytes
{%- if relational %}
from {{ cookiecutter.package_name }}.infra.data_access import DataAccess
{%- endif %}
from {{ cookiecutter.package_name }}.models.analytics_event import (
    AnalyticsEvent,
)
from {{ cookiecutter.package_name }}.repositories.analytics_repository import (
    AnalyticsRepository,
)

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
{%- if relational %}


def test_data_access_hands_out_both_kinds_of_session(
    analytics_session: Session, session_factory: object
) -> None:
    with DataAccess.get_analytics_session() as analytics:
        assert analytics.get_bind().dialect.name == "bigquery"
    with DataAccess.get_operational_session() as operational:
        assert operational.get_bind().dialect.name != "bigquery"
{%- endif %}
