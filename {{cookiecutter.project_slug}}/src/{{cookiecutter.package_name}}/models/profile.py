{%- set string = (cookiecutter | backend).string_type -%}
"""A user's profile: the one-to-one relation the eager-loading examples use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, {{ string }}
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..validation import column_text
from .base import BaseModel

if TYPE_CHECKING:
    from .user import User

BIO_MAX_LENGTH = 1000


class Profile(BaseModel):
    """Optional details of a user, deleted with the user.

    An empty bio is no bio: "" is stored as None (NULL) on every database, as
    Oracle, which stores an empty string as NULL, would anyway.
    """

    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    bio: Mapped[str | None] = mapped_column({{ string }}(BIO_MAX_LENGTH))
    user: Mapped[User] = relationship(back_populates="profile")

    @validates("bio")
    def _validate_bio(self, _key: str, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return column_text("bio", value, BIO_MAX_LENGTH)

    def to_dict(self) -> dict[str, Any]:
        """The profile's fields as JSON-friendly values."""
        return {**super().to_dict(), "user_id": self.user_id, "bio": self.bio}

    def __repr__(self) -> str:
        return f"Profile(id={self.id!r}, user_id={self.user_id!r})"
