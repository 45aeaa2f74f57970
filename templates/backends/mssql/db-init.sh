# sqlcmd binds no values: the names are checked, the password's quotes are
# doubled, and the SQL goes on stdin (-x: no $(...) substitution in it), so no
# password is on a command line.
case "$DB_NAME" in ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) echo "DB_NAME: use letters, digits and _ only" >&2; exit 1;; esac
case "$DB_USER" in ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) echo "DB_USER: use letters, digits and _ only" >&2; exit 1;; esac
case "$DB_USER" in [Ss][Aa]) echo "DB_USER: the application's own login, not sa" >&2; exit 1;; esac
password=$(printf '%s' "$DB_PASSWORD" | sed "s/'/''/g")
export SQLCMDPASSWORD="$MSSQL_SA_PASSWORD"
/opt/mssql-tools18/bin/sqlcmd -C -S db -U sa -b -x <<SQL
IF SUSER_ID(N'$DB_USER') IS NULL CREATE LOGIN [$DB_USER] WITH PASSWORD = N'$password';
ALTER SERVER ROLE dbcreator ADD MEMBER [$DB_USER];
GO
IF DB_ID(N'$DB_NAME') IS NULL CREATE DATABASE [$DB_NAME] COLLATE Latin1_General_100_CI_AS_SC_UTF8;
IF DB_ID(N'${DB_NAME}_test') IS NULL CREATE DATABASE [${DB_NAME}_test] COLLATE Latin1_General_100_CI_AS_SC_UTF8;
GO
IF (SELECT is_read_committed_snapshot_on FROM sys.databases WHERE name = N'$DB_NAME') = 0 ALTER DATABASE [$DB_NAME] SET READ_COMMITTED_SNAPSHOT ON;
IF (SELECT is_read_committed_snapshot_on FROM sys.databases WHERE name = N'${DB_NAME}_test') = 0 ALTER DATABASE [${DB_NAME}_test] SET READ_COMMITTED_SNAPSHOT ON;
ALTER AUTHORIZATION ON DATABASE::[$DB_NAME] TO [$DB_USER];
ALTER AUTHORIZATION ON DATABASE::[${DB_NAME}_test] TO [$DB_USER];
GO
SQL
