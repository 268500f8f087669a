"""Reads the alert rule book (config/alert_rules.yaml) into domain/alert_rules.RuleBook.
Read once at start-up: a malformed rule stops it with a message naming the rule."""

from __future__ import annotations

from pathlib import Path

import yaml

from domain.alert_rules import RuleBook, RuleBookError, parse_rule_book

RULES_FILE = Path(__file__).resolve().parent / "alert_rules.yaml"


def load_alert_rules(path: Path = RULES_FILE) -> RuleBook:
    """The rule book in `path`. Raises RuleBookError naming the file and, for a bad rule, the
    rule (its id and place) and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleBookError(f"{path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleBookError(f"{path}: not valid YAML: {exc}") from None
    return parse_rule_book(data, str(path))
