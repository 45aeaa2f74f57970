#: Oracle's TIMESTAMP WITH TIME ZONE stores the instant, with microseconds (its
#: DATE, SQLAlchemy's default, keeps whole seconds).
TIMESTAMP_TYPE = oracle.TIMESTAMP(timezone=True)
