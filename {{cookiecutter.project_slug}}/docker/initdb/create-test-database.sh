{%- set db = cookiecutter._backends[cookiecutter.database_backend] -%}
{%- if db.server -%}
#!/bin/sh
# Run once by the {{ db.label }} image when its data volume is new: creates the
# database the test suite uses ("<DB_NAME>_test") next to the development one.
set -eu
{{ db.create_test_database }}
{%- endif %}
