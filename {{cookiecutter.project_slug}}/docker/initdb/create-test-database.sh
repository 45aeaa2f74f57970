{%- set db = cookiecutter | backend -%}
{%- if db.initdb_dir -%}
#!/bin/sh
{%- if cookiecutter.database_backend == "postgresql" %}
# Run once by the {{ db.label }} image when its data volume is new (and by CI on
# its service): creates the application's role DB_USER, with the databases
# DB_NAME and DB_NAME_test it owns. The image's own superuser is `postgres`.
{%- else %}
# Run once by the {{ db.label }} image when its data volume is new: creates the
# {% if db.test_database_part == "database" %}database{% else %}user (schema){% endif %} the test suite uses next to the development one.
{%- endif %}
set -eu
{% filter trim %}{% include "backends/" ~ db.name ~ "/initdb.sh" %}{% endfilter %}
{%- endif %}
