def test_server_url_from_parts() -> None:
    url = get_db_url(Settings.from_env(SERVER_PARTS, None))
    assert url.render_as_string(hide_password=False) == (
        "{{ db.drivername }}://svc:s3cret@db.internal:6543/orders?sslmode=prefer"
    )


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_db_driver_names_the_url_driver(driver: str) -> None:
    url = get_db_url(Settings.from_env({**SERVER_PARTS, "DB_DRIVER": driver}, None))
    assert url.drivername == f"postgresql+{driver}"


def test_db_driver_defaults_to_the_generated_choice() -> None:
    assert Settings().db_driver == "{{ db.driver }}"
    assert get_db_url(Settings.from_env(SERVER_PARTS, None)).drivername == (
        "{{ db.drivername }}"
    )


def test_an_unknown_db_driver_is_refused() -> None:
    with pytest.raises(SettingsError, match="DB_DRIVER must be one of psycopg, "):
        Settings.from_env({**SERVER_PARTS, "DB_DRIVER": "asyncpg"}, None)


def test_driver_receives_the_password_unchanged() -> None:
    options = dialect_connect_args({"DB_PASSWORD": HOSTILE_PASSWORD})
    assert options["password"] == HOSTILE_PASSWORD
    assert (options["host"], options["dbname"]) == ("localhost", Settings().db_name)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, {"sslmode": "prefer"}),  # libpq's default: unverified TLS if offered
        ({"DB_SSLMODE": "disable"}, {"sslmode": "disable"}),
        ({"DB_SSLMODE": "allow"}, {"sslmode": "allow"}),
        ({"DB_SSLMODE": "require"}, {"sslmode": "require"}),
        (
            {"DB_SSLMODE": "require", "DB_SSL_CA": "/etc/ca.pem"},
            {"sslmode": "require", "sslrootcert": "/etc/ca.pem"},
        ),
        (
            {"DB_SSLMODE": "verify-ca", "DB_SSL_CA": "/etc/ca.pem"},
            {"sslmode": "verify-ca", "sslrootcert": "/etc/ca.pem"},
        ),
        (
            {"DB_SSLMODE": "verify-full", "DB_SSL_CA": "system"},
            {"sslmode": "verify-full", "sslrootcert": "system"},
        ),
        # Without DB_SSL_CA libpq reads ~/.postgresql/root.crt.
        ({"DB_SSLMODE": "verify-full"}, {"sslmode": "verify-full"}),
    ],
)
def test_tls_settings_reach_libpq(
    environment: dict[str, str], expected: dict[str, str]
) -> None:
    options = dialect_connect_args(environment)
    tls = {key: value for key, value in options.items() if key.startswith("ssl")}
    assert tls == expected


#: TLS settings this driver cannot honour, and what the refusal says.
REFUSED_TLS_SETTINGS = [
    ({"DB_SSLMODE": "verify_full"}, "DB_SSLMODE must be one of disable, allow"),
    ({"DB_SSLMODE": "on"}, "DB_SSLMODE must be one of"),
    (
        {"DB_SSLMODE": "prefer", "DB_SSL_CA": "/etc/ca.pem"},
        "DB_SSL_CA needs DB_SSLMODE require, verify-ca or verify-full",
    ),
    (
        {"DB_SSLMODE": "disable", "DB_SSL_CA": "/etc/ca.pem"},
        "DB_SSL_CA needs DB_SSLMODE",
    ),
]


#: A DATABASE_URL with TLS options of its own, which DB_SSLMODE leaves alone.
TLS_DATABASE_URL = (
    "{{ db.drivername }}://svc@db.internal/orders"
    "?sslmode=verify-full&sslrootcert=/etc/ca.pem"
)
TLS_DATABASE_URL_OPTIONS = {"sslmode": "verify-full", "sslrootcert": "/etc/ca.pem"}
