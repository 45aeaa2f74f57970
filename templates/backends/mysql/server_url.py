def server_url(settings: Settings) -> URL:
    """The MySQL/MariaDB URL built from the DB_* settings (driver: PyMySQL).

    utf8mb4 is MySQL's full UTF-8; its older "utf8" stores at most three bytes
    a character, so no emoji.
    """
    return URL.create(
        "mysql+pymysql",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        database=settings.db_name,
        query={"charset": "utf8mb4"},
    )
