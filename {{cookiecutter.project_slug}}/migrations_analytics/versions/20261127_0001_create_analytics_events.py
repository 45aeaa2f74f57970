"""Create the analytics_events table: partitioned by day, clustered, filter required.

Revision ID: a0001
Revises:
Create Date: 2026-11-27 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from google.cloud.bigquery import TimePartitioning

revision: str = "a0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("event_timestamp", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("properties", sa.ARRAY(sa.String()), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
        bigquery_time_partitioning=TimePartitioning(field="event_timestamp"),
        bigquery_clustering_fields=["event_type", "user_id"],
        bigquery_require_partition_filter=True,
    )


def downgrade() -> None:
    op.drop_table("analytics_events")
