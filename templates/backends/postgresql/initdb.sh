# The application's role is no superuser: it owns its two databases and may
# create more (the test suite makes one per pytest-xdist worker). psql reads
# the values from the environment and quotes them (:"name", :'literal').
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
\getenv user APP_DB_USER
\getenv password APP_DB_PASSWORD
\getenv name APP_DB_NAME
\set test_name :name _test
CREATE ROLE :"user" LOGIN CREATEDB PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"user";
CREATE DATABASE :"test_name" OWNER :"user";
SQL
