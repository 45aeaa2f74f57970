#: SQL Server's error numbers, the same from pyodbc and pymssql
#: (https://learn.microsoft.com/sql/relational-databases/errors-events/database-engine-events-and-errors).
MSSQL_NUMBERS: dict[int, Kind] = {
    2627: "duplicate",  # unique constraint
    2601: "duplicate",  # unique index
    515: "constraint",  # NULL into a NOT NULL column
    547: "constraint",  # foreign key or check constraint
    2628: "constraint",  # string or binary data would be truncated
    8152: "constraint",  # the same, before SQL Server 2019
    1205: "transient",  # chosen as the deadlock victim
    1222: "transient",  # lock request time out (SET LOCK_TIMEOUT)
    3960: "transient",  # snapshot isolation update conflict
    208: "schema",  # invalid object name: no such table
    207: "schema",  # invalid column name
    4060: "no_database",  # cannot open the database
    229: "access",  # permission denied on an object
    230: "access",  # permission denied on a column
    18456: "access",  # login failed
    233: "connection",  # no process on the other end of the pipe
    10053: "connection",  # connection aborted
    10054: "connection",  # connection reset
    10060: "connection",  # connection timed out
    20003: "timeout",  # pymssql: the query ran longer than its timeout
    20009: "connection",  # pymssql: unable to connect
    20047: "connection",  # pymssql: the connection is dead
}
#: pyodbc: SQLSTATEs that carry no server error number.
MSSQL_SQLSTATES: dict[str, Kind] = {
    "HYT00": "timeout",  # query timeout expired (the connection's timeout)
    "HYT01": "connection",  # connection timeout expired
    "08001": "connection",  # unable to connect
    "08S01": "connection",  # communication link failure
}
#: pyodbc's message: "[SQLSTATE] text (number) (SQLFunction)", the server's
#: error number and the ODBC call that failed (errors.cpp in pyodbc).
_PYODBC_MESSAGE = re.compile(r"\((-?\d+)\) \((SQL\w+)\)")
#: pymssql's commit() and BEGIN: "Cannot commit transaction: (number, b'text')".
_PYMSSQL_NUMBER_IN_TEXT = re.compile(r"\((\d+), b?['\"]")


def classify_mssql(orig: object) -> Kind | None:
    """The kind of a pyodbc or pymssql error, from SQL Server's error number."""
    module = type(orig).__module__
    args: tuple[object, ...] = getattr(orig, "args", ())
    if module.startswith("pymssql"):
        return _classify_pymssql(args)
    if not module.startswith("pyodbc") or len(args) < 2:
        return None
    sqlstate, found = str(args[0]), _PYODBC_MESSAGE.search(str(args[1]))
    number, call = (int(found[1]), found[2]) if found else (0, "")
    if number in MSSQL_NUMBERS:
        return MSSQL_NUMBERS[number]
    kind = MSSQL_SQLSTATES.get(sqlstate)
    if kind == "timeout" and call.endswith("Connect"):
        return "connection"  # HYT00 while logging in: "Login timeout expired"
    return kind


def _classify_pymssql(args: tuple[object, ...]) -> Kind | None:
    """pymssql's errors carry the number in one of three shapes (_pymssql.pyx):
    a statement's `OperationalError(number, text)` (IntegrityError, ...),
    connect()'s `OperationalError((number, text))`, and commit()'s or BEGIN's
    `OperationalError("Cannot commit transaction: (number, b'text')")`."""
    number = _pymssql_number(args)
    kind = MSSQL_NUMBERS.get(number) if number is not None else None
    if args and isinstance(args[0], tuple) and kind == "timeout":
        return "connection"  # 20003 while logging in: the server did not answer
    return kind


def _pymssql_number(args: tuple[object, ...]) -> int | None:
    first: object = args[0] if args else None
    if isinstance(first, tuple) and first:
        first = first[0]
    if isinstance(first, str):
        found = _PYMSSQL_NUMBER_IN_TEXT.search(first)
        first = int(found[1]) if found else None
    return first if isinstance(first, int) else None


def details_mssql(orig: object) -> Details | None:
    """SQL Server's error number (or pyodbc's SQLSTATE when there is none).

    No name is read from the message: SQL Server's quote values ("The
    duplicate key value is (...)", "Truncated value: '...'").
    """
    module = type(orig).__module__
    args: tuple[object, ...] = getattr(orig, "args", ())
    if module.startswith("pymssql"):
        number = _pymssql_number(args)
        return Details(None if number is None else str(number))
    if not module.startswith("pyodbc"):
        return None
    found = _PYODBC_MESSAGE.search(str(args[1])) if len(args) > 1 else None
    if found and found[1] != "0":
        return Details(found[1])
    return Details(str(args[0]) if args else None)
