"""Analytics events, stored in BigQuery."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from google.cloud.bigquery import TimePartitioning
from sqlalchemy import ARRAY, TIMESTAMP, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import utc_now


def new_event_id() -> str:
    """A random UUID: BigQuery has no autoincrement, so ids are made here."""
    return str(uuid.uuid4())


class AnalyticsBase(DeclarativeBase):
    """Base of the BigQuery models; their metadata is apart from any other database's."""


class AnalyticsEvent(AnalyticsBase):
    """One thing a user did, kept for reporting.

    The table is partitioned by day on `event_timestamp` and clustered on
    `event_type` and `user_id`: a query filtered on those reads only the days
    and blocks it needs, which is what BigQuery bills. It refuses queries
    without a filter on `event_timestamp` (require_partition_filter), UPDATE
    and DELETE included: never `session.get()`, `session.refresh()` or an ORM
    change on this class, whose SQL filters on `event_id` alone; use
    `AnalyticsRepository.update_event` / `delete_event`, which take the time.
    BigQuery enforces no primary key; `event_id` is unique because it is a
    UUID made by `new_event_id`.
    """

    __tablename__ = "analytics_events"
    __table_args__ = {  # noqa: RUF012 - read once, when SQLAlchemy maps the class
        "bigquery_time_partitioning": TimePartitioning(field="event_timestamp"),
        "bigquery_clustering_fields": ["event_type", "user_id"],
        "bigquery_require_partition_filter": True,
    }

    event_id: Mapped[str] = mapped_column(
        String, primary_key=True, default=new_event_id
    )
    user_id: Mapped[str] = mapped_column(String)
    event_type: Mapped[str] = mapped_column(String)
    event_timestamp: Mapped[datetime] = mapped_column(
        TIMESTAMP(timezone=True), default=utc_now
    )
    # BigQuery arrays cannot be NOT NULL; an empty list reads back as [].
    properties: Mapped[list[str] | None] = mapped_column(ARRAY(String))

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-friendly values."""
        return {
            "event_id": self.event_id,
            "user_id": self.user_id,
            "event_type": self.event_type,
            "event_timestamp": self.event_timestamp.isoformat(),
            "properties": list(self.properties or []),
        }
