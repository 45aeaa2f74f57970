def apply_server_timeouts(engine: Engine, settings: Settings) -> None:
    """Give each new PyMySQL connection the timeouts (0: the server's own).

    MariaDB stops any statement after max_statement_time, MySQL only SELECTs
    after max_execution_time; InnoDB waits for a row lock at least a second.
    Read and write timeouts end the wait on a server that stopped answering:
    DB_STATEMENT_TIMEOUT plus DB_CONNECT_TIMEOUT (none while statements have
    no limit).
    """
    options: dict[str, Any] = {}
    if settings.db_connect_timeout:
        options["connect_timeout"] = math.ceil(settings.db_connect_timeout)
    if settings.db_statement_timeout:
        wait = settings.db_statement_timeout + (settings.db_connect_timeout or 10)
        options["read_timeout"] = options["write_timeout"] = math.ceil(wait)

    def add_options(_dialect: Any, _record: Any, _args: Any, params: Any) -> None:
        params.update(options)

    lock = math.ceil(settings.db_lock_timeout)
    statement = settings.db_statement_timeout

    def set_limits(dbapi_connection: Any, _record: Any) -> None:
        limits = [f"innodb_lock_wait_timeout = {max(1, lock)}"] if lock else []
        if statement:
            mariadb = "mariadb" in dbapi_connection.get_server_info().lower()
            limits.append(
                f"max_statement_time = {statement}"
                if mariadb
                else f"max_execution_time = {_milliseconds(statement)}"
            )
        if limits:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET SESSION " + ", ".join(limits))

    event.listen(engine, "do_connect", add_options)
    event.listen(engine, "connect", set_limits)
