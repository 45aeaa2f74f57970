{%- set db = cookiecutter | backend -%}
{%- set string = db.string_type -%}
"""The user account model."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from sqlalchemy import {{ string }}
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .. import security
from ..errors import ValidationError
from ..validation import column_text
from .base import BaseModel

if TYPE_CHECKING:
    from .profile import Profile

{%- if db.string_type_why %}
# {{ db.string_type_why }}
{%- endif %}
USERNAME_MAX_LENGTH = 100
#: Room for the normalised form (`username_key`): NFKC and case folding can
#: lengthen text ("ß" folds to "ss", "㍿" becomes four characters).
USERNAME_KEY_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 255
PASSWORD_HASH_MAX_LENGTH = 255
#: Any whitespace: the characters str.isspace() accepts, found in C (bulk loads
#: validate every row).
_WHITESPACE = re.compile(r"\s")
#: Scripts that may share a username, as in Unicode TS #39's "highly
#: restrictive" level: Latin with the scripts written alongside it in Japanese,
#: Chinese and Korean. Any other mix of scripts is refused.
_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
#: The first word of a letter's Unicode name that is not its script's name.
_SCRIPT_ALIASES = {
    "CJK": "HAN",
    "IDEOGRAPHIC": "HAN",
    "KATAKANA-HIRAGANA": "KATAKANA",
    "MODIFIER": None,  # modifier letters (U+02BC, U+02C6) belong to no one script
}


class User(BaseModel):
    """An account that signs in with a username or e-mail and a password.

    Only a hash of the password is kept (see `set_password`). Whether "Ada"
    and "ada" are the same username does not depend on the database's
    collation: `username_key`, unique, holds the username normalised (NFKC,
    case folded), so "Ada", "ada" and "ada" in fullwidth letters are one name. The
    username itself is kept as typed, without surrounding spaces. E-mail
    addresses are stored in lower case, so they compare the same way everywhere.
    """

    __tablename__ = "users"

    username: Mapped[str] = mapped_column({{ string }}(USERNAME_MAX_LENGTH), unique=True)
    #: Set with `username`: `username_key(username)`, compared for uniqueness.
    username_key: Mapped[str] = mapped_column(
        {{ string }}(USERNAME_KEY_MAX_LENGTH), unique=True
    )
    email: Mapped[str] = mapped_column({{ string }}(EMAIL_MAX_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column({{ string }}(PASSWORD_HASH_MAX_LENGTH))
    active: Mapped[bool] = mapped_column(default=True)
    profile: Mapped[Profile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @validates("username")
    def _validate_username(self, _key: str, value: str) -> str:
        username = validate_username(value)
        self.username_key = username_key(username)
        return username

    @validates("email")
    def _validate_email(self, _key: str, value: str) -> str:
        return validate_email(value)

    @validates("password_hash")
    def _validate_password_hash(self, _key: str, value: str) -> str:
        return validate_password_hash(value)

    def set_password(self, password: str) -> None:
        """Store an Argon2id hash of `password` (never the password itself).

        Raises ValidationError for a password `security.hash_password` refuses:
        shorter than 8 or longer than 1,024 characters, only spaces, or with
        control characters.
        """
        self.password_hash = security.hash_password(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` is this user's; upgrades an outdated hash on success.

        When the hashing parameters have been raised since the hash was made
        (or the hash predates password normalisation), the hash is replaced;
        the caller's commit saves it.
        """
        matches, new_hash = security.verify_and_update(self.password_hash, password)
        if new_hash is not None:
            self.password_hash = new_hash
        return matches

    def to_dict(self) -> dict[str, Any]:
        """The public fields of the user; the password hash is left out."""
        return {
            **super().to_dict(),
            "username": self.username,
            "email": self.email,
            "active": self.active,
        }

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r})"


def validate_username(value: object) -> str:
    """`value` without surrounding spaces, or ValidationError if it is refused.

    Refused, besides what cannot be stored: control characters, invisible
    format characters (Unicode category Cf: zero-width spaces and joiners,
    bidirectional controls), private-use and unassigned code points, and
    letters from scripts that do not go together (`_SCRIPT_MIXES`), such as a
    Cyrillic "i" (U+0456) among Latin letters: it looks like "admin" but is not.
    Digits, punctuation, symbols and combining marks belong to every script.
    """
    if not isinstance(value, str):
        raise ValidationError(f"username must be text, got {type(value).__name__}")
    username = column_text("username", value.strip(), USERNAME_MAX_LENGTH)
    if not username:
        raise ValidationError("username must not be empty")
    if username.isascii() and username.isprintable():
        return username  # one script, nothing hidden, and its key is as long
    hidden = [c for c in username if unicodedata.category(c).startswith("C")]
    if hidden:
        raise ValidationError(
            f"username must not contain control, format or unassigned characters"
            f" (found U+{ord(hidden[0]):04X})"
        )
    key = username_key(username)
    scripts = _letter_scripts(key)
    if len(scripts) > 1 and not any(scripts <= mix for mix in _SCRIPT_MIXES):
        raise ValidationError(
            f"username mixes letters of {', '.join(sorted(scripts)).title()}"
        )
    column_text("username (normalised)", key, USERNAME_KEY_MAX_LENGTH)
    return username


def username_key(username: str) -> str:
    """The form of `username` that uniqueness compares: NFKC, case folded.

    Compatibility forms become their plain letters (fullwidth "a", U+FF41, is
    "a"; the ligature U+FB01 is "fi") and case is folded ("Admin" and "ADMIN" are "admin").
    Normalising again after folding makes the result stable (NFKC_Casefold).
    """
    if username.isascii():
        return username.lower()  # the same, faster (bulk loads call this per row)
    folded = unicodedata.normalize("NFKC", username).casefold()
    return unicodedata.normalize("NFKC", folded)


def _letter_scripts(text: str) -> set[str]:
    """The scripts of the letters in `text`, named as their Unicode names begin.

    The standard library has no script property; a letter's name starts with
    its script ("LATIN SMALL LETTER A", "CYRILLIC SMALL LETTER I", "ARABIC
    LETTER MEEM", "CJK UNIFIED IDEOGRAPH-540D"), which is enough to tell
    scripts apart.
    """
    scripts: set[str] = set()
    for char in text:
        if unicodedata.category(char).startswith("L"):
            first = unicodedata.name(char, "").split(" ", 1)[0]
            script = _SCRIPT_ALIASES.get(first, first)
            if script:
                scripts.add(script)
    return scripts


def validate_email(value: object) -> str:
    """`value` in lower case, or ValidationError if it is not an e-mail address."""
    if not isinstance(value, str):
        raise ValidationError(f"email must be text, got {type(value).__name__}")
    email = column_text("email", value.strip().lower(), EMAIL_MAX_LENGTH)
    local, at, domain = email.rpartition("@")
    if not (local and at and "." in domain) or _WHITESPACE.search(email):
        raise ValidationError(f"email {email[:100]!r} is not an e-mail address")
    return email


def validate_password_hash(value: object) -> str:
    """`value`, or ValidationError if it is empty or cannot be stored.

    Oracle stores an empty string as NULL, which this NOT NULL column refuses
    (ORA-01400): an empty hash is refused here, on every database alike.
    """
    password_hash = column_text("password_hash", value, PASSWORD_HASH_MAX_LENGTH)
    if not password_hash:
        raise ValidationError("password_hash must not be empty")
    return password_hash
