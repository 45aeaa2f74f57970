"""Environments shared by the template's tests and its benchmark (bench/)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

#: The cookiecutter users run: `uvx cookiecutter` takes the newest.
COOKIECUTTER = "cookiecutter==2.7.1"


def bare_cookiecutter(uv: str, python: str, folder: Path) -> Path:
    """A virtual environment in `folder` with cookiecutter and nothing else
    (how `uvx cookiecutter` runs a template); its `cookiecutter` command."""
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv, "venv", "-q", "--python", python, str(folder)], check=True, env=env
    )
    python_in_venv = str(folder / "bin" / "python")
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", python_in_venv, COOKIECUTTER],
        check=True,
        env=env,
    )
    return folder / "bin" / "cookiecutter"
