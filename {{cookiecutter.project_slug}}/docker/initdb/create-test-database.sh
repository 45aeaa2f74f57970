{%- set db = cookiecutter._backends[cookiecutter.database_backend] -%}
{%- if db.initdb_dir -%}
#!/bin/sh
# Run once by the {{ db.label }} image when its data volume is new: creates the
# {% if db.test_database_part == "database" %}database{% else %}user (schema){% endif %} the test suite uses next to the development one.
set -eu
{{ db.create_test_database }}
{%- endif %}
