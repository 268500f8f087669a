"""The alert rule book of an app, read once at start-up (config/alert_rules.yaml) and checked
against the sensor kinds the park registers and the case-type catalogue, so a malformed or
mistargeted rule stops start-up with a message naming it instead of failing on a reading."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from config.alert_rules import RULES_FILE, load_alert_rules
from demo.sensors import SENSOR_KINDS
from domain.alert_rules import RuleBook
from services.case_types import type_ids

KEY = "onescreen.alert_rules"


def sensor_quantities() -> dict[str, set[str]]:
    """Each registered sensor kind and the quantities its sensors measure."""
    return {kind.kind: {q.name for q in kind.quantities} for kind in SENSOR_KINDS}


def checked_rule_book(path: Path = RULES_FILE) -> RuleBook:
    """The rule book in `path`, checked. Raises RuleBookError naming the file, each bad rule and
    what is wrong with it (an unknown kind or quantity, a case type the catalogue lacks)."""
    book = load_alert_rules(path)
    book.check_targets(sensor_quantities())
    book.check_case_types(type_ids())
    return book


def install_rule_book(server: Flask, book: RuleBook) -> None:
    server.extensions[KEY] = book


def rule_book() -> RuleBook:
    """The current app's rule book; RuntimeError when the app was built without one."""
    book = current_app.extensions.get(KEY)
    if book is None:
        raise RuntimeError("the app has no alert rule book: create_app loads it (init_alert_rules)")
    return book
