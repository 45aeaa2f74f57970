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
            {
                "DB_DRIVER": "pymssql",
                "DB_PASSWORD": HOSTILE_PASSWORD,
                "DB_TRUST_SERVER_CERTIFICATE": "true",
            },
            None,
        )
    )
    assert url.drivername == "mssql+pymssql"
    _, options = url.get_dialect()().create_connect_args(url)
    assert options["password"] == HOSTILE_PASSWORD
    with pytest.raises(SettingsError, match="DB_DRIVER must be one of"):
        Settings.from_env({"DB_DRIVER": "odbc"}, None)


class RecordingDriver:
    """A stand-in DBAPI module: records what `connect()` is given, then refuses,
    so the options an engine passes show without a driver or a server."""

    paramstyle = "qmark"
    version = __version__ = "5.2.0"

    class Error(Exception):
        pass

    ProgrammingError = Error

    class Cursor:  # the pyodbc dialect looks for Cursor.nextset
        def nextset(self) -> None: ...

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def connect(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.calls.append({"args": args, **kwargs})
        raise self.Error("no server here")


def connect_options(url: str, settings: Settings) -> dict[str, Any]:
    """What an engine from `create_db_engine()` passes to the driver's connect()."""
    driver = RecordingDriver()
    engine = create_db_engine(url, settings, module=driver)
    with pytest.raises(DBAPIError, match="no server here"):
        engine.connect()
    [options] = driver.calls
    return options


PYMSSQL_URL = "mssql+pymssql://sa:s3cret@db.internal:1433/orders"


def test_pymssql_gets_datetime2_a_login_timeout_and_a_query_timeout() -> None:
    # As from DATABASE_URL: the options come with the driver, not the DB_* parts.
    settings = Settings.from_env(
        {
            "DATABASE_URL": PYMSSQL_URL,
            "DB_CONNECT_TIMEOUT": "7",
            "DB_STATEMENT_TIMEOUT": "30",
        },
        None,
    )
    options = connect_options(str(settings.database_url), settings)
    # Without use_datetime2 pymssql sends datetimes cut to milliseconds.
    assert options["use_datetime2"] is True
    # pymssql's `timeout` is the query timeout; the login's is `login_timeout`.
    assert options["login_timeout"] == 7
    assert options["timeout"] == 30


def test_pyodbc_gets_the_login_timeout_as_its_timeout() -> None:
    options = connect_options(
        "mssql+pyodbc://sa:s3cret@db.internal:1433/orders"
        "?driver=ODBC+Driver+18+for+SQL+Server",
        Settings(db_connect_timeout=7, db_statement_timeout=30),
    )
    # pyodbc.connect(timeout=...) is the login timeout; the query timeout is
    # set on each new connection instead.
    assert options["timeout"] == 7
    assert "use_datetime2" not in options


def test_pymssql_keeps_microseconds_with_the_engines_options() -> None:
    try:
        mssql_driver: Any = importlib.import_module("pymssql._mssql")
    except ImportError as error:
        # CI installs the extra: there a missing pymssql is a failure.
        why = f"pymssql is an extra (uv sync --extra pymssql): {error}"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{why} (CI=true: not skipping)")
        pytest.skip(why)
    options = connect_options(PYMSSQL_URL, Settings())
    moment = datetime(2030, 1, 2, 3, 4, 5, 678901)
    # pymssql's own quoting, as its cursor applies it to each parameter.
    quoted = mssql_driver.quote_simple_value(
        moment, use_datetime2=options["use_datetime2"]
    )
    assert quoted == b"'2030-01-02 03:04:05.678901'"
    assert mssql_driver.quote_simple_value(moment) == b"'2030-01-02 03:04:05.678'"


@pytest.mark.parametrize(
    ("url", "login_timeout"),
    [
        (PYMSSQL_URL, {"login_timeout": 5}),
        ("mssql+pyodbc://sa:s3cret@db.internal/orders", {"timeout": 5}),
    ],
)
def test_the_suites_database_checks_give_up_after_the_login_timeout(
    url: str, login_timeout: dict[str, int]
) -> None:
    assert testing.connect_args(make_url(url)) == login_timeout


@dataclass
class AdminServer:
    """A stand-in for the server `testing` administers: the engines it
    creates (URL, options) and what it sends (SQL, bound values)."""

    engines: list[tuple[URL, dict[str, Any]]] = field(default_factory=list)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def create_engine(self, url: URL, **options: Any) -> Any:
        server = self

        class Connection:
            dialect = url.get_dialect()()

            def exec_driver_sql(self, statement: str) -> None:
                server.sent.append((statement, {}))

            def execute(self, statement: Any, values: dict[str, Any]) -> None:
                server.sent.append((str(statement), values))

        class Engine:
            @contextmanager
            def connect(self) -> Iterator[Connection]:
                yield Connection()

            def dispose(self) -> None:
                pass

        self.engines.append((url, options))
        return Engine()


@pytest.fixture
def admin_server(monkeypatch: pytest.MonkeyPatch) -> AdminServer:
    server = AdminServer()
    monkeypatch.setattr(testing, "_connects", lambda _url: False)
    monkeypatch.setattr(testing, "create_engine", server.create_engine)
    return server


def test_test_database_is_created_with_its_collation_and_row_versioning(
    admin_server: AdminServer,
) -> None:
    url = make_url("mssql+pymssql://app:s3cret@db.internal:1433/orders-test")
    testing.ensure_database(url)
    assert admin_server.sent == [
        ("CREATE DATABASE [orders-test] COLLATE Latin1_General_100_CI_AS_SC_UTF8", {}),
        ("ALTER DATABASE [orders-test] SET READ_COMMITTED_SNAPSHOT ON", {}),
    ]
    [(admin_url, options)] = admin_server.engines
    assert admin_url.database == "master"
    assert options["connect_args"] == {"login_timeout": 5}


def test_ci_creates_the_login_as_sa_with_bound_values(
    admin_server: AdminServer,
) -> None:
    """The login and its password reach the server as bound values, which it
    quotes itself: no quote, bracket or $ in them can change the SQL."""
    login, password = "app]; DROP LOGIN sa; --", "It's-0-]$(x)"
    url = URL.create("mssql+pyodbc", login, password, "db.internal", 1433, "app_test")
    testing.ensure_login(url, "Sa-passw0rd")
    [(statement, values)] = admin_server.sent
    assert values == {"login": login, "password": password}
    assert password not in statement
    assert "QUOTENAME(@login)" in statement
    assert "QUOTENAME(@password, N'''')" in statement
    assert "ALTER SERVER ROLE dbcreator ADD MEMBER" in statement
    assert "sysadmin" not in statement
    [(admin_url, options)] = admin_server.engines
    assert (admin_url.username, admin_url.password) == ("sa", "Sa-passw0rd")
    assert admin_url.database == "master"
    assert options["isolation_level"] == "AUTOCOMMIT"
    assert options["connect_args"] == {"timeout": 5}  # pyodbc's login timeout


def test_a_login_quotename_cannot_take_is_refused_before_connecting(
    admin_server: AdminServer,
) -> None:
    """Past 128 characters QUOTENAME returns NULL, and EXEC (NULL) does
    nothing: such a login would silently not be created."""
    url = make_url("mssql+pymssql://app@db.internal/app_test")
    for too_long in (url.set(password="x" * 129), url.set(username="a" * 129)):
        with pytest.raises(testing.DatabaseCreationError, match="128"):
            testing.ensure_login(too_long, "Sa-passw0rd")
    assert admin_server.engines == []


@pytest.mark.parametrize(
    ("encrypt", "trust", "encryption"),
    [("true", "true", "require"), ("false", "false", "off"), ("false", "true", "off")],
)
def test_pymssql_is_told_the_tls_settings(
    encrypt: str, trust: str, encryption: str
) -> None:
    """DB_ENCRYPT reaches pymssql.connect() as its `encryption` level."""
    settings = Settings.from_env(
        {
            "DB_DRIVER": "pymssql",
            "DB_ENCRYPT": encrypt,
            "DB_TRUST_SERVER_CERTIFICATE": trust,
        },
        None,
    )
    url = get_db_url(settings).render_as_string(hide_password=False)
    assert connect_options(url, settings)["encryption"] == encryption


def test_pymssql_refuses_to_promise_a_certificate_check() -> None:
    """pymssql (FreeTDS) verifies no certificate unless freetds.conf names a
    CA file: the default DB_TRUST_SERVER_CERTIFICATE=false is refused."""
    settings = Settings.from_env({"DB_DRIVER": "pymssql", "DB_ENCRYPT": "true"}, None)
    with pytest.raises(SettingsError, match="cannot verify the server's certificate"):
        get_db_url(settings)
