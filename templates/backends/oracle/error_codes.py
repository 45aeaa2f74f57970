#: python-oracledb: Oracle's ORA- codes and the driver's own DPY- codes. The
#: driver reports a lost connection (ORA-03113, ORA-03135, ORA-00028, ...) as
#: DPY-4011, and thin mode a refused or failed connect as DPY-6000 to DPY-6005
#: (errors.py in python-oracledb).
ORACLE_CODES: dict[str, Kind] = {
    "ORA-00001": "duplicate",  # unique constraint violated
    "ORA-01400": "constraint",  # NULL into a NOT NULL column
    "ORA-02290": "constraint",  # check constraint violated
    "ORA-02291": "constraint",  # parent key not found
    "ORA-02292": "constraint",  # child record found
    "ORA-12899": "constraint",  # value too large for the column
    "ORA-00060": "transient",  # deadlock detected
    "ORA-08177": "transient",  # cannot serialize access
    "ORA-00054": "transient",  # resource busy (NOWAIT)
    "ORA-30006": "transient",  # resource busy (WAIT timeout expired)
    "ORA-01013": "timeout",  # user requested cancel: the call timeout
    "DPY-4024": "timeout",  # call timeout exceeded
    "ORA-00942": "schema",  # table or view does not exist
    "ORA-00904": "schema",  # invalid identifier: no such column
    "ORA-01017": "access",  # invalid username or password
    "ORA-01031": "access",  # insufficient privileges
    "ORA-01045": "access",  # user lacks CREATE SESSION
    "ORA-03113": "connection",  # end-of-file on communication channel
    "ORA-03114": "connection",  # not connected
    "ORA-03135": "connection",  # connection lost contact
    "ORA-01033": "connection",  # initialization or shutdown in progress
    "ORA-01034": "connection",  # Oracle not available
    "ORA-12514": "connection",  # thick mode: the service is not registered yet
    "ORA-12541": "connection",  # thick mode: no listener
    "DPY-1001": "connection",  # not connected
    "DPY-4011": "connection",  # the database or the network closed the connection
    "DPY-6000": "connection",  # the listener refused the connection
    "DPY-6001": "connection",  # the service is not registered (yet) with the listener
    "DPY-6005": "connection",  # cannot connect
}
#: "error occurred at recursive SQL level n": the cause is the next ORA- code
#: in the message (a cancelled call, a constraint in a trigger's statement, ...).
RECURSIVE_SQL_ERROR = "ORA-00604"


def classify_oracle(orig: object) -> Kind | None:
    """The kind of a python-oracledb error, from its ORA- or DPY- code.

    The driver raises `DatabaseError(_Error)` or a subclass: the class follows
    the code (ORA-00060, a deadlock, is a plain DatabaseError; ORA-00604 and
    ORA-01013 are OperationalError), so only the code is read.
    """
    if not type(orig).__module__.startswith("oracledb"):
        return None
    args: tuple[object, ...] = getattr(orig, "args", ())
    error = args[0] if args else None
    code = getattr(error, "full_code", "")
    if code != RECURSIVE_SQL_ERROR:
        return ORACLE_CODES.get(code)
    message = str(getattr(error, "message", ""))
    for part in message.split("ORA-")[1:]:
        inner = f"ORA-{part[:5]}"
        if inner in ORACLE_CODES:
            return ORACLE_CODES[inner]
    return None


def details_oracle(orig: object) -> Details | None:
    """The ORA- or DPY- code of a python-oracledb error (its message can quote
    values, e.g. ORA-12899's and ORA-01722's, so no name is read from it)."""
    if not type(orig).__module__.startswith("oracledb"):
        return None
    args: tuple[object, ...] = getattr(orig, "args", ())
    code = getattr(args[0] if args else None, "full_code", "")
    return Details(code=str(code) or None)
