"""Passwords: Argon2id hashes, constant-time checks, upgrades when parameters change."""

from __future__ import annotations

from dataclasses import replace

import pytest
from argon2 import PasswordHasher, Type, profiles

from {{ cookiecutter.package_name }} import security
from {{ cookiecutter.package_name }}.errors import ValidationError
from {{ cookiecutter.package_name }}.models import User

#: Stronger than the suite's parameters (conftest.py), so their hashes need a
#: rehash, yet cheap: RFC 9106's would cost a third of a second a test.
STRONGER = replace(profiles.CHEAPEST, time_cost=2, memory_cost=16)


def test_production_parameters_are_argon2id_rfc_9106() -> None:
    hasher = PasswordHasher()  # what security.py uses outside the test suite
    assert hasher.type is Type.ID
    assert hasher.memory_cost >= profiles.RFC_9106_LOW_MEMORY.memory_cost
    assert hasher.time_cost >= profiles.RFC_9106_LOW_MEMORY.time_cost


def test_hash_is_salted_and_verifies() -> None:
    first = security.hash_password("correct horse")
    second = security.hash_password("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second  # a new salt every time
    assert security.verify_password(first, "correct horse")
    assert not security.verify_password(first, "correct horse ")


@pytest.mark.parametrize("broken", ["", "plain-text", "$argon2id$v=19$garbage"])
def test_malformed_hashes_never_verify(broken: str) -> None:
    assert not security.verify_password(broken, "anything")


def test_user_password_round_trip() -> None:
    user = User(username="alan", email="alan@example.com")
    user.set_password("Tr1cky pässwörd ' OR 1=1 --")
    assert "pässwörd" not in user.password_hash
    assert user.check_password("Tr1cky pässwörd ' OR 1=1 --")
    assert not user.check_password("tr1cky pässwörd ' OR 1=1 --")


def test_empty_password_is_refused() -> None:
    with pytest.raises(ValidationError):
        User(username="x", email="x@example.com").set_password("")


def test_outdated_hash_is_upgraded_on_login(monkeypatch: pytest.MonkeyPatch) -> None:
    user = User(username="old", email="old@example.com")
    user.set_password("secret")  # the suite's cheap parameters
    old_hash = user.password_hash
    monkeypatch.setattr(
        security, "password_hasher", PasswordHasher.from_parameters(STRONGER)
    )
    assert security.needs_rehash(old_hash)
    assert user.check_password("secret")
    assert user.password_hash != old_hash
    assert not security.needs_rehash(user.password_hash)
    assert user.check_password("secret")


def test_wrong_password_does_not_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    user = User(username="old", email="old@example.com")
    user.set_password("secret")
    old_hash = user.password_hash
    monkeypatch.setattr(
        security, "password_hasher", PasswordHasher.from_parameters(STRONGER)
    )
    assert not user.check_password("wrong")
    assert user.password_hash == old_hash
