"""Chinese names and their pinyin English forms: people, trade names, streets' word stock."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from demo.files import DATA_DIR, read_yaml

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class NameBook:
    """Word stock from demo/data/names.yaml, each entry (汉字, pinyin)."""

    rivers: tuple[Pair, ...]
    mountains: tuple[Pair, ...]
    themes: tuple[Pair, ...]
    surnames: tuple[Pair, ...]
    surname_weights: np.ndarray
    given: tuple[Pair, ...]
    brands: tuple[Pair, ...]


@functools.cache
def name_book() -> NameBook:
    """The word stock, read once on first use (never at import)."""
    raw = read_yaml(DATA_DIR / "names.yaml")

    def pairs(key: str) -> tuple[Pair, ...]:
        return tuple((str(p[0]), str(p[1])) for p in raw[key])

    return NameBook(
        rivers=pairs("rivers"),
        mountains=pairs("mountains"),
        themes=pairs("themes"),
        surnames=pairs("surnames"),
        surname_weights=np.array([float(p[2]) for p in raw["surnames"]]),
        given=pairs("given"),
        brands=pairs("brands"),
    )


def join_pinyin(syllables: list[str]) -> str:
    """Write syllables as one word, capitalised, with the apostrophe GB/T 16159 puts before a
    syllable starting with a, o or e (Tai'an, not Taian)."""
    word = ""
    for s in syllables:
        s = s.lower()
        if word and s[0] in "aoe":
            word += "'"
        word += s
    return word[:1].upper() + word[1:]


def person_names(rng: np.random.Generator, n: int) -> list[Pair]:
    """`n` distinct personal names as (汉字, "Surname Givenname"), surname first as in China."""
    book = name_book()
    p = book.surname_weights / book.surname_weights.sum()
    seen: set[str] = set()
    out: list[Pair] = []
    while len(out) < n:
        s = book.surnames[rng.choice(len(book.surnames), p=p)]
        k = 2 if rng.random() < 0.7 else 1  # two-character given names are the common form
        chars = [book.given[i] for i in rng.choice(len(book.given), size=k, replace=False)]
        zh = s[0] + "".join(c[0] for c in chars)
        if zh in seen:
            continue
        seen.add(zh)
        out.append((zh, f"{s[1]} {join_pinyin([c[1] for c in chars])}"))
    return out


def trade_names(rng: np.random.Generator, n: int) -> list[Pair]:
    """`n` distinct two-character trade names (字号) like (华康, Huakang)."""
    book = name_book()
    m = len(book.brands)
    if n > m * (m - 1):
        raise ValueError(f"only {m * (m - 1)} distinct trade names can be made, {n} asked")
    seen: set[str] = set()
    out: list[Pair] = []
    while len(out) < n:
        a, b = rng.choice(m, size=2, replace=False)
        zh = book.brands[a][0] + book.brands[b][0]
        if zh in seen:
            continue
        seen.add(zh)
        out.append((zh, join_pinyin([book.brands[a][1], book.brands[b][1]])))
    return out


def theme_names(rng: np.random.Generator, n: int) -> list[Pair]:
    """`n` distinct theme words (e.g. for communities), in random order."""
    themes = name_book().themes
    if n > len(themes):
        raise ValueError(f"only {len(themes)} theme words, {n} asked")
    return [themes[i] for i in rng.permutation(len(themes))[:n]]
