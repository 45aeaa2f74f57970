"""cookiecutter.json: the contract's keys, a prompt for each, a sound backend table."""

from __future__ import annotations

from conftest import BACKENDS, CONTEXT

CONTRACT_KEYS = [
    "project_name",
    "project_slug",
    "package_name",
    "description",
    "author_name",
    "author_email",
    "python_version",
    "database_backend",
    "use_docker_compose",
    "ci_provider",
]
#: Facts every backend states, and the ones only servers need.
BACKEND_FACTS = {
    "label",
    "server",
    "drivername",
    "dependency",
    "import_name",
    "port",
    "url_query",
    "url_query_why",
    "duplicate_key",
    "duplicate_key_source",
    "timestamp_type",
}
SERVER_FACTS = {
    "admin_database",
    "create_database_options",
    "connect_timeout_arg",
    "image",
    "data_dir",
    "container_env",
    "healthcheck",
    "create_test_database",
}


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
    assert CONTEXT["ci_provider"][0] == "github"


def test_backends_offered_only_when_they_have_facts() -> None:
    assert BACKENDS == ["sqlite", "postgresql", "mysql"]
    assert set(CONTEXT["_backends"]) == set(BACKENDS)
    for name, facts in CONTEXT["_backends"].items():
        assert set(facts) >= BACKEND_FACTS, name
        if facts["server"]:
            assert set(facts) >= SERVER_FACTS, name
            assert set(facts["container_env"].values()) <= {
                "DB_USER",
                "DB_PASSWORD",
                "DB_NAME",
                "DB_ROOT_PASSWORD",
            }
            assert set(facts["container_env"].values()) <= set(CONTEXT["_ci_database"])
