"""The project's own errors: what callers catch instead of library errors."""


class DataLayerError(Exception):
    """Base class of every error the data layer raises on purpose."""


class ValidationError(DataLayerError, ValueError):
    """A value was refused before it reached the database."""


{% filter trim %}{% include "analytics/errors.py" %}{% endfilter %}
