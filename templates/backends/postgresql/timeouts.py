def apply_server_timeouts(engine: Engine, settings: Settings) -> None:
    """Give each new {{ db.driver_label }} connection the timeouts (0: none).

    The server stops a statement after DB_STATEMENT_TIMEOUT and a lock wait
    after DB_LOCK_TIMEOUT (sent at connect time, no extra round trip). TCP
    keepalives and a user timeout end the wait on a dead server or network
    path: about a minute on an idle connection, DB_CONNECT_TIMEOUT on a busy
    one. A server that is alive but frozen still holds the wait (see README).
    """
    options: dict[str, Any] = {
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    if settings.db_connect_timeout:
        # libpq counts whole seconds, and at least 2.
        options["connect_timeout"] = max(2, math.ceil(settings.db_connect_timeout))
        options["tcp_user_timeout"] = _milliseconds(settings.db_connect_timeout)
    limits = (
        f"-c statement_timeout={_milliseconds(settings.db_statement_timeout)}"
        f" -c lock_timeout={_milliseconds(settings.db_lock_timeout)}"
    )

    def add_options(_dialect: Any, _record: Any, _args: Any, params: Any) -> None:
        params.update(options)
        params["options"] = " ".join(filter(None, [params.get("options"), limits]))

    event.listen(engine, "do_connect", add_options)
