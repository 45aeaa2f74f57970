#: MySQL's DATETIME keeps whole seconds unless asked for microseconds.
TIMESTAMP_TYPE = mysql.DATETIME(fsp=6)
