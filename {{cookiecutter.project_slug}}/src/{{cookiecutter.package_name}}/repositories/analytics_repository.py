"""Reading and writing analytics events in BigQuery, within the cost rules.

Every read selects named columns (never `*`: BigQuery bills each column it
reads) and filters on `event_timestamp`, the partition column, so only the
days asked for are scanned. Reads are dry-run first (`check_cost`), on the
session's own client and dataset.

Writes, and what they cost (BigQuery's published prices and quotas):

- `insert_event` / `insert_events`: streaming inserts (`tabledata.insertAll`),
  at most STREAM_ROWS rows and STREAM_BYTES bytes of JSON per request. No job
  quota; billed per byte sent (each row counts as at least 1 KB). Rows can be
  read at once, but cannot be updated or deleted while in the streaming
  buffer (up to about 30 minutes).
- `load_events`: load jobs, at most LOAD_ROWS rows each. Free, but each table
  takes at most 1,500 load jobs a day: for backfills and batches, not for one
  event at a time. Rows can be updated and deleted once the job is done.
- Never a DML `INSERT` per event: BigQuery runs about 1,500 INSERT statements
  per table a day at once, then queues them (10 running, 100 waiting), and
  bills each one for at least 10 MB.
- `update_event` / `delete_event`: DML, billed by the bytes they scan. The
  table requires a partition filter for every statement, so they take the
  event's time as well as its id and touch that day only. Never use
  `session.get()`, `session.refresh()` or ORM changes to an `AnalyticsEvent`:
  the SQL they write filters on `event_id` alone, which BigQuery refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NotRequired, TypedDict, cast

from google.cloud import bigquery
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Result,
    Update,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from ..errors import AnalyticsWriteError, ValidationError
from ..infra.bigquery import check_cost, client_of, get_bigquery_session, table_of
from ..models.analytics_event import AnalyticsEvent, new_event_id
from ..models.types import utc_now
from ..validation import storable_text

#: Reads default to this window, ending now.
DEFAULT_WINDOW = timedelta(days=7)
MAX_LIMIT = 10_000
#: Rows per streaming request: BigQuery recommends 500 (it takes 50,000).
STREAM_ROWS = 500
#: JSON bytes per streaming request: BigQuery takes 10 MB; this leaves room
#: for the request's own envelope.
STREAM_BYTES = 9 * 1024 * 1024
#: Rows per load job: few jobs (1,500 per table a day), bounded memory.
LOAD_ROWS = 100_000
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
        """Record one event (a streaming insert); returns its id (a UUID made
        here, not by BigQuery)."""
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
        """Record events by streaming inserts, in requests of at most STREAM_ROWS
        rows and STREAM_BYTES bytes; returns their ids in order.

        Each request is all or nothing; AnalyticsWriteError says which events
        the requests before a refused one stored. The event ids go along as
        insert ids, so BigQuery drops a row the client's retry sends twice.
        """
        rows = [_row(event) for event in events]
        written: list[str] = []
        if not rows:
            return written
        with self._use() as session:
            client, table = client_of(session), table_of(session, TABLE)
            for chunk in chunked(rows, STREAM_ROWS, STREAM_BYTES):
                ids = [row["event_id"] for row in chunk]
                errors = client.insert_rows_json(table, chunk, row_ids=ids)
                if errors:
                    raise AnalyticsWriteError(written, list(errors))
                written += ids
        return written

    def load_events(self, events: Iterable[NewEvent]) -> list[str]:
        """Record events by load jobs of at most LOAD_ROWS rows (free; 1,500 jobs
        per table a day); returns their ids in order, once the jobs are done.

        A job stores all its rows or none; AnalyticsWriteError says which
        events the jobs before a failed one stored.
        """
        rows = [_row(event) for event in events]
        written: list[str] = []
        if not rows:
            return written
        with self._use() as session:
            client, table = client_of(session), table_of(session, TABLE)
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
                write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            )
            for chunk in chunked(rows, LOAD_ROWS):
                job = client.load_table_from_json(chunk, table, job_config=config)
                try:
                    job.result()
                except Exception as error:
                    errors = job.errors or [str(error)]
                    raise AnalyticsWriteError(written, list(errors)) from error
                written += [row["event_id"] for row in chunk]
        return written

    def update_event(
        self,
        event_id: str,
        event_timestamp: datetime,
        *,
        event_type: str | None = None,
        properties: Sequence[str] | None = None,
    ) -> bool:
        """Change an event, found by its id and time; False if there is none.

        The time selects the event's day partition, which the table requires;
        rows streamed in the last half hour or so cannot be changed yet.
        """
        values: dict[str, Any] = {}
        if event_type is not None:
            values["event_type"] = storable_text("event_type", event_type, 100)
        if properties is not None:
            values["properties"] = [
                storable_text("property", p, 1000) for p in properties
            ]
        if not values:
            raise ValidationError("nothing to change: give event_type or properties")
        statement = event_update(event_id, event_timestamp, values)
        with self._use() as session:
            return _changed(session.execute(statement))

    def delete_event(self, event_id: str, event_timestamp: datetime) -> bool:
        """Delete an event, found by its id and time; False if there is none.

        The time selects the event's day partition, as for `update_event`.
        """
        statement = event_delete(event_id, event_timestamp)
        with self._use() as session:
            return _changed(session.execute(statement))

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
            check_cost(statement, client=client_of(session))
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
            check_cost(statement, client=client_of(session))
            return {row.event_type: row.events for row in session.execute(statement)}

    @contextmanager
    def _use(self) -> Iterator[Session]:
        if self._session is not None:
            yield self._session
        else:
            with get_bigquery_session() as session:
                yield session


TABLE = AnalyticsEvent.__tablename__


def chunked(
    rows: Sequence[dict[str, Any]], max_rows: int, max_bytes: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """`rows` in order, in lists of at most `max_rows` rows and (if given)
    `max_bytes` bytes of JSON; a row larger than `max_bytes` alone is a
    ValidationError (BigQuery would refuse the request)."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        row_size = len(json.dumps(row).encode()) + 1  # and a comma
        if max_bytes is not None and row_size > max_bytes:
            raise ValidationError(
                f"an event of {row_size:,} bytes is more than a request takes"
            )
        if chunk and (
            len(chunk) == max_rows
            or (max_bytes is not None and size + row_size > max_bytes)
        ):
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        yield chunk


def _partition_day(moment: datetime) -> ColumnElement[bool]:
    """The filter on the partition column naming the (UTC) day of `moment`."""
    if moment.tzinfo is None:
        raise ValidationError("event_timestamp needs a time zone")
    start = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    column = AnalyticsEvent.event_timestamp
    return (column >= start) & (column < start + timedelta(days=1))


def event_update(
    event_id: str, event_timestamp: datetime, values: dict[str, Any]
) -> Update:
    """UPDATE of one event by id, within its day partition (required)."""
    return (
        update(AnalyticsEvent)
        .where(AnalyticsEvent.event_id == event_id, _partition_day(event_timestamp))
        .values(values)
    )


def event_delete(event_id: str, event_timestamp: datetime) -> Delete:
    """DELETE of one event by id, within its day partition (required)."""
    return delete(AnalyticsEvent).where(
        AnalyticsEvent.event_id == event_id, _partition_day(event_timestamp)
    )


def _changed(result: Result[Any]) -> bool:
    """Whether a DML statement changed a row (BigQuery reports how many)."""
    return bool(cast(CursorResult[Any], result).rowcount)


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
        # JSON, as streaming and load jobs take it: RFC 3339 in UTC.
        "event_timestamp": timestamp.astimezone(UTC).isoformat(),
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
