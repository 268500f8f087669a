"""The unified social credit code (统一社会信用代码, GB 32100-2015) every Chinese enterprise is
registered under: 18 characters from a 31-character alphabet (no I, O, S, V or Z), the last a
check character over the first 17. Searching by it and checking imported rows need the check:
a mistyped code must be refused, not silently match nothing."""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ... (GB 32100-2015, 5.2)
SHAPE = re.compile(rf"[{ALPHABET}]{{18}}")


def check_character(body: str) -> str:
    """The 18th character for the first 17 (all in ALPHABET)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(text: str) -> str:
    """Upper case without spaces: codes are printed in groups and typed in lower case."""
    return re.sub(r"\s+", "", text).upper()


def problem(code: str) -> str | None:
    """Why `code` is not a unified social credit code, or None when it is one."""
    if len(code) != 18:
        return f"has {len(code)} characters, not 18"
    if not SHAPE.fullmatch(code):
        bad = next(ch for ch in code if ch not in _VALUE)
        return f"contains {bad!r}, which no credit code uses (no I, O, S, V or Z)"
    if check_character(code[:17]) != code[17]:
        return f"check character should be {check_character(code[:17])!r}, not {code[17]!r}"
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None
