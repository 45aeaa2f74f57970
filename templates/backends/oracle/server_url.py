def server_url(settings: Settings) -> URL:
    """The Oracle URL built from the DB_* settings.

    python-oracledb runs in thin mode: pure Python, no Oracle client to
    install. `DB_NAME` is the service name (FREEPDB1 in Oracle Database Free).
    """
    return URL.create(
        "oracle+oracledb",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        query={"service_name": settings.db_name},
    )
