


#: SQL Server's administrator, the one login a new server has.
ADMIN_LOGIN = "sa"
#: Creates a login that may create databases (dbcreator), and so owns the ones
#: it creates, and nothing more. DDL takes no bound values: the server quotes
#: the bound name and password itself (QUOTENAME), so any characters are safe.
CREATE_LOGIN = text(
    "DECLARE @login sysname = :login, @password nvarchar(128) = :password,"
    " @sql nvarchar(max);"
    " IF SUSER_ID(@login) IS NULL BEGIN"
    " SET @sql = N'CREATE LOGIN ' + QUOTENAME(@login)"
    " + N' WITH PASSWORD = ' + QUOTENAME(@password, N'''');"
    " EXEC (@sql); END;"
    " SET @sql = N'ALTER SERVER ROLE dbcreator ADD MEMBER ' + QUOTENAME(@login);"
    " EXEC (@sql);"
)
#: QUOTENAME's limit (it returns NULL beyond it), and SQL Server's.
LOGIN_NAME_MAX = PASSWORD_MAX = 128


def ensure_login(url: URL, admin_password: str) -> None:
    """Create `url`'s login, as ADMIN_LOGIN, unless it exists.

    CI's SQL Server service has only `sa`; docker compose's db-init does the
    same for development. DBAPIError when the server cannot be reached or
    refuses `sa`; DatabaseCreationError when it refuses the login (its
    password policy, for one).
    """
    login, password = url.username or "", url.password or ""
    if not 0 < len(login) <= LOGIN_NAME_MAX or len(password) > PASSWORD_MAX:
        raise DatabaseCreationError(
            f"a login name of 1 to {LOGIN_NAME_MAX} characters and a password "
            f"of at most {PASSWORD_MAX} are needed: {login!r} cannot be created"
        )
    admin_url = url.set(
        username=ADMIN_LOGIN, password=admin_password, database=ADMIN_DATABASE
    )
    admin = create_engine(
        admin_url,
        poolclass=NullPool,
        connect_args=connect_args(url),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as connection:
            try:
                connection.execute(CREATE_LOGIN, {"login": login, "password": password})
            except DBAPIError as error:
                raise DatabaseCreationError(
                    f"{ADMIN_LOGIN} could not create the login {login!r}: "
                    f"{first_line(error)}"
                ) from None
    finally:
        admin.dispose()