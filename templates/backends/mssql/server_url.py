def server_url(settings: Settings) -> URL:
    """The SQL Server URL built from the DB_* settings.

    With `DB_DRIVER=pyodbc` (the default) the connection goes through
    Microsoft's ODBC driver named by `DB_ODBC_DRIVER`; `DB_ENCRYPT` and
    `DB_TRUST_SERVER_CERTIFICATE` set its TLS options. With
    `DB_DRIVER=pymssql` no system driver is needed.
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
    return URL.create(
        f"mssql+{settings.db_driver}",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        database=settings.db_name,
        query=query,
    )
