"""Settings are read once from HEARTH_* variables and flags, and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery.models import Registration
from web.settings import ConfigError, Settings


def test_defaults_need_no_configuration():
    settings = Settings.load({})
    assert settings.url == "http://localhost:8000"
    assert settings.database_url is None
    assert settings.data_dir == Path("hearth-data")
    assert settings.registration is Registration.OPEN
    assert settings.allow_private_network is False
    assert len(settings.crisis_resources) == 5


def test_unset_url_follows_the_port_being_listened_on():
    assert Settings.load({}, port=8123).url == "http://localhost:8123"
    assert Settings.load({"HEARTH_PORT": "9001"}).url == "http://localhost:9001"


def test_environment_is_read():
    settings = Settings.load({
        "HEARTH_URL": "https://Recovery.Example.:443/",
        "HEARTH_DATABASE_URL": "postgresql://hearth@db.internal/hearth",
        "HEARTH_DATA_DIR": "/var/lib/hearth",
        "HEARTH_INSTANCE_NAME": "  Harbor Light ",
        "HEARTH_REGISTRATION": "Invite",
        "HEARTH_ALLOW_PRIVATE_NETWORK": "on",
    })
    assert settings.url == "https://recovery.example"
    assert settings.domain == "recovery.example"
    assert settings.secure_cookies
    assert settings.database_url == "postgresql://hearth@db.internal/hearth"
    assert settings.data_dir == Path("/var/lib/hearth")
    assert settings.instance_name == "Harbor Light"
    assert settings.registration is Registration.INVITE
    assert settings.allow_private_network is True


def test_flags_override_the_environment():
    settings = Settings.load({"HEARTH_REGISTRATION": "open", "HEARTH_URL": "http://a.example"},
                             registration="approval", url="http://127.0.0.1:8001")
    assert settings.registration is Registration.APPROVAL
    assert settings.url == "http://127.0.0.1:8001"
    assert not settings.secure_cookies


@pytest.mark.parametrize(("env", "names"), [
    ({"HEARTH_URL": "ftp://x.example"}, "HEARTH_URL"),
    ({"HEARTH_URL": "https://x.example/forum"}, "HEARTH_URL"),
    ({"HEARTH_URL": "http://x.example:99999"}, "HEARTH_URL"),
    ({"HEARTH_REGISTRATION": "sometimes"}, "HEARTH_REGISTRATION"),
    ({"HEARTH_ALLOW_PRIVATE_NETWORK": "maybe"}, "HEARTH_ALLOW_PRIVATE_NETWORK"),
    ({"HEARTH_DATABASE_URL": "mysql://x"}, "HEARTH_DATABASE_URL"),
    ({"HEARTH_PORT": "eighty"}, "HEARTH_PORT"),
    ({"HEARTH_PORT": "70000"}, "HEARTH_PORT"),
    ({"HEARTH_INSTANCE_NAME": "x" * 81}, "HEARTH_INSTANCE_NAME"),
    ({"HEARTH_RULES_FILE": "/no/such/file"}, "HEARTH_RULES_FILE"),
    ({"HEARTH_DATABASE_POOL": "0"}, "HEARTH_DATABASE_POOL"),
    ({"HEARTH_DATABASE_POOL": "many"}, "HEARTH_DATABASE_POOL"),
])
def test_bad_settings_name_the_variable(env, names):
    with pytest.raises(ConfigError, match=names):
        Settings.load(env)


def test_the_database_pool_size_is_read():
    assert Settings.load({}).database_pool == 10
    assert Settings.load({"HEARTH_DATABASE_POOL": "4"}).database_pool == 4


def test_bad_crisis_resource_files_are_explained(tmp_path):
    path = tmp_path / "crisis.json"
    for content, message in (
        ("not json", "not valid JSON"),
        ("[]", "non-empty JSON list"),
        ('[{"region": "X", "name": "Y"}]', "entry 1 needs"),
        ('[{"region": "X", "name": "Y", "contact": "Z", "href": "javascript:alert(1)"}]',
         "href must start"),
    ):
        path.write_text(content)
        with pytest.raises(ConfigError, match=message):
            Settings.load({"HEARTH_CRISIS_RESOURCES_FILE": str(path)})


def test_empty_rules_file_is_refused(tmp_path):
    path = tmp_path / "rules.txt"
    path.write_text("# only a comment\n\n")
    with pytest.raises(ConfigError, match="no rules"):
        Settings.load({"HEARTH_RULES_FILE": str(path)})
