"""The models. Importing this package registers every table on `Base.metadata`."""

from .base import Base, BaseModel
from .profile import Profile
from .user import User

__all__ = ["Base", "BaseModel", "Profile", "User"]
