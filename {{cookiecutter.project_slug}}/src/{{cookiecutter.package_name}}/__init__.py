"""The data layer: settings, database access, models and repositories."""
