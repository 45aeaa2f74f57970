#: python-oracledb: Oracle's ORA- codes and the thin driver's own DPY- codes.
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
    "ORA-12514": "connection",  # listener does not know the service
    "ORA-12541": "connection",  # no listener
    "DPY-1001": "connection",  # not connected
    "DPY-4011": "connection",  # the database closed the connection
    "DPY-6005": "connection",  # cannot connect
}


def classify_oracle(orig: object) -> Kind | None:
    """The kind of a python-oracledb error, from its ORA- or DPY- code."""
    if not type(orig).__module__.startswith("oracledb"):
        return None
    args: tuple[object, ...] = getattr(orig, "args", ())
    code = getattr(args[0], "full_code", "") if args else ""
    return ORACLE_CODES.get(code)
