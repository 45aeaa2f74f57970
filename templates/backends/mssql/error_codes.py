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
#: Where pyodbc's message carries the server's number: "... (1205) (SQLExecDirectW)".
_MSSQL_NUMBER = re.compile(r"\((\d+)\) \(SQL\w+\)")


def classify_mssql(orig: object) -> Kind | None:
    """The kind of a pyodbc or pymssql error, from SQL Server's error number."""
    module = type(orig).__module__
    args: tuple[object, ...] = getattr(orig, "args", ())
    if module.startswith("pymssql"):
        number = args[0] if args and isinstance(args[0], int) else 0
        return MSSQL_NUMBERS.get(number)
    if not module.startswith("pyodbc") or len(args) < 2:
        return None
    found = _MSSQL_NUMBER.search(str(args[1]))
    if found and int(found[1]) in MSSQL_NUMBERS:
        return MSSQL_NUMBERS[int(found[1])]
    return MSSQL_SQLSTATES.get(str(args[0]))
