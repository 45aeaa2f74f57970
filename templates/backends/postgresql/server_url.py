def server_url(settings: Settings) -> URL:
    """The PostgreSQL URL built from the DB_* settings (driver: psycopg 3)."""
    return URL.create(
        "postgresql+psycopg",
        username=settings.db_user,
        password=settings.db_password,
        host=settings.db_host,
        port=settings.db_port,
        database=settings.db_name,
    )
