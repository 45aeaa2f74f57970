"""Create every table straight from the models, without Alembic.

Meant for throwaway databases (a demo, a notebook). Build a database you keep
with `alembic upgrade head` instead, so later migrations apply on top of it.

    uv run python scripts/create_tables.py
"""

from __future__ import annotations

from sqlalchemy import Engine

from {{ cookiecutter.package_name }}.infra.database import get_engine
from {{ cookiecutter.package_name }}.models import Base


def create_tables(engine: Engine | None = None) -> list[str]:
    """Create the tables that do not exist yet; returns the names of all tables."""
    Base.metadata.create_all(engine or get_engine())
    return sorted(Base.metadata.tables)


if __name__ == "__main__":
    print("Tables created:", ", ".join(create_tables()))
