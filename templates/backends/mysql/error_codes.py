#: PyMySQL: MySQL's and MariaDB's error numbers (server 1000-1999 and 3000+,
#: client 2000-2999). PyMySQL raises most of them as OperationalError.
MYSQL_CODES: dict[int, Kind] = {
    1062: "duplicate",  # ER_DUP_ENTRY
    1586: "duplicate",  # ER_DUP_ENTRY_WITH_KEY_NAME
    1048: "constraint",  # ER_BAD_NULL_ERROR
    1364: "constraint",  # ER_NO_DEFAULT_FOR_FIELD
    1406: "constraint",  # ER_DATA_TOO_LONG
    1451: "constraint",  # ER_ROW_IS_REFERENCED_2
    1452: "constraint",  # ER_NO_REFERENCED_ROW_2
    3819: "constraint",  # ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
    4025: "constraint",  # ER_CONSTRAINT_FAILED (MariaDB)
    1205: "transient",  # ER_LOCK_WAIT_TIMEOUT: innodb_lock_wait_timeout expired
    1213: "transient",  # ER_LOCK_DEADLOCK
    1969: "timeout",  # ER_STATEMENT_TIMEOUT: max_statement_time (MariaDB)
    3024: "timeout",  # ER_QUERY_TIMEOUT: max_execution_time (MySQL)
    1317: "timeout",  # ER_QUERY_INTERRUPTED
    1049: "no_database",  # ER_BAD_DB_ERROR
    1054: "schema",  # ER_BAD_FIELD_ERROR: no such column
    1146: "schema",  # ER_NO_SUCH_TABLE
    1044: "access",  # ER_DBACCESS_DENIED_ERROR
    1045: "access",  # ER_ACCESS_DENIED_ERROR: wrong user or password
    1142: "access",  # ER_TABLEACCESS_DENIED_ERROR
    1143: "access",  # ER_COLUMNACCESS_DENIED_ERROR
    1040: "connection",  # ER_CON_COUNT_ERROR: too many connections
    1053: "connection",  # ER_SERVER_SHUTDOWN
    1927: "connection",  # ER_CONNECTION_KILLED (MariaDB)
    2002: "connection",  # CR_CONNECTION_ERROR
    2003: "connection",  # CR_CONN_HOST_ERROR: cannot connect
    2006: "connection",  # CR_SERVER_GONE_ERROR
    2013: "connection",  # CR_SERVER_LOST
    2014: "connection",  # CR_COMMANDS_OUT_OF_SYNC
    2055: "connection",  # CR_SERVER_LOST_EXTENDED
    4031: "connection",  # ER_CLIENT_INTERACTION_TIMEOUT
}


def classify_mysql(orig: object) -> Kind | None:
    """The kind of a PyMySQL error, from the server's (or client's) error number."""
    if not type(orig).__module__.startswith("pymysql"):
        return None
    args: tuple[object, ...] = getattr(orig, "args", ())
    code = args[0] if args and isinstance(args[0], int) else 0
    return MYSQL_CODES.get(code)


#: The names in the messages of the errors that quote a value ("Duplicate
#: entry 'value' for key 'name'", "Incorrect string value: '...' for column
#: `db`.`t`.`c` at row 1"): each pattern is anchored to the part of the
#: message after the value, so a value cannot pass for a name.
_MYSQL_NAMES = [
    re.compile(r" for key '(?P<constraint>[^']+)'\Z"),
    re.compile(r" for column (?:`[^`]*`\.)*[`'](?P<column>[^`']+)[`'] at row \d+\Z"),
    re.compile(r"\A(?:Column|Field) '(?P<column>[^']+)' (?:cannot be null|doesn't)"),
    re.compile(
        r"\(`[^`]*`\.`(?P<table>[^`]+)`, CONSTRAINT `(?P<constraint>[^`]+)`"
        r" FOREIGN KEY \(`(?P<column>[^`]+)`\)"
    ),
    re.compile(
        r"\ACONSTRAINT `(?P<constraint>[^`]+)` failed"
        r" for `[^`]*`\.`(?P<table>[^`]+)`\Z"
    ),
    re.compile(r"\ACheck constraint '(?P<constraint>[^']+)' is violated"),
]


def details_mysql(orig: object) -> Details | None:
    """The error number and the names in a PyMySQL error, not the values."""
    if not type(orig).__module__.startswith("pymysql"):
        return None
    args: tuple[object, ...] = getattr(orig, "args", ())
    code = str(args[0]) if args and isinstance(args[0], int) else None
    message = str(args[1]) if len(args) > 1 else ""
    for pattern in _MYSQL_NAMES:
        found = pattern.search(message)
        if found:
            return Details(code, **found.groupdict())
    return Details(code)
