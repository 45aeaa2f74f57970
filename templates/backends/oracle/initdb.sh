# Names are checked, then quoted (in upper case, as Oracle stores unquoted
# ones); the passwords go on stdin, not the command line.
case "$APP_USER" in ''|[!A-Za-z]*|*[!A-Za-z0-9_]*) echo "APP_USER: use letters, digits and _ only" >&2; exit 1;; esac
nl='
'
case "$ORACLE_PASSWORD$APP_USER_PASSWORD" in *\"*|*"$nl"*) echo 'ORACLE_PASSWORD, APP_USER_PASSWORD: no " and no line break' >&2; exit 1;; esac
user="$(printf '%s_test' "$APP_USER" | tr '[:lower:]' '[:upper:]')"
sqlplus -s -L /nolog <<SQL
WHENEVER SQLERROR EXIT FAILURE
CONNECT sys/"${ORACLE_PASSWORD}"@//localhost:1521/FREEPDB1 AS SYSDBA
CREATE USER "${user}" IDENTIFIED BY "${APP_USER_PASSWORD}" QUOTA UNLIMITED ON USERS;
GRANT CONNECT, RESOURCE, CREATE VIEW TO "${user}";
SQL
