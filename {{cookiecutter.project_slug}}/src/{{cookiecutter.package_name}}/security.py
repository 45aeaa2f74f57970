"""Password hashing with Argon2id, the memory-hard algorithm RFC 9106 recommends.

argon2-cffi salts every hash, stores its parameters inside the hash string and
compares in constant time. Raising the parameters later is safe: old hashes
still verify, and `needs_rehash()` says when to replace one.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2-cffi's defaults: Argon2id with RFC 9106's low-memory profile
#: (64 MiB, 3 passes, 4 lanes), about 50 ms a hash on a server core.
password_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """A salted Argon2id hash of `password`, with its parameters encoded in it."""
    return password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`; False for a malformed hash."""
    try:
        return password_hasher.verify(password_hash, password)
    except VerificationError:  # the wrong password
        return False
    except InvalidHashError:  # not an Argon2 hash at all
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether `password_hash` was made with other parameters than the current ones."""
    return password_hasher.check_needs_rehash(password_hash)
