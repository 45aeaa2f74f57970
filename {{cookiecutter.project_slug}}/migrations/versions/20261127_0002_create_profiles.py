{%- set string = (cookiecutter | backend).string_type -%}
"""Create the profiles table (one per user, deleted with the user).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 00:00:01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from {{ cookiecutter.package_name }}.models.types import UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: 64-bit integers; INTEGER on SQLite, where only that makes a key the rowid.
BIG_INTEGER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", BIG_INTEGER, sa.Identity(always=False), nullable=False),
        sa.Column("user_id", BIG_INTEGER, nullable=False),
        sa.Column("bio", sa.{{ string }}(length=1000), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", BIG_INTEGER, server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_profiles_user_id")),
    )


def downgrade() -> None:
    op.drop_table("profiles")
