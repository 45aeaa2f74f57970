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
    assert not security.verify_password(first, "Correct horse")


@pytest.mark.parametrize("broken", ["", "plain-text", "$argon2id$v=19$garbage"])
def test_malformed_hashes_never_verify(broken: str) -> None:
    assert not security.verify_password(broken, "anything")


def test_user_password_round_trip() -> None:
    user = User(username="alan", email="alan@example.com")
    user.set_password("Tr1cky pässwörd ' OR 1=1 --")
    assert "pässwörd" not in user.password_hash
    assert user.check_password("Tr1cky pässwörd ' OR 1=1 --")
    assert not user.check_password("tr1cky pässwörd ' OR 1=1 --")


NFC = "caf\u00e9 au lait"  # é as one code point
NFD = "cafe\u0301 au lait"  # e, then a combining acute accent


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "at least 8 characters"),
        ("short", "at least 8 characters"),
        (" ", "only spaces"),
        (" " * 8, "only spaces"),
        ("\u3000\u00a0" * 4, "only spaces"),  # ideographic and no-break spaces
        ("\x00" * 8, "control characters"),
        ("pass\tword", "control characters"),
        ("password\n", "control characters"),
        ("pass\x7fword", "control characters"),
        ("pass\ud800word", "control characters"),  # a lone surrogate
        ("x" * (security.PASSWORD_MAX_LENGTH + 1), "longer than 1024"),
    ],
)
def test_unusable_passwords_are_refused(password: str, message: str) -> None:
    user = User(username="x", email="x@example.com")
    with pytest.raises(ValidationError, match=message):
        user.set_password(password)
    assert not security.verify_password(security.hash_password("a good one"), password)


def test_an_overlong_password_is_refused_without_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class NoHashing:
        def hash(self, _password: str) -> str:
            raise AssertionError("hashed")

        def verify(self, _hash: str, _password: str) -> bool:
            raise AssertionError("verified")

    monkeypatch.setattr(security, "password_hasher", NoHashing())
    huge = "x" * 100_000_000
    with pytest.raises(ValidationError, match="longer than"):
        security.hash_password(huge)
    assert not security.verify_password("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aA", huge)


@pytest.mark.parametrize(
    "password",
    ["12345678", "x" * security.PASSWORD_MAX_LENGTH, "名前名前名前名前", "  spaced  "],
)
def test_passwords_at_the_bounds_are_accepted(password: str) -> None:
    user = User(username="x", email="x@example.com")
    user.set_password(password)
    assert user.check_password(password)


@pytest.mark.parametrize(("set_as", "typed_as"), [(NFC, NFD), (NFD, NFC)])
def test_passwords_compare_after_nfc_normalisation(set_as: str, typed_as: str) -> None:
    user = User(username="x", email="x@example.com")
    user.set_password(set_as)
    assert user.check_password(typed_as)
    assert user.check_password(set_as)


def test_non_ascii_spaces_compare_as_spaces() -> None:
    user = User(username="x", email="x@example.com")
    user.set_password("correct\u00a0horse")  # a no-break space
    assert user.check_password("correct horse")


def test_a_hash_of_an_unnormalised_password_still_verifies_and_is_replaced() -> None:
    user = User(username="x", email="x@example.com")
    user.password_hash = security.password_hasher.hash(NFD)  # made before NFC
    assert user.check_password(NFD)
    assert user.check_password(NFC)  # replaced by a hash of the NFC form
    assert not security.verify_password(user.password_hash, "cafe au lait")


def test_an_older_short_password_still_signs_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = User(username="x", email="x@example.com")
    user.password_hash = security.password_hasher.hash("pw")  # before the minimum
    monkeypatch.setattr(
        security, "password_hasher", PasswordHasher.from_parameters(STRONGER)
    )
    assert user.check_password("pw")  # and the rehash does not apply the minimum
    assert not security.needs_rehash(user.password_hash)


def test_outdated_hash_is_upgraded_on_login(monkeypatch: pytest.MonkeyPatch) -> None:
    user = User(username="old", email="old@example.com")
    user.set_password("secret password")  # the suite's cheap parameters
    old_hash = user.password_hash
    monkeypatch.setattr(
        security, "password_hasher", PasswordHasher.from_parameters(STRONGER)
    )
    assert security.needs_rehash(old_hash)
    assert user.check_password("secret password")
    assert user.password_hash != old_hash
    assert not security.needs_rehash(user.password_hash)
    assert user.check_password("secret password")


def test_wrong_password_does_not_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    user = User(username="old", email="old@example.com")
    user.set_password("secret password")
    old_hash = user.password_hash
    monkeypatch.setattr(
        security, "password_hasher", PasswordHasher.from_parameters(STRONGER)
    )
    assert not user.check_password("wrong")
    assert user.password_hash == old_hash
