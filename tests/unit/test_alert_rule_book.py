"""The alert rule book (config/alert_rules.yaml, domain/alert_rules.py): loading, validating and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from alert_readings import (
    BOOK,
    MIN,
    OWN,
)

from config.alert_rules import RULES_FILE, load_alert_rules
from domain.alert_lifecycle import Severity
from domain.alert_rules import (
    RuleBookError,
    parse_rule_book,
)
from locales import catalogue

# --- the rule book --------------------------------------------------------------------------


def test_the_shipped_rule_book_watches_only_known_sensor_kinds_and_quantities():
    BOOK.check_targets({kind: set(quantities) for kind, quantities in OWN.items()})
    watched = {kind for rule in BOOK.rules for kind in rule.sensor_kinds}
    assert watched == set(OWN)  # every IoT kind of the demo park has a rule
    assert {r.id for r in BOOK.for_kind("water_level")} == {"road_flooding", "water_rising", "sensor_offline"}


def test_check_targets_names_the_rule_and_what_it_watches_wrongly():
    with pytest.raises(RuleBookError) as bad:
        BOOK.check_targets({"smoke": {"obscuration"}, "gas": {"co"}})
    message = str(bad.value)
    assert "rule 'gas_leak': gas sensors do not measure 'ch4'" in message
    assert "rule 'road_flooding': unknown sensor kind 'water_level'" in message


def test_the_escalation_times_become_the_lifecycles_policy():
    assert BOOK.policy().after == {Severity.CRITICAL: 5 * MIN, Severity.WARNING: 15 * MIN}
    book = parse_rule_book({"escalation": {"info": 60, "warning": None}, "rules": [{**_OFFLINE}]})
    assert book.policy().after == {Severity.CRITICAL: 5 * MIN, Severity.INFO: 60 * MIN}


def test_every_rule_has_a_title_and_every_message_in_both_catalogues():
    keys = {f"alert_rule.{rule.id}" for rule in BOOK.rules}
    keys |= {f"alert_message.{m}" for m in ("above", "below", "sustained_above", "sustained_below")}
    keys |= {"alert_message.rising", "alert_message.falling", "alert_message.offline"}
    for lang in ("zh", "en"):
        assert keys <= set(catalogue(lang)), keys - set(catalogue(lang))


_OFFLINE = {"id": "quiet", "kind": "offline", "sensor_kinds": ["gas"], "silent_min": 15}
_BAD_RULES = [
    (
        {
            "id": "gas_leak",
            "kind": "threshold",
            "sensor_kinds": ["gas"],
            "quantity": "ch4",
            "warning": 50,
            "critical": 20,
        },
        "rule 'gas_leak' (rules[1]): critical (20.0) must be at or above warning (50.0)",
    ),
    (
        {"id": "low", "kind": "threshold", "sensor_kinds": ["gas"], "quantity": "ch4", "direction": "below"},
        "rule 'low' (rules[1]): needs a warning or a critical level",
    ),
    (
        {
            "id": "smoke",
            "kind": "threshold",
            "sensor_kinds": ["smoke"],
            "quantity": "obscuration",
            "band": -1,
        },
        "rule 'smoke' (rules[1]) band: Input should be greater than or equal to 0",
    ),
    (
        {
            "id": "smoke",
            "kind": "threshold",
            "sensor_kinds": ["smoke"],
            "quantity": "obscuration",
            "colour": "red",
        },
        "rule 'smoke' (rules[1]) colour: Extra inputs are not permitted",
    ),
    (
        {"id": "surge", "kind": "thresold", "sensor_kinds": ["gas"]},
        "rule 'surge' (rules[1]): Input tag 'thresold'",
    ),
    (
        {"id": "rise", "kind": "rate", "sensor_kinds": ["water_level"], "quantity": "level", "warning": 0.1},
        "rule 'rise' (rules[1]) window_min: Field required",
    ),
    (
        {
            "id": "rise",
            "kind": "rate",
            "sensor_kinds": ["water_level"],
            "quantity": "level",
            "window_min": 30,
            "warning": -0.1,
        },
        "rule 'rise' (rules[1]): warning is a speed in the rule's direction: more than 0",
    ),
    (
        {"id": "held", "kind": "sustained", "sensor_kinds": ["noise"], "quantity": "laeq", "for_min": 0},
        "rule 'held' (rules[1]) for_min: Input should be greater than 0",
    ),
    (
        {"id": "Bad Id", "kind": "offline", "sensor_kinds": ["gas"], "silent_min": 5},
        "rule 'Bad Id' (rules[1]) id: String should match pattern",
    ),
    (
        {"kind": "offline", "sensor_kinds": [], "silent_min": 5},
        "rules[1] sensor_kinds: Tuple should have at least 1",
    ),
    (_OFFLINE, "rule 'quiet' is declared twice"),
]


@pytest.mark.parametrize(("bad", "says"), _BAD_RULES, ids=[s[:40] for _, s in _BAD_RULES])
def test_a_malformed_rule_stops_loading_with_a_message_naming_it(tmp_path, bad, says):
    path = tmp_path / "alert_rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [_OFFLINE, bad]}), encoding="utf-8")
    with pytest.raises(RuleBookError) as refused:
        load_alert_rules(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("rules: [", "not valid YAML"),
        ("", "Input should be a valid dictionary"),
        ("rules: []", "the book has no rules"),
        (
            "rules: [{id: quiet, kind: offline, sensor_kinds: [gas], silent_min: 15}]\nescalation: {critical: 0}",
            "escalation.critical: Input should be greater than 0",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_it(tmp_path, text, says):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleBookError, match=says):
        load_alert_rules(path)


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(RuleBookError, match=r"nope\.yaml: No such file"):
        load_alert_rules(tmp_path / "nope.yaml")
    assert RULES_FILE.name == "alert_rules.yaml"


def test_the_rule_book_loads_the_same_from_any_path(tmp_path):
    copy = tmp_path / "rules.yaml"
    copy.write_text(Path(RULES_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    assert load_alert_rules(copy) == BOOK
