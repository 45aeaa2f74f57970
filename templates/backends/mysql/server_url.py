def server_url(settings: Settings) -> URL:
    """The MySQL/MariaDB URL built from the DB_* settings (driver: PyMySQL).

    utf8mb4 is MySQL's full UTF-8; its older "utf8" stores at most three bytes
    a character, so no emoji. TLS goes in the URL as SQLAlchemy's `ssl_*`
    options, which become PyMySQL's `ssl` (see `tls_options`).
    """
    return URL.create(
        "mysql+pymysql",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        database=settings.db_name,
        query={"charset": "utf8mb4", **tls_options(settings)},
    )


def tls_options(settings: Settings) -> dict[str, str]:
    """`DB_SSLMODE` and `DB_SSL_CA` in libpq's terms, mapped onto PyMySQL.

    PyMySQL connects with TLS whenever it is given `ssl` options, and then
    refuses a server without TLS; it checks the certificate only against a CA
    file given to it (`ssl_ca`), and the host name unless told not to.
    """
    mode, ca = settings.db_sslmode, settings.db_ssl_ca
    if ca and mode in ("disable", "prefer"):
        raise SettingsError(
            f"DB_SSL_CA needs DB_SSLMODE require, verify-ca or verify-full, got {mode!r}"
        )
    if mode in ("verify-ca", "verify-full") and not ca:
        raise SettingsError(
            f"DB_SSLMODE={mode} needs DB_SSL_CA (the CA's PEM file) with PyMySQL"
        )
    if mode == "disable":
        return {"ssl_disabled": "true"}
    if mode == "prefer":  # PyMySQL's own default (1.2 and later: TLS if offered)
        return {}
    options = {"ssl_check_hostname": "true" if mode == "verify-full" else "false"}
    if ca:  # with a CA, require checks the certificate, as libpq does
        options["ssl_ca"] = ca
    return options
