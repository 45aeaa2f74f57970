"""cookiecutter.json: the contract's keys, a prompt for each, a sound backend table."""

from __future__ import annotations

import pytest

from conftest import BACKENDS, CONTEXT, FACTS, POSTGRESQL_DRIVERS, TEMPLATE

CONTRACT_KEYS = [
    "project_name",
    "project_slug",
    "package_name",
    "description",
    "author_name",
    "author_email",
    "python_version",
    "database_backend",
    "postgresql_driver",
    "use_bigquery_analytics",
    "use_docker_compose",
    "ci_provider",
]
#: Facts every backend states: the rest default to `_backend_defaults`.
REQUIRED_FACTS = {"label", "drivername", "url_drivers", "import_name"}
#: Facts a server states besides those (some of them have defaults, which
#: only serverless backends use).
SERVER_FACTS = {
    "server",
    "dependency",
    "port",
    "a_server",
    "test_database_part",
    "ci_env",
    "ci_url",
    "ci_sync",
    "timestamp_type",
    "extra_settings",
    "create_database_options",
    "connect_timeout_arg",
    "name_max_bytes",
    "sleep_statement",
    "image",
    "data_dir",
    "container_env",
    "healthcheck",
}
#: Facts only some servers state: SQL Server's URL for its second CI job,
#: which runs the default driver where `ci_url` uses another.
OPTIONAL_FACTS = {"ci_odbc_url", "driver_label"}
SETTINGS = {"DB_USER", "DB_PASSWORD", "DB_NAME", "DB_ROOT_PASSWORD"}


def test_contract_keys_in_order() -> None:
    public = [key for key in CONTEXT if not key.startswith("_")]
    assert public == CONTRACT_KEYS


def test_every_question_has_a_prompt() -> None:
    prompts = CONTEXT["__prompts__"]
    assert set(prompts) == set(CONTRACT_KEYS)
    for key, value in CONTEXT.items():
        if isinstance(value, list) and not key.startswith("_"):
            choices = prompts[key]
            assert set(choices) == {"__prompt__", *value}, key


def test_defaults() -> None:
    assert CONTEXT["database_backend"][0] == "sqlite"
    assert CONTEXT["python_version"][0] == "3.11"
    assert CONTEXT["python_version"] == CONTEXT["_python_versions"]
    assert CONTEXT["use_docker_compose"] is True
    assert CONTEXT["use_bigquery_analytics"] is False
    assert CONTEXT["ci_provider"][0] == "github"
    assert CONTEXT["postgresql_driver"][0] == "psycopg"


def test_each_driver_choice_states_only_known_facts() -> None:
    """A backend's `drivers` change some of its facts, per `<name>_driver`."""
    known = (
        REQUIRED_FACTS
        | SERVER_FACTS
        | OPTIONAL_FACTS
        | set(CONTEXT["_backend_defaults"])
    )
    for name, stated in CONTEXT["_backends"].items():
        drivers = stated.get("drivers")
        if drivers:
            assert list(drivers) == CONTEXT[f"{name}_driver"], name
            for variant in drivers.values():
                assert set(variant) <= known - {"drivers"}, name
    psycopg2 = POSTGRESQL_DRIVERS["psycopg2"]
    assert psycopg2["drivername"] == "postgresql+psycopg2"
    assert psycopg2["ci_url"].startswith("postgresql+psycopg2://")
    [driver_setting] = [
        s for s in psycopg2["extra_settings"] if s["name"] == "db_driver"
    ]
    assert driver_setting["default"] == "psycopg2"
    assert FACTS["postgresql"]["ci_url"].startswith("postgresql+psycopg://")


def test_backends_offered_only_when_they_have_facts() -> None:
    assert BACKENDS == ["sqlite", "postgresql", "mysql", "mssql", "oracle", "bigquery"]
    assert set(CONTEXT["_backends"]) == set(BACKENDS)
    defaults = CONTEXT["_backend_defaults"]
    known = REQUIRED_FACTS | SERVER_FACTS | OPTIONAL_FACTS | set(defaults)
    for name, stated in CONTEXT["_backends"].items():
        assert REQUIRED_FACTS <= set(stated) <= known, name
        # A fact is stated only where it differs from its default.
        assert all(stated[key] != defaults.get(key, object()) for key in stated), name
        facts = FACTS[name]
        if not facts["server"]:
            assert not set(stated) & SERVER_FACTS - {"relational"}, name
            continue
        assert set(stated) >= SERVER_FACTS, name
        # Each container variable reads a setting from .env, or is a fixed value.
        settings = {v for v in facts["container_env"].values() if v.startswith("DB_")}
        assert settings <= SETTINGS, name
        assert set(facts["ci_env"]) == set(facts["container_env"]), name
        assert facts["ci_url"].startswith(facts["drivername"].split("+")[0] + "+"), name


def test_every_backend_has_its_code_partials() -> None:
    for name, facts in FACTS.items():
        partials = TEMPLATE / "templates" / "backends" / name
        expected = (
            {
                "server_url.py",
                "test_url.py",
                "README.md",
                "error_codes.py",
                "timeouts.py",
            }
            if facts["server"]
            else {"error_codes.py"}
            if facts["relational"]
            else set()
        )
        # The setup script: run by the image's initdb, or by a db-init service.
        if facts["server"]:
            expected.add("initdb.sh" if facts["initdb_dir"] else "db-init.sh")
        # Engine options only some drivers take.
        if facts["driver_engine_options"]:
            expected.add("engine_options.py")
        # The column type of timestamps, where the default is not enough.
        if facts["timestamp_type"]:
            expected.add("timestamp_type.py")
        # Where the database converts timestamps to UTC in SQL, the type doing it.
        if (facts["timestamp_type"] or {}).get("zone") == "sql":
            expected.add("timestamp.py")
        # Optional: included where present (SQL Server's login creation).
        optional = {"testing.py"}
        assert {p.name for p in partials.glob("*")} - optional == expected, name


def test_prompts_state_the_naming_rules() -> None:
    """The rules the pre-generation hook enforces, said before the answer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(TEMPLATE))
        from local_extensions import MAX_PACKAGE, MAX_SLUG

    prompts = CONTEXT["__prompts__"]
    for words in (
        "lowercase ASCII letters, digits and hyphens",
        "starting with a letter",
        "not ending with a hyphen",
        f"at most {MAX_SLUG} characters",
    ):
        assert words in prompts["project_slug"], words
    for words in (
        "lowercase ASCII letters, digits and underscores",
        "not starting with a digit",
        f"at most {MAX_PACKAGE} characters",
        "keyword",
    ):
        assert words in prompts["package_name"], words


def test_the_analytics_prompt_says_what_it_adds() -> None:
    """It spoke of "the guide's hybrid architecture", a guide the user never saw."""
    prompt = CONTEXT["__prompts__"]["use_bigquery_analytics"]
    assert "guide" not in prompt
    assert "BigQuery for events and reports" in prompt
    assert "application's own data" in prompt
