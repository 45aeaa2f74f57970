def test_server_url_from_parts() -> None:
    url = get_db_url(Settings.from_env(SERVER_PARTS, None))
    assert url.render_as_string(hide_password=False) == (
        "mysql+pymysql://svc:s3cret@db.internal:6543/orders?charset=utf8mb4"
    )


def test_driver_receives_the_password_unchanged() -> None:
    options = dialect_connect_args({"DB_PASSWORD": HOSTILE_PASSWORD})
    assert options["password"] == HOSTILE_PASSWORD
    assert (options["host"], options["charset"]) == ("localhost", "utf8mb4")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        # PyMySQL's own default: 1.2 and later try TLS, unverified.
        ({}, {}),
        ({"DB_SSLMODE": "disable"}, {"ssl_disabled": "true"}),
        # Any `ssl` option: TLS or no connection; no CA: no certificate check.
        ({"DB_SSLMODE": "require"}, {"ssl": {"check_hostname": False}}),
        (
            {"DB_SSLMODE": "require", "DB_SSL_CA": "/etc/ca.pem"},
            {"ssl": {"ca": "/etc/ca.pem", "check_hostname": False}},
        ),
        (
            {"DB_SSLMODE": "verify-ca", "DB_SSL_CA": "/etc/ca.pem"},
            {"ssl": {"ca": "/etc/ca.pem", "check_hostname": False}},
        ),
        (
            {"DB_SSLMODE": "verify-full", "DB_SSL_CA": "/etc/ca.pem"},
            {"ssl": {"ca": "/etc/ca.pem", "check_hostname": True}},
        ),
    ],
)
def test_tls_settings_reach_pymysql(
    environment: dict[str, str], expected: dict[str, object]
) -> None:
    options = dialect_connect_args(environment)
    tls = {key: value for key, value in options.items() if key.startswith("ssl")}
    assert tls == expected


@pytest.mark.parametrize(
    ("mode", "verify_mode", "check_hostname"),
    [
        ("require", ssl.CERT_NONE, False),
        ("verify-ca", ssl.CERT_REQUIRED, False),
        ("verify-full", ssl.CERT_REQUIRED, True),
    ],
)
def test_pymysql_checks_what_each_mode_promises(
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    verify_mode: ssl.VerifyMode,
    check_hostname: bool,
) -> None:
    # The CA file is not read here: only what PyMySQL makes of the options.
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", lambda *_a: None)
    environment = {"DB_SSLMODE": mode}
    if mode != "require":
        environment["DB_SSL_CA"] = "/etc/ca.pem"
    # PyMySQL's connection object, built without connecting.
    options = dialect_connect_args(environment)
    connection: Any = pymysql.connect(**options, defer_connect=True)
    assert connection.ctx.verify_mode == verify_mode
    assert connection.ctx.check_hostname is check_hostname


#: TLS settings this driver cannot honour, and what the refusal says.
REFUSED_TLS_SETTINGS = [
    ({"DB_SSLMODE": "verify_full"}, "DB_SSLMODE must be one of disable, prefer"),
    ({"DB_SSLMODE": "allow"}, "DB_SSLMODE must be one of"),
    ({"DB_SSLMODE": "verify-full"}, "DB_SSLMODE=verify-full needs DB_SSL_CA"),
    ({"DB_SSLMODE": "verify-ca"}, "DB_SSLMODE=verify-ca needs DB_SSL_CA"),
    (
        {"DB_SSLMODE": "prefer", "DB_SSL_CA": "/etc/ca.pem"},
        "DB_SSL_CA needs DB_SSLMODE require, verify-ca or verify-full",
    ),
]


#: A DATABASE_URL with TLS options of its own, which DB_SSLMODE leaves alone.
TLS_DATABASE_URL = "mysql+pymysql://svc@db.internal/orders?ssl_ca=/etc/ca.pem"
TLS_DATABASE_URL_OPTIONS = {"ssl_ca": "/etc/ca.pem"}
