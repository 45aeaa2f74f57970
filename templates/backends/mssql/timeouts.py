def apply_server_timeouts(engine: Engine, settings: Settings) -> None:
    """Give each new connection the timeouts (0: none).

    The login timeout, a query timeout that ends the wait on the client
    whatever the server does (pyodbc: the connection's timeout; pymssql: its
    timeout option), and SET LOCK_TIMEOUT for lock waits.
    """
    login = math.ceil(settings.db_connect_timeout)
    query = math.ceil(settings.db_statement_timeout)
    lock = _milliseconds(settings.db_lock_timeout) or -1  # -1: as long as it takes
    pymssql = engine.url.get_driver_name() == "pymssql"

    def add_options(_dialect: Any, _record: Any, _args: Any, params: Any) -> None:
        if pymssql:
            params["timeout"] = query
            if login:
                params["login_timeout"] = login
        elif login:
            params["timeout"] = login  # pyodbc: the login timeout

    def set_limits(dbapi_connection: Any, _record: Any) -> None:
        if not pymssql:
            dbapi_connection.timeout = query
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"SET LOCK_TIMEOUT {lock}")
        finally:
            cursor.close()

    event.listen(engine, "do_connect", add_options)
    event.listen(engine, "connect", set_limits)
