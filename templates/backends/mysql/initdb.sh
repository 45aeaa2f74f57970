# The mariadb client cannot quote names: they are checked instead. The
# password goes through the environment, not the command line.
case "$MARIADB_DATABASE" in ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) echo "MARIADB_DATABASE: use letters, digits and _ only" >&2; exit 1;; esac
case "$MARIADB_USER" in ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) echo "MARIADB_USER: use letters, digits and _ only" >&2; exit 1;; esac
MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb --user=root <<SQL
CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE}_test\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON \`${MARIADB_DATABASE}_test\`.* TO '${MARIADB_USER}'@'%';
SQL
