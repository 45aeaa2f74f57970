def test_server_url_from_parts() -> None:
    url = get_db_url(Settings.from_env(SERVER_PARTS, None))
    assert url.render_as_string(hide_password=False) == (
        "oracle+oracledb://svc:s3cret@db.internal:6543?service_name=orders"
    )


def test_driver_receives_the_password_unchanged() -> None:
    # Thin mode: the engine works without any Oracle client library.
    options = dialect_connect_args({"DB_PASSWORD": HOSTILE_PASSWORD})
    assert options["password"] == HOSTILE_PASSWORD
    assert "(SERVICE_NAME=FREEPDB1)" in options["dsn"]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, {}),  # plain TCP, as Oracle's listener on 1521 speaks
        ({"DB_SSLMODE": "disable"}, {}),
        (
            {"DB_SSLMODE": "verify-ca"},
            {"protocol": "tcps", "ssl_server_dn_match": False},
        ),
        (
            {"DB_SSLMODE": "verify-full", "DB_SSL_CA": "/etc/oracle-wallet"},
            {
                "protocol": "tcps",
                "ssl_server_dn_match": True,
                "wallet_location": "/etc/oracle-wallet",
            },
        ),
    ],
)
def test_tls_settings_reach_python_oracledb(
    environment: dict[str, str], expected: dict[str, object]
) -> None:
    settings = Settings.from_env({**SERVER_PARTS, **environment}, None)
    url = get_db_url(settings)
    engine = create_db_engine(url, settings)
    _, options = engine.dialect.create_connect_args(url)
    # What the engine's do_connect listeners make of them, as on connect.
    engine.dialect.dispatch.do_connect(engine.dialect, None, [], options)
    params = oracledb.ConnectParams(
        **{key: value for key, value in options.items() if key != "dsn"}
    )
    params.parse_connect_string(options["dsn"])
    assert params.host == "db.internal"
    assert params.service_name == "orders"
    assert params.protocol == expected.get("protocol", "tcp")
    if "ssl_server_dn_match" in expected:
        assert params.ssl_server_dn_match is expected["ssl_server_dn_match"]
    assert params.wallet_location == expected.get("wallet_location")


#: TLS settings this driver cannot honour, and what the refusal says.
REFUSED_TLS_SETTINGS = [
    ({"DB_SSLMODE": "verify_full"}, "DB_SSLMODE must be one of disable, verify-ca"),
    # Thin mode always checks the certificate: no unverified TLS to offer.
    ({"DB_SSLMODE": "require"}, "DB_SSLMODE must be one of"),
    ({"DB_SSLMODE": "prefer"}, "DB_SSLMODE must be one of"),
    (
        {"DB_SSL_CA": "/etc/oracle-wallet"},
        "DB_SSL_CA needs DB_SSLMODE verify-ca or verify-full",
    ),
]


#: A DATABASE_URL with TLS options of its own, which DB_SSLMODE leaves alone.
TLS_DATABASE_URL = (
    "oracle+oracledb://svc@db.internal:2484?service_name=orders&protocol=tcps"
)
TLS_DATABASE_URL_OPTIONS = {"service_name": "orders", "protocol": "tcps"}
