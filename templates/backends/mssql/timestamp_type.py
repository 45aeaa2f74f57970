#: SQL Server's DATETIME rounds to 1/300 s; DATETIME2 keeps microseconds (UTC:
#: pymssql mishandles DATETIMEOFFSET).
TIMESTAMP_TYPE = mssql.DATETIME2(precision=6)  # type: ignore[no-untyped-call]
