def server_url(settings: Settings) -> URL:
    """The Oracle URL built from the DB_* settings.

    python-oracledb runs in thin mode: pure Python, no Oracle client to
    install. `DB_NAME` is the service name (FREEPDB1 in Oracle Database Free).
    TLS (`DB_SSLMODE` verify-ca or verify-full) is TCPS: thin mode always
    checks the server's certificate, against the wallet in `DB_SSL_CA` or the
    system's trust store, and with verify-full its name too.
    """
    query = {"service_name": settings.db_name}
    mode, ca = settings.db_sslmode, settings.db_ssl_ca
    if ca and mode == "disable":
        raise SettingsError(
            "DB_SSL_CA needs DB_SSLMODE verify-ca or verify-full, got 'disable'"
        )
    if mode != "disable":
        query["protocol"] = "tcps"
        query["ssl_server_dn_match"] = "true" if mode == "verify-full" else "false"
        if ca:
            query["wallet_location"] = ca
    return URL.create(
        "oracle+oracledb",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        query=query,
    )
