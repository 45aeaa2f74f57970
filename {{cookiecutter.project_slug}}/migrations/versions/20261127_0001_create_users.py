{%- set string = (cookiecutter | backend).string_type -%}
"""Create the users table.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from {{ cookiecutter.package_name }}.models.types import UTCDateTime

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: 64-bit integers; INTEGER on SQLite, where only that makes a key the rowid.
BIG_INTEGER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", BIG_INTEGER, sa.Identity(always=False), nullable=False),
        sa.Column("username", sa.{{ string }}(length=100), nullable=False),
        sa.Column("username_key", sa.{{ string }}(length=200), nullable=False),
        sa.Column("email", sa.{{ string }}(length=255), nullable=False),
        sa.Column("password_hash", sa.{{ string }}(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", BIG_INTEGER, server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sa.UniqueConstraint("username_key", name=op.f("uq_users_username_key")),
    )


def downgrade() -> None:
    op.drop_table("users")
