def test_server_url_from_parts() -> None:
    url = get_db_url(Settings.from_env(SERVER_PARTS, None))
    assert url.render_as_string(hide_password=False) == (
        "mssql+pyodbc://svc:s3cret@db.internal:6543/orders"
        "?Encrypt=yes&TrustServerCertificate=no&driver=ODBC+Driver+18+for+SQL+Server"
    )


def test_odbc_connection_string_escapes_the_password() -> None:
    url = get_db_url(
        Settings.from_env(
            {"DB_PASSWORD": HOSTILE_PASSWORD, "DB_TRUST_SERVER_CERTIFICATE": "true"},
            None,
        )
    )
    # Built by the dialect without loading pyodbc, so it runs everywhere.
    [connection_string], _ = url.get_dialect()().create_connect_args(url)
    # ODBC puts the password in braces and doubles a closing brace inside.
    escaped = HOSTILE_PASSWORD.replace("}", "}}")
    assert "PWD={" + escaped + "};" in connection_string
    assert connection_string.startswith("DRIVER={ODBC Driver 18 for SQL Server};")
    assert "TrustServerCertificate=yes" in connection_string


def test_pyodbc_engine_is_created_without_connecting() -> None:
    pytest.importorskip(
        "pyodbc",
        reason="pyodbc needs unixODBC (libodbc.so.2), e.g. apt-get install unixodbc",
        exc_type=ImportError,
    )
    engine = create_db_engine(get_db_url(Settings.from_env({}, None)), Settings())
    assert engine.dialect.driver == "pyodbc"
    # Bulk inserts go to the server in one round trip per batch.
    assert getattr(engine.dialect, "fast_executemany", None) is True


def test_one_setting_switches_to_pymssql() -> None:
    url = get_db_url(
        Settings.from_env(
            {"DB_DRIVER": "pymssql", "DB_PASSWORD": HOSTILE_PASSWORD}, None
        )
    )
    assert url.drivername == "mssql+pymssql"
    assert dict(url.query) == {}
    _, options = url.get_dialect()().create_connect_args(url)
    assert options["password"] == HOSTILE_PASSWORD
    with pytest.raises(SettingsError, match="DB_DRIVER must be one of"):
        Settings.from_env({"DB_DRIVER": "odbc"}, None)
