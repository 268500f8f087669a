"""The rule book as the app loads it (services/alert_book.py): checked against the park's sensor
kinds and the case-type catalogue, and a bad one stops start-up with one line naming it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from apps import clear_onescreen_env

from config.alert_rules import RULES_FILE
from domain.alert_rules import RuleBookError
from services.alert_book import checked_rule_book


def _copy(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "alert_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_book_maps_every_watched_sensor_kind_to_a_case_type():
    book = checked_rule_book()
    for rule in book.rules:
        for kind in rule.sensor_kinds:
            assert book.case_type(rule.id, kind) is not None, (rule.id, kind)
    assert book.case_type("water_rising", "water_level") == "ws.flood_control"  # by rule first
    assert book.case_type("road_flooding", "water_level") == "um.road_waterlogging"  # then by kind


def test_a_case_type_the_catalogue_lacks_is_named(tmp_path):
    path = _copy(tmp_path, lambda d: d["cases"]["by_kind"].update(smoke="ws.no_such_type"))
    with pytest.raises(RuleBookError, match=r"cases.by_kind.smoke: unknown case type 'ws.no_such_type'"):
        checked_rule_book(path)


def test_a_mapping_for_a_rule_the_book_lacks_is_named(tmp_path):
    path = _copy(tmp_path, lambda d: d["cases"]["by_rule"].update(ghost_rule="ws.smoke_alarm"))
    with pytest.raises(RuleBookError, match=r"cases.by_rule: no rule 'ghost_rule'"):
        checked_rule_book(path)


def test_a_rule_watching_a_kind_the_park_does_not_register_is_named(tmp_path):
    path = _copy(tmp_path, lambda d: d["rules"][0].update(sensor_kinds=["smoke", "volcano"]))
    with pytest.raises(RuleBookError, match=r"rule 'smoke_alarm': unknown sensor kind 'volcano'"):
        checked_rule_book(path)


def test_a_malformed_rule_stops_start_up_with_one_line_naming_it(tmp_path, monkeypatch, capsys):
    import app

    path = _copy(tmp_path, lambda d: d["rules"][1].update(band=-1))
    monkeypatch.setattr(app, "checked_rule_book", lambda: checked_rule_book(path))
    clear_onescreen_env(monkeypatch)
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(tmp_path / "data"))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        assert app.main() == 2
    finally:  # main() set up the process's logging (ops/logs.py): leave it as other tests had it
        root.handlers[:], root.level = handlers, level
    err = capsys.readouterr().err
    assert "rule 'gas_leak' (rules[1]) band" in err and "Traceback" not in err
    assert not (tmp_path / "data").exists(), "nothing is created before the configuration is known good"
