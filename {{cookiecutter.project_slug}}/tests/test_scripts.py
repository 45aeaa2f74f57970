"""scripts/create_tables.py builds every table of the models on a fresh database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_create_tables_script(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "create_tables.py")],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": f"sqlite+pysqlite:///{database}"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "Tables created: profiles, users"
    with sqlite3.connect(database) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"users", "profiles"} <= names
