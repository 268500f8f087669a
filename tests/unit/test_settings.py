"""Settings: environment and YAML are read, bad or unknown keys stop start-up naming the key."""

from __future__ import annotations

import pytest

from config.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("ONESCREEN_"):
            monkeypatch.delenv(key)


def test_defaults_are_the_embedded_profile():
    settings = load_settings()
    assert settings.profile == "embedded"
    assert settings.store_url.startswith("sqlite:///")
    assert settings.port == 8050


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("ONESCREEN_PORT", "9100")
    monkeypatch.setenv("ONESCREEN_DATABASE_URL", "postgresql://x@127.0.0.1/test")
    settings = load_settings()
    assert settings.port == 9100
    assert settings.store_url == "postgresql://x@127.0.0.1/test"


def test_bad_value_names_the_key(monkeypatch):
    monkeypatch.setenv("ONESCREEN_PORT", "eighty")
    with pytest.raises(SettingsError, match="port"):
        load_settings()


def test_unknown_environment_key_is_refused(monkeypatch):
    monkeypatch.setenv("ONESCREEN_PROFLE", "production")
    with pytest.raises(SettingsError, match="ONESCREEN_PROFLE"):
        load_settings()


def test_yaml_file_is_read_and_unknown_keys_refused(monkeypatch, tmp_path):
    config = tmp_path / "onescreen.yaml"
    config.write_text("port: 9200\ntimezone: Asia/Urumqi\n")
    monkeypatch.setenv("ONESCREEN_CONFIG_FILE", str(config))
    assert load_settings().port == 9200
    config.write_text("port: 9200\ntile_ulr: http://tiles.local/{z}/{x}/{y}.png\n")
    with pytest.raises(SettingsError, match="tile_ulr: unknown setting"):
        load_settings()


def test_environment_beats_yaml(monkeypatch, tmp_path):
    config = tmp_path / "onescreen.yaml"
    config.write_text("port: 9200\n")
    monkeypatch.setenv("ONESCREEN_CONFIG_FILE", str(config))
    monkeypatch.setenv("ONESCREEN_PORT", "9300")
    assert load_settings().port == 9300


def test_unreadable_or_invalid_yaml_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("ONESCREEN_CONFIG_FILE", str(tmp_path / "missing.yaml"))
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings()
    bad = tmp_path / "bad.yaml"
    bad.write_text("port: [1,\n")
    monkeypatch.setenv("ONESCREEN_CONFIG_FILE", str(bad))
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings()


def test_unknown_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("ONESCREEN_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="timezone"):
        load_settings()


def test_every_setting_is_documented():
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setenv("ONESCREEN_PROFILE", "production")
    monkeypatch.setenv("ONESCREEN_DATABASE_URL", "postgresql://onescreen@127.0.0.1/test")
    with pytest.raises(SettingsError, match="secret_key"):
        load_settings()
    monkeypatch.setenv("ONESCREEN_SECRET_KEY", "a-long-random-secret-from-the-vault")
    assert load_settings().profile == "production"


def test_production_needs_a_database_url(monkeypatch):
    monkeypatch.setenv("ONESCREEN_PROFILE", "production")
    monkeypatch.setenv("ONESCREEN_SECRET_KEY", "a-long-random-secret-from-the-vault")
    with pytest.raises(SettingsError, match="database_url"):
        load_settings()


def test_readme_documents_every_setting():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert [name for name in Settings.model_fields if f"`{name}`" not in readme] == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://tiles.park.local/{z}/{x}/{y}.png",  # not HTTP
        "https://tiles.park.local;script-src *;/{z}/{x}/{y}.png",  # would write into the CSP
        "https://tiles.park.local/{z}/{x}/{y}.png'",
        "tiles.park.local/{z}/{x}/{y}.png",  # no scheme
    ],
)
def test_a_tile_url_that_is_not_a_tile_template_is_refused(url):
    with pytest.raises(SettingsError, match="tile_url"):
        load_settings(tile_url=url)


def test_tile_templates_with_a_subdomain_placeholder_are_accepted():
    assert load_settings(tile_url="https://{s}.tiles.park.local:8443/{z}/{x}/{y}.png").tile_url
