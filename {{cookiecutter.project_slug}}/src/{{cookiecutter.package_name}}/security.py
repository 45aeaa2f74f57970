"""Password hashing with Argon2id, the memory-hard algorithm RFC 9106 recommends.

argon2-cffi salts every hash, stores its parameters inside the hash string and
compares in constant time. Raising the parameters later is safe: old hashes
still verify, and `needs_rehash()` says when to replace one.

Passwords are prepared as RFC 8265's OpaqueString profile says before they are
hashed or checked (`prepare_password`): non-ASCII spaces become U+0020 and the
text is normalised to NFC, so "café" typed with a combining accent matches
"café" typed with the precomposed letter. Each hash costs 64 MiB of memory:
bound how many run at once where requests arrive (see the README).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import ValidationError

#: argon2-cffi's defaults: Argon2id with RFC 9106's low-memory profile
#: (64 MiB, 3 passes, 4 lanes), about 50 ms a hash on a server core.
password_hasher = PasswordHasher()

#: The fewest characters a new password may have (NIST SP 800-63B's minimum).
PASSWORD_MIN_LENGTH = 8
#: The most characters a password may have: longer ones are refused before
#: any work, so a megabyte-long "password" costs nothing to turn away.
PASSWORD_MAX_LENGTH = 1024

#: The most an imported hash (`check_imported_hash`) may ask of a sign-in:
#: twice this project's memory (KiB), passes and lanes. A planted hash with
#: 1 GiB of memory would cost 1 GiB and seconds at every attempt.
MAX_MEMORY_COST = 2 * password_hasher.memory_cost
MAX_TIME_COST = 2 * password_hasher.time_cost
MAX_PARALLELISM = 2 * password_hasher.parallelism
#: The parts of an Argon2id hash in the PHC string format, as argon2-cffi
#: writes it: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.
_COST = re.compile(
    r"m=(?P<m>[1-9][0-9]{0,9}),t=(?P<t>[1-9][0-9]{0,9}),p=(?P<p>[1-9][0-9]{0,9})"
)
#: The whole hash: the parameters (checked by `_check_cost`), then at least
#: 8 bytes of salt and 4 of hash in unpadded base64.
_ARGON2ID = re.compile(
    r"\$argon2id\$v=19\$([^$]*)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{6,}"
)


def prepare_password(password: object) -> str:
    """`password` as RFC 8265's OpaqueString profile compares it, else ValidationError.

    Refused: anything but text, more than `PASSWORD_MAX_LENGTH` characters,
    control characters (tab, NUL, ...), unencodable text (lone surrogates) and
    passwords made only of spaces. Non-ASCII spaces are mapped to U+0020 and
    the result is normalised to NFC. The minimum length is checked only for new
    passwords (`hash_password`), so older, shorter ones can still sign in.
    """
    if not isinstance(password, str):
        raise ValidationError(f"password must be text, got {type(password).__name__}")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationError(
            f"password is longer than {PASSWORD_MAX_LENGTH} characters"
        )
    mapped = "".join(" " if unicodedata.category(c) == "Zs" else c for c in password)
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in mapped):
        raise ValidationError("password must not contain control characters")
    if mapped and mapped.isspace():
        raise ValidationError("password must not be only spaces")
    return unicodedata.normalize("NFC", mapped)


def hash_password(password: str) -> str:
    """A salted Argon2id hash of `password` (prepared), with its parameters in it.

    Raises ValidationError for a password `prepare_password` refuses or one
    shorter than `PASSWORD_MIN_LENGTH` characters.
    """
    prepared = prepare_password(password)
    if len(prepared) < PASSWORD_MIN_LENGTH:
        raise ValidationError(
            f"password must have at least {PASSWORD_MIN_LENGTH} characters"
        )
    return password_hasher.hash(prepared)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`; False for a malformed hash."""
    return verify_and_update(password_hash, password)[0]


def verify_and_update(password_hash: str, password: str) -> tuple[bool, str | None]:
    """Whether `password` matches, and the hash to store instead, if any.

    A password `prepare_password` refuses never matches. A hash made before
    passwords were prepared is also tried with `password` as typed; when that
    matches, or the hash has outdated parameters, a new hash of the prepared
    password is returned (without the minimum length: it is not a new password).
    """
    try:
        prepared = prepare_password(password)
    except ValidationError:
        return False, None
    if _verify(password_hash, prepared):
        if needs_rehash(password_hash):
            return True, password_hasher.hash(prepared)
        return True, None
    if prepared != password and _verify(password_hash, password):
        return True, password_hasher.hash(prepared)
    return False, None


def check_imported_hash(password_hash: str) -> str:
    """`password_hash` if it is an Argon2id hash within bounds, else ValidationError.

    For hashes that arrive from elsewhere (`UserRepository.bulk_create`): a
    plain-text password would be stored as it is, and a hash with a huge cost
    would make every sign-in attempt on that account expensive.
    """
    match = _ARGON2ID.fullmatch(password_hash)
    if match is None:
        raise ValidationError(
            "password_hash is not an Argon2id hash"
            " ($argon2id$v=19$m=...,t=...,p=...$salt$hash)"
        )
    _check_cost(match[1])
    return password_hash


def verify_dummy(password: str) -> None:
    """Spend the time checking `password` would take, against a hash of nothing.

    For a sign-in with a username that does not exist: answering at once would
    tell an attacker which usernames do. The dummy hash is made once per hasher,
    with its parameters, so it costs what a real user's hash costs.
    """
    try:
        prepared = prepare_password(password)
    except ValidationError:  # refused as quickly for a real user
        return
    _verify(_dummy_hash(password_hasher), prepared)


def needs_rehash(password_hash: str) -> bool:
    """Whether `password_hash` was made with other parameters than the current ones."""
    return password_hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=64)  # a bulk load's hashes mostly share their parameters
def _check_cost(parameters: str) -> None:
    match = _COST.fullmatch(parameters)
    if match is None:
        raise ValidationError(f"password_hash has unknown parameters {parameters!r}")
    bounds = {
        "m": ("memory cost", MAX_MEMORY_COST),
        "t": ("time cost", MAX_TIME_COST),
        "p": ("parallelism", MAX_PARALLELISM),
    }
    for key, (name, bound) in bounds.items():
        if int(match[key]) > bound:
            raise ValidationError(
                f"password_hash has a {name} of {match[key]}, over the bound {bound}"
            )


@lru_cache(maxsize=1)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(32))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except VerificationError:  # the wrong password
        return False
    except InvalidHashError:  # not an Argon2 hash at all
        return False
