"""The declarative base and the columns every table shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Identity, MetaData, text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from .types import BIG_INTEGER, UTCDateTime, utc_now

#: Every constraint and index gets a predictable name, so migrations can drop
#: or alter it on any database (without one, each database invents its own).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of all models; `Base.metadata` lists every table.

    A `Mapped[int]` column is a 64-bit BIGINT (`BIG_INTEGER`): an id, and every
    foreign key that holds one, never runs out. Name `Integer` in
    `mapped_column()` for a column that 32 bits will always fit.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {int: BIG_INTEGER}  # noqa: RUF012 - read when mapping


class BaseModel(Base):
    """Abstract model with a 64-bit id, a version and timestamps (UTC).

    `version` makes updates optimistic: every UPDATE of a row checks the
    version the session read and raises it by one. When another unit of work
    changed the row in between, the UPDATE matches no row and the flush fails
    (`ConcurrentUpdateError` from `get_session()`) instead of silently
    overwriting the other change. Run the whole unit of work again to apply the
    change to the current row. For counters and balances, where waiting beats
    retrying, lock the row while reading it: `select(...).with_for_update()`.
    """

    __abstract__ = True

    id: Mapped[int] = mapped_column(Identity(), primary_key=True, sort_order=-1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, onupdate=utc_now
    )
    #: Starts at 1; the server default serves rows inserted by other clients.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    @declared_attr.directive
    @classmethod
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}

    def to_dict(self) -> dict[str, Any]:
        """The columns as JSON-friendly values (timestamps in ISO 8601)."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
