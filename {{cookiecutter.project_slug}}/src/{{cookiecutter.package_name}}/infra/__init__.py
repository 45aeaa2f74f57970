"""Connections to the outside world: the database engine and its monitoring."""
