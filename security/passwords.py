"""Password hashing (argon2id, the OWASP first choice, through argon2-cffi) and the password
policy. Passwords are never logged or audited: only whether a check passed."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" defaults
MIN_LENGTH = 10
# Passwords an installer is likely to type first; refused whatever the length rule says.
COMMON = frozenset(
    {"password", "password1", "123456", "12345678", "123456789", "1234567890", "admin", "admin123",
     "administrator", "changeme", "letmein", "qwerty", "qwertyuiop", "welcome", "onescreen",
     "onescreen123", "iloveyou", "abc123", "111111", "000000", "88888888", "a123456", "woaini1314"}
)  # fmt: skip
# Verified against when the username is unknown, so that a wrong username costs as much time
# as a wrong password and does not reveal which usernames exist.
_DUMMY = _HASHER.hash("onescreen-timing-equaliser")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        _burn(password)  # a user without a password (a demo user) costs the same time
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def _burn(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _HASHER.verify(_DUMMY, password)


def policy_problem(username: str, password: str) -> str | None:
    """Why this password is refused (in English, for the CLI and logs), or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    lowered = password.lower()
    if lowered in COMMON or lowered == username.lower() or username.lower() in lowered:
        return "this password is a default, a common one or contains the username"
    if len(set(password)) < 4:
        return "a password needs at least 4 different characters"
    return None
