"""The two catalogues are complete and every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from locales import LANGUAGES, catalogue, normalise, t

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("pages", "components", "services", "app.py")
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
PREFIX_KEY = re.compile(r"""\bt\(\s*f["']([a-z0-9_.]+)\{""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _code_files():
    for entry in CODE_DIRS:
        path = ROOT / entry
        yield from ([path] if path.is_file() else path.rglob("*.py"))


def test_both_catalogues_have_the_same_keys_and_placeholders():
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en), f"only zh: {set(zh) - set(en)}; only en: {set(en) - set(zh)}"
    for key in zh:
        assert _placeholders(zh[key]) == _placeholders(en[key]), key


def test_no_catalogue_entry_is_empty_or_untranslated_placeholder():
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            assert text.strip(), f"{lang}:{key} is empty"
            assert text != key, f"{lang}:{key} is the key itself"


def test_every_literal_key_in_the_code_exists():
    keys = set(catalogue("en"))
    missing = {}
    for path in _code_files():
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            if key not in keys:
                missing.setdefault(key, path.name)
    assert missing == {}


def test_every_computed_key_prefix_has_entries():
    keys = set(catalogue("en"))
    for path in _code_files():
        for prefix in PREFIX_KEY.findall(path.read_text(encoding="utf-8")):
            assert any(k.startswith(prefix) for k in keys), f"{path.name}: no keys start with {prefix!r}"


def test_languages_are_normalised_from_any_input():
    assert normalise("zh-CN") == "zh"
    assert normalise("EN") == "en"
    assert normalise("fr") == "zh"
    assert normalise(None) == "zh"
    assert normalise("<script>") == "zh"


def test_formatting_and_missing_keys():
    assert t("freshness.down", "en", down=2) == "2 source(s) down"
    assert t("no.such.key", "en") == "no.such.key"
