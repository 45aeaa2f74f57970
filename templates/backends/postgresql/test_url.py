def test_server_url_from_parts() -> None:
    url = get_db_url(Settings.from_env(SERVER_PARTS, None))
    assert url.render_as_string(hide_password=False) == (
        "postgresql+psycopg://svc:s3cret@db.internal:6543/orders"
    )


def test_driver_receives_the_password_unchanged() -> None:
    url = get_db_url(Settings.from_env({"DB_PASSWORD": HOSTILE_PASSWORD}, None))
    _, options = create_db_engine(url, Settings()).dialect.create_connect_args(url)
    assert options["password"] == HOSTILE_PASSWORD
    assert (options["host"], options["dbname"]) == ("localhost", Settings().db_name)
