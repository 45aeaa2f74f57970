#: Engine options that only one driver accepts, by driver name: each driver
#: needs asking, pyodbc for fast bulk inserts, pymssql for DATETIME2's
#: microseconds.
DRIVER_ENGINE_OPTIONS: dict[str, dict[str, Any]] = {
    # Bulk inserts: one round trip per executemany() batch.
    "pyodbc": {"fast_executemany": True},
    # Without it pymssql sends datetimes cut to milliseconds.
    "pymssql": {"connect_args": {"use_datetime2": True}},
}
