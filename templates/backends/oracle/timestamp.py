class ZonedTimestamp(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE, converted to and from UTC by Oracle itself.

    python-oracledb sends a datetime without its time zone (the server would
    read it in the session's time zone) and returns one without a zone. So the
    values travel as UTC wall times: FROM_TZ stores them as UTC, and
    SYS_EXTRACT_UTC reads any stored zone, another client's too, back as UTC.
    """

    impl = TIMESTAMP_TYPE
    cache_ok = True

    def bind_expression(
        self, bindparam: BindParameter[datetime]
    ) -> ColumnElement[datetime]:
        stamp = cast(bindparam, oracle.TIMESTAMP())
        return func.from_tz(stamp, literal_column("'+00:00'"), type_=bindparam.type)

    def column_expression(
        self, column: ColumnElement[datetime]
    ) -> ColumnElement[datetime]:
        return func.sys_extract_utc(column, type_=column.type)
