from pathlib import Path

import pytest

from app import create_app
from app.config import SETTINGS, Config, ConfigError


def test_defaults_describe_the_local_development_site() -> None:
    config = Config({})
    assert config.CHAIN_ID == 31337
    assert config.CHAIN_RPC_URL == "http://127.0.0.1:8545"
    assert config.IPFS_BACKEND == "local"
    assert config.SESSION_COOKIE_SECURE is False
    assert config.BABEL_DEFAULT_LOCALE == "ja"


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("CHAIN_ID", "mainnet", "expected a whole number"),
        ("CHAIN_ID", "0", "at least 1"),
        ("CHAIN_RPC_URL", "127.0.0.1:8545", "http(s) JSON-RPC URL"),
        ("SITE_URL", "residents.example.jp", "http(s) URL"),
        ("IPFS_BACKEND", "pinata", "local or kubo"),
        ("CARD_SOULBOUND", "maybe", "true or false"),
        ("RESIDENTS_ENV", "staging", "development, production or testing"),
        ("IPFS_TIMEOUT_SECONDS", "-3", "at least 1"),
    ],
)
def test_a_wrong_setting_is_named_with_what_is_expected(setting: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config({setting: value})
    assert caught.value.setting == setting
    assert str(caught.value).startswith(f"Setting {setting}: ")
    assert expected in str(caught.value)


def test_production_requires_a_secret_key_and_secure_cookies() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config({"RESIDENTS_ENV": "production"})
    config = Config({"RESIDENTS_ENV": "production", "SECRET_KEY": "x" * 40})
    assert config.SESSION_COOKIE_SECURE is True
    assert config.REMEMBER_COOKIE_SECURE is True


def test_every_setting_is_documented() -> None:
    assert all(description.strip() for _default, description in SETTINGS.values())
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [name for name in SETTINGS if f"`{name}`" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"


def test_an_unwritable_instance_folder_stops_start_up(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the instance folder should be")
    with pytest.raises(ConfigError) as caught:
        create_app(Config({"RESIDENTS_ENV": "testing", "INSTANCE_PATH": str(blocker / "instance")}))
    assert caught.value.setting == "INSTANCE_PATH"


def test_development_keeps_one_generated_secret_key(tmp_path: Path) -> None:
    first = create_app(Config({"INSTANCE_PATH": str(tmp_path)}))
    second = create_app(Config({"INSTANCE_PATH": str(tmp_path)}))
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
