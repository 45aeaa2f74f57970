"""Repositories: the queries the application runs, one class per model."""
