#: PostgreSQL's timestamptz stores the instant: every client reads the same
#: moment, shown in its own time zone.
TIMESTAMP_TYPE = postgresql.TIMESTAMP(timezone=True)
