"""scripts/create_tables.py builds every table of the models on a fresh database."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from sqlalchemy import inspect

from {{ cookiecutter.package_name }}.infra import database
from {{ cookiecutter.package_name }}.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_create_tables_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'fresh.db'}"
    engine = database.create_db_engine(url, Settings())
    # Run as `python scripts/create_tables.py` runs it, in this process.
    script = PROJECT_ROOT / "scripts" / "create_tables.py"
    with database.use_database(engine):
        runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip() == "Tables created: profiles, users"
    assert {"users", "profiles"} <= set(inspect(engine).get_table_names())
    engine.dispose()
