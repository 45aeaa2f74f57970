"""The declarative base and the columns every table shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Identity, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import UTCDateTime, utc_now

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
    """Base class of all models; `Base.metadata` lists every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BaseModel(Base):
    """Abstract model with an integer id and creation/update timestamps (UTC)."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Identity(), primary_key=True, sort_order=-1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utc_now, onupdate=utc_now
    )

    def to_dict(self) -> dict[str, Any]:
        """The columns as JSON-friendly values (timestamps in ISO 8601)."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }
