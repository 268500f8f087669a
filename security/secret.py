"""The key that signs session cookies. An operator may set `secret_key`; the embedded profile
otherwise makes a random one on its first start and keeps it in data_dir (readable by this user
only), so no two installations share a key and nobody can sign a session with a published one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from config.settings import DEFAULT_SECRET_KEY, Settings

KEY_FILE = "secret.key"


def session_secret(settings: Settings) -> str:
    if settings.secret_key != DEFAULT_SECRET_KEY:
        return settings.secret_key
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        _create(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it to have a new one made")
    return key


def _create(path: Path) -> None:
    # Written whole under a temporary name, then linked into place: a second process starting
    # at the same moment either links first or reads the finished file, never a half-written one.
    temporary = path.with_name(f"{KEY_FILE}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
