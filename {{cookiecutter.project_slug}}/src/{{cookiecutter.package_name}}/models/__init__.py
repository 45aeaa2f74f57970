{%- if (cookiecutter | backend).relational -%}
"""The models. Importing this package registers every table on `Base.metadata`."""

from .base import Base, BaseModel
from .profile import Profile
from .user import User

__all__ = ["Base", "BaseModel", "Profile", "User"]
{%- else -%}
"""The models: BigQuery tables, registered on `AnalyticsBase.metadata`."""

from .analytics_event import AnalyticsBase, AnalyticsEvent

__all__ = ["AnalyticsBase", "AnalyticsEvent"]
{%- endif %}
