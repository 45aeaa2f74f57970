"""The models: BigQuery tables, registered on `AnalyticsBase.metadata`."""

from .analytics_event import AnalyticsBase, AnalyticsEvent

__all__ = ["AnalyticsBase", "AnalyticsEvent"]
