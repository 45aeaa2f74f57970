def test_server_url_from_parts() -> None:
    url = get_db_url(Settings.from_env(SERVER_PARTS, None))
    assert url.render_as_string(hide_password=False) == (
        "oracle+oracledb://svc:s3cret@db.internal:6543?service_name=orders"
    )


def test_driver_receives_the_password_unchanged() -> None:
    url = get_db_url(Settings.from_env({"DB_PASSWORD": HOSTILE_PASSWORD}, None))
    # Thin mode: the engine works without any Oracle client library.
    engine = create_db_engine(url, Settings())
    _, options = engine.dialect.create_connect_args(url)
    assert options["password"] == HOSTILE_PASSWORD
    assert "(SERVICE_NAME=FREEPDB1)" in options["dsn"]
