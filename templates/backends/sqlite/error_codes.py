#: sqlite3: extended result codes (https://sqlite.org/rescode.html).
SQLITE_CODES: dict[int, Kind] = {
    1555: "duplicate",  # SQLITE_CONSTRAINT_PRIMARYKEY
    2067: "duplicate",  # SQLITE_CONSTRAINT_UNIQUE
    787: "constraint",  # SQLITE_CONSTRAINT_FOREIGNKEY
    1299: "constraint",  # SQLITE_CONSTRAINT_NOTNULL
    275: "constraint",  # SQLITE_CONSTRAINT_CHECK
    5: "transient",  # SQLITE_BUSY: another connection holds the lock
    6: "transient",  # SQLITE_LOCKED
    261: "transient",  # SQLITE_BUSY_RECOVERY
    517: "transient",  # SQLITE_BUSY_SNAPSHOT
    9: "timeout",  # SQLITE_INTERRUPT
    8: "access",  # SQLITE_READONLY: the file or connection is read-only
    23: "access",  # SQLITE_AUTH
    14: "connection",  # SQLITE_CANTOPEN: the file cannot be opened
}
#: SQLite reports a missing table or column only in the message.
SQLITE_SCHEMA_MESSAGES = ("no such table", "no such column", "has no column named")


def classify_sqlite(orig: object) -> Kind | None:
    """The kind of a sqlite3 error, from its extended result code."""
    if type(orig).__module__ != "sqlite3":
        return None
    if str(orig).startswith(SQLITE_SCHEMA_MESSAGES):
        return "schema"
    return SQLITE_CODES.get(getattr(orig, "sqlite_errorcode", 0))


#: SQLite names the table and column of a NOT NULL or UNIQUE failure
#: ("NOT NULL constraint failed: users.email") and a CHECK constraint's name;
#: its messages quote no values.
_SQLITE_NAMES = re.compile(
    r"\A(?:NOT NULL|UNIQUE) constraint failed: (?P<table>\w+)\.(?P<column>\w+)"
    r"|\ACHECK constraint failed: (?P<constraint>\w+)\Z"
)


def details_sqlite(orig: object) -> Details | None:
    """The result code's name and the names in a sqlite3 error."""
    if type(orig).__module__ != "sqlite3":
        return None
    found = _SQLITE_NAMES.match(str(orig))
    names = found.groupdict() if found else {}
    return Details(code=getattr(orig, "sqlite_errorname", None), **names)
