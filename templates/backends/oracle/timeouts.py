def apply_server_timeouts(engine: Engine, settings: Settings) -> None:
    """Give each new python-oracledb connection the timeouts (0: none).

    The connect timeout; keepalive probes on idle connections (expire_time,
    in minutes) that notice a dead server; and the call timeout, which bounds
    a statement, and a wait for a lock with it: Oracle has no session-wide
    lock timeout for DML (DB_LOCK_TIMEOUT is not used).
    """
    options: dict[str, Any] = {"expire_time": 1}
    if settings.db_connect_timeout:
        options["tcp_connect_timeout"] = settings.db_connect_timeout
    call_timeout = _milliseconds(settings.db_statement_timeout)

    def add_options(_dialect: Any, _record: Any, _args: Any, params: Any) -> None:
        params.update(options)
        use_tcps(params)

    def set_limits(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.call_timeout = call_timeout

    event.listen(engine, "do_connect", add_options)
    event.listen(engine, "connect", set_limits)


def use_tcps(params: dict[str, Any]) -> None:
    """Honour the URL's `protocol=tcps` (TLS): SQLAlchemy builds the connect
    descriptor with (PROTOCOL=TCP), and python-oracledb lets the descriptor
    win over its `protocol` argument, so the descriptor is changed instead."""
    dsn = params.get("dsn")
    if str(params.get("protocol", "")).lower() == "tcps" and isinstance(dsn, str):
        params["dsn"] = dsn.replace("(PROTOCOL=TCP)", "(PROTOCOL=TCPS)")
