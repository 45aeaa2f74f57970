def server_url(settings: Settings) -> URL:
    """The SQL Server URL built from the DB_* settings.

    With `DB_DRIVER=pyodbc` (the default) the connection goes through
    Microsoft's ODBC driver named by `DB_ODBC_DRIVER`; `DB_ENCRYPT` and
    `DB_TRUST_SERVER_CERTIFICATE` set its TLS options. With
    `DB_DRIVER=pymssql` no system driver is needed, but pymssql (FreeTDS)
    verifies no certificate unless a freetds.conf names a CA file: it refuses
    `DB_ENCRYPT=true` with `DB_TRUST_SERVER_CERTIFICATE=false`, which would
    promise a verification it does not make.
    """
    query: dict[str, str] = {}
    if settings.db_driver == "pyodbc":
        query = {
            "driver": settings.db_odbc_driver,
            "Encrypt": "yes" if settings.db_encrypt else "no",
            "TrustServerCertificate": (
                "yes" if settings.db_trust_server_certificate else "no"
            ),
        }
    elif settings.db_encrypt and not settings.db_trust_server_certificate:
        raise SettingsError(
            "DB_DRIVER=pymssql cannot verify the server's certificate: use pyodbc,"
            " or set DB_TRUST_SERVER_CERTIFICATE=true (encrypted, not verified)"
        )
    else:  # pymssql's own names for FreeTDS's encryption levels
        query = {"encryption": "require" if settings.db_encrypt else "off"}
    return URL.create(
        f"mssql+{settings.db_driver}",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        database=settings.db_name,
        query=query,
    )
