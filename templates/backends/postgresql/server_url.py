def server_url(settings: Settings) -> URL:
    """The PostgreSQL URL built from the DB_* settings (driver: `DB_DRIVER`).

    TLS: `DB_SSLMODE` is libpq's sslmode and `DB_SSL_CA` its sslrootcert,
    both sent in the URL, so the test database and the administrator's
    connections get them too.
    """
    mode, ca = settings.db_sslmode, settings.db_ssl_ca
    if ca and mode in ("disable", "allow", "prefer"):
        raise SettingsError(
            f"DB_SSL_CA needs DB_SSLMODE require, verify-ca or verify-full, got {mode!r}"
        )
    query = {"sslmode": mode}
    if ca:
        query["sslrootcert"] = ca
    return URL.create(
        f"postgresql+{settings.db_driver}",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        database=settings.db_name,
        query=query,
    )
