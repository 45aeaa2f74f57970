#: psycopg and psycopg2: SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
POSTGRESQL_CODES: dict[str, Kind] = {
    "23505": "duplicate",  # unique_violation
    "40001": "transient",  # serialization_failure
    "40P01": "transient",  # deadlock_detected
    "55P03": "transient",  # lock_not_available: lock_timeout expired
    "57014": "timeout",  # query_canceled: statement_timeout expired
    "42P01": "schema",  # undefined_table
    "42703": "schema",  # undefined_column
    "3D000": "no_database",  # invalid_catalog_name
    "42501": "access",  # insufficient_privilege
    "28P01": "access",  # invalid_password
    "28000": "access",  # invalid_authorization_specification
    "53300": "connection",  # too_many_connections
    "57P01": "connection",  # admin_shutdown
    "57P02": "connection",  # crash_shutdown
    "57P03": "connection",  # cannot_connect_now: starting up
}
#: A failed connection carries no SQLSTATE: the server's words tell a refused
#: login, or a missing database, from an unreachable server.
POSTGRESQL_CONNECT_MESSAGES: dict[str, Kind] = {
    "password authentication failed": "access",
    "no pg_hba.conf entry": "access",
    "role": "access",  # role "..." does not exist
    "database": "no_database",  # database "..." does not exist
}
#: Whole SQLSTATE classes, for the codes not listed above.
POSTGRESQL_CLASSES: dict[str, Kind] = {
    "08": "connection",  # connection exception
    "23": "constraint",  # integrity constraint violation
    "40": "transient",  # transaction rollback
}


def classify_postgresql(orig: object) -> Kind | None:
    """The kind of a psycopg or psycopg2 error, from its SQLSTATE."""
    if not type(orig).__module__.startswith("psycopg"):
        return None
    code = _sqlstate(orig)
    if code is not None:
        return POSTGRESQL_CODES.get(code) or POSTGRESQL_CLASSES.get(code[:2])
    if not _is_a(orig, "OperationalError"):
        return None
    message = str(orig)
    for words, kind in POSTGRESQL_CONNECT_MESSAGES.items():
        if f"FATAL:  {words}" in message:
            return kind
    return "connection"  # no answer from the server


def _sqlstate(orig: object) -> str | None:
    """The SQLSTATE: psycopg 3 calls it `sqlstate`, psycopg2 `pgcode`."""
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(code) if code is not None else None


def _is_a(orig: object, name: str) -> bool:
    """Whether `orig` is an instance of a class called `name` (no import of psycopg)."""
    return any(cls.__name__ == name for cls in type(orig).__mro__)


def details_postgresql(orig: object) -> Details | None:
    """The SQLSTATE and the names PostgreSQL sends apart from its message
    (the drivers' `diag`); the DETAIL line, which quotes values, is not read."""
    if not type(orig).__module__.startswith("psycopg"):
        return None
    diag = getattr(orig, "diag", None)
    return Details(
        code=_sqlstate(orig),
        constraint=getattr(diag, "constraint_name", None),
        table=getattr(diag, "table_name", None),
        column=getattr(diag, "column_name", None),
    )
