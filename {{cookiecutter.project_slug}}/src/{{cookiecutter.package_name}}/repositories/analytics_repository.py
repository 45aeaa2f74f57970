"""Reading and writing analytics events in BigQuery, within the cost rules.

Every read selects named columns (never `*`: BigQuery bills each column it
reads) and filters on `event_timestamp`, the partition column, so only the
days asked for are scanned. Reads are dry-run first (`check_cost`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..infra.bigquery import check_cost, get_bigquery_session
from ..models.analytics_event import AnalyticsEvent, new_event_id
from ..models.types import utc_now
from ..validation import storable_text

#: Reads default to this window, ending now.
DEFAULT_WINDOW = timedelta(days=7)
MAX_LIMIT = 10_000
COLUMNS = (
    AnalyticsEvent.event_id,
    AnalyticsEvent.user_id,
    AnalyticsEvent.event_type,
    AnalyticsEvent.event_timestamp,
    AnalyticsEvent.properties,
)


class NewEvent(TypedDict):
    """One event for `insert_events`."""

    user_id: str
    event_type: str
    properties: NotRequired[Sequence[str]]
    event_timestamp: NotRequired[datetime]


class AnalyticsRepository:
    """Analytics events in BigQuery.

    Pass a session to work inside it; without one, each call opens its own
    (BigQuery has no transactions to share between calls anyway).
    """

    def __init__(self, session: Session | None = None) -> None:
        self._session = session

    def insert_event(
        self,
        user_id: str,
        event_type: str,
        properties: Sequence[str] = (),
        timestamp: datetime | None = None,
    ) -> str:
        """Record one event; returns its id (a UUID made here, not by BigQuery)."""
        [event_id] = self.insert_events(
            [
                {
                    "user_id": user_id,
                    "event_type": event_type,
                    "properties": properties,
                    "event_timestamp": timestamp or utc_now(),
                }
            ]
        )
        return event_id

    def insert_events(self, events: Iterable[NewEvent]) -> list[str]:
        """Record many events in one INSERT statement; returns their ids in order."""
        rows = [_row(event) for event in events]
        if rows:
            with self._use() as session:
                session.execute(insert(AnalyticsEvent).values(rows))
        return [row["event_id"] for row in rows]

    def list_events(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        event_type: str | None = None,
        user_id: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Events from `since` up to `until` (default: the last 7 days), newest first."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be 1 to {MAX_LIMIT}, got {limit}")
        statement = select(*COLUMNS).where(_window(since, until))
        if event_type is not None:
            statement = statement.where(AnalyticsEvent.event_type == event_type)
        if user_id is not None:
            statement = statement.where(AnalyticsEvent.user_id == user_id)
        statement = statement.order_by(AnalyticsEvent.event_timestamp.desc()).limit(
            limit
        )
        with self._use() as session:
            check_cost(statement)
            return [_event(row._mapping) for row in session.execute(statement)]

    def count_by_type(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> dict[str, int]:
        """How many events of each type happened in the window."""
        statement = (
            select(AnalyticsEvent.event_type, func.count().label("events"))
            .where(_window(since, until))
            .group_by(AnalyticsEvent.event_type)
        )
        with self._use() as session:
            check_cost(statement)
            return {row.event_type: row.events for row in session.execute(statement)}

    @contextmanager
    def _use(self) -> Iterator[Session]:
        if self._session is not None:
            yield self._session
        else:
            with get_bigquery_session() as session:
                yield session


def _window(since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    """The filter on the partition column that every read carries."""
    until = until or utc_now()
    since = since or until - DEFAULT_WINDOW
    if since.tzinfo is None or until.tzinfo is None:
        raise ValidationError("since and until need a time zone")
    return AnalyticsEvent.event_timestamp.between(since, until)


def _row(event: NewEvent) -> dict[str, Any]:
    timestamp = event.get("event_timestamp") or utc_now()
    if timestamp.tzinfo is None:
        raise ValidationError("event_timestamp needs a time zone")
    return {
        "event_id": new_event_id(),
        "user_id": storable_text("user_id", event["user_id"], 200),
        "event_type": storable_text("event_type", event["event_type"], 100),
        "event_timestamp": timestamp,
        "properties": [
            storable_text("property", p, 1000) for p in event.get("properties", ())
        ],
    }


def _event(row: Any) -> dict[str, Any]:
    return {
        "event_id": row["event_id"],
        "user_id": row["user_id"],
        "event_type": row["event_type"],
        "event_timestamp": row["event_timestamp"].isoformat(),
        "properties": list(row["properties"] or []),
    }
