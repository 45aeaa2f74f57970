"""One entry point to both stores: the operational database and BigQuery.

The operational database ({{ (cookiecutter | backend).label }}) keeps what the application reads and
changes row by row: user accounts, orders, anything that needs transactions.
BigQuery keeps the analytics: events, history, reports over many rows.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from .bigquery import get_bigquery_session
from .database import get_session


class DataAccess:
    """Sessions for each store, named by what they are for."""

    @staticmethod
    def get_operational_session() -> AbstractContextManager[Session]:
        """A transactional session on the operational database (`get_session`)."""
        return get_session()

    @staticmethod
    def get_analytics_session() -> AbstractContextManager[Session]:
        """A session on BigQuery, for analytical queries (`get_bigquery_session`)."""
        return get_bigquery_session()
