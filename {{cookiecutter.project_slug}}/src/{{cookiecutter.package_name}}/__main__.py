"""`python -m {{ cookiecutter.package_name }}`: the project's command line (cli.py)."""

from .cli import main

main()
