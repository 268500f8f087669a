"""Unified social credit codes (统一社会信用代码, GB 32100-2015) for the demo enterprises, of the
shape real registrations have: 9 (registered by market regulation) 1 (a company), the park's
administrative division, a nine-character organisation code with its own check character
(GB 11714-1997) and the code's check character (domain/credit_code.py)."""

from __future__ import annotations

import numpy as np

from domain.credit_code import check_character

DIVISION = "130171"  # 石家庄高新技术产业开发区, the national biological-industry base's zone
_ORG_ALPHABET = (
    "0123456789ABCDEFGHJKLMNPQRTUWXY"  # as issued since 2015: letters of the credit code's alphabet
)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_check(body: str) -> str:
    """GB 11714-1997's check character of an eight-character organisation code body."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def credit_codes(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct, valid codes. Since 2015 most new organisation codes begin with MA."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < n:
        tail = "".join(_ORG_ALPHABET[i] for i in rng.integers(len(_ORG_ALPHABET), size=6))
        org_body = ("MA" + tail) if rng.random() < 0.7 else "".join(str(d) for d in rng.integers(10, size=8))
        body = "91" + DIVISION + org_body + _org_check(org_body)
        code = body + check_character(body)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes
