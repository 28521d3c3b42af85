"""Settings, read from the environment; tests hand in their own mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

#: Chain id of anvil's local development chain; its well-known keys are accepted only here.
LOCAL_CHAIN_ID = 31337


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it and says what is expected."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"Setting {setting}: {problem}")
        self.setting = setting


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}.")


def _int(name: str, raw: str, *, minimum: int = 0) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}.") from None
    if value < minimum:
        raise ConfigError(name, f"expected a number of at least {minimum}, got {value}.")
    return value


#: name -> (default, description). The README's configuration table is generated from this.
SETTINGS: dict[str, tuple[str | None, str]] = {
    "RESIDENTS_ENV": ("development", "development, production or testing. Outside development cookies are Secure and SECRET_KEY is required."),
    "SECRET_KEY": (None, "Signs sessions and CSRF tokens. In development a random key is kept in the instance folder."),
    "DATABASE_URL": (None, "SQLAlchemy URL. Default: SQLite file `instance/residents.sqlite3`. Production: `postgresql+psycopg://…`."),
    "INSTANCE_PATH": (None, "Folder for the SQLite file, chain state, IPFS blocks and keys. Default: `instance/` in the checkout."),
    "SITE_URL": ("http://127.0.0.1:5000", "Public URL of the site; its host is the Sign-In with Ethereum domain."),
    "CHAIN_RPC_URL": ("http://127.0.0.1:8545", "JSON-RPC endpoint of the chain (anvil locally, a testnet provider in real use)."),
    "CHAIN_ID": (str(LOCAL_CHAIN_ID), "Chain id the node must report; 31337 is the local anvil chain."),
    "CHAIN_CONFIRMATIONS": ("0", "Blocks the indexer waits before trusting a log (0 on the local chain)."),
    "INDEXER_MAX_LAG_BLOCKS": ("5", "When the indexer is more blocks behind the chain than this (or its heartbeat stopped), gated pages say so and check the card on the chain directly."),
    "RESIDENT_CONTRACT_ADDRESS": (None, "Address of the DigitalResident contract. Default: the one `residents deploy` recorded for CHAIN_ID."),
    "CARD_SOULBOUND": ("true", "Deploy cards as soulbound (ERC-5192 locked) or transferable; fixed at deploy time."),
    "IPFS_BACKEND": ("local", "`local` (block store in the instance folder, served at /ipfs/) or `kubo` (a Kubo-compatible daemon)."),
    "IPFS_API_URL": ("http://127.0.0.1:5001", "Kubo RPC API, used when IPFS_BACKEND=kubo."),
    "IPFS_TIMEOUT_SECONDS": ("30", "Timeout for each call to the IPFS daemon."),
    "LOG_FORMAT": ("text", "`text` (one readable line per event) or `json` (one JSON object per line for a log collector: every request with method, path, status, duration, request id and account id)."),
    "RATELIMIT_STORAGE_URI": ("memory://", "Where rate-limit counters live: `memory://` for one process, `redis://127.0.0.1:6379/0` when several workers serve the site."),
    "HEALTHZ_CACHE_SECONDS": ("5", "How long `/healthz` reuses its check of the chain node and IPFS (per web process), so a monitor polling it does not multiply calls to the RPC provider."),
    "TRUSTED_PROXY_HOPS": ("0", "How many reverse proxies stand in front of the site and set X-Forwarded-For / X-Forwarded-Proto (1 behind one nginx). 0 ignores those headers, so clients cannot choose their own address."),
    "SESSION_IDLE_MINUTES": ("1440", "A signed-in session that makes no request for this long ends; the person signs in again."),
    "SESSION_LIFETIME_HOURS": ("168", "A signed-in session ends this long after signing in, however active it is."),
    "RESIDENTS_ADMIN_KEY": (None, "Hex private key of the town's admin key (DEFAULT_ADMIN_ROLE: deploy, recover, revoke, roles). Read only by admin commands; default on 31337: anvil key #0. See the table of keys."),
    "RESIDENTS_ADMIN_KEYSTORE": (None, "Path of an encrypted JSON keystore for the admin key, instead of RESIDENTS_ADMIN_KEY."),
    "RESIDENTS_ADMIN_KEYSTORE_PASSWORD": (None, "Password of the admin keystore; asked on the terminal when unset."),
    "RESIDENTS_MINTER_KEY": (None, "Hex private key of the minting key (MINTER_ROLE: mint, metadata updates). Read only by the mint commands; default on 31337: anvil key #8."),
    "RESIDENTS_MINTER_KEYSTORE": (None, "Path of an encrypted JSON keystore for the minting key, instead of RESIDENTS_MINTER_KEY."),
    "RESIDENTS_MINTER_KEYSTORE_PASSWORD": (None, "Password of the minting keystore; asked on the terminal when unset."),
    "RESIDENTS_ANCHOR_KEY": (None, "Hex private key of the anchor key (ORGANIZER_ROLE: attendance, lottery and vote anchors only), the one key the web process loads; default on 31337: anvil key #9."),
    "RESIDENTS_ANCHOR_KEYSTORE": (None, "Path of an encrypted JSON keystore for the anchor key, instead of RESIDENTS_ANCHOR_KEY."),
    "RESIDENTS_ANCHOR_KEYSTORE_PASSWORD": (None, "Password of the anchor keystore (required for web processes, which cannot ask)."),
    "TOWN_WEBSITE_URL": ("https://www.town.nishikawa.yamagata.jp/", "The town's own website, linked from every page's footer."),
    "CONTACT_EMAIL": (None, "E-mail address on the contact page (empty: the page points to the town's website)."),
    "CONTACT_PHONE": (None, "Telephone number on the contact page, as it should be shown (e.g. 0237-74-2111)."),
    "ANNOUNCEMENTS_CATEGORY": ("announcements", "Slug of the public forum category whose newest threads the home page shows as announcements."),
    "FORUM_EDIT_WINDOW_MINUTES": ("30", "Minutes after posting during which residents may edit their own forum posts (0: no editing)."),
    "LOCAL_GOVERNMENT_CODE": ("063223", "全国地方公共団体コード (6 digits with check digit) written into the open-data event list; 063223 is Nishikawa-machi."),
    "LOCAL_GOVERNMENT_PREFECTURE": ("山形県", "Prefecture name written into the open-data event list."),
    "LOCAL_GOVERNMENT_NAME": ("西川町", "Municipality name written into the open-data event list (also its organizer)."),
}


def _local_government_code(raw: str) -> str:
    """Check a 全国地方公共団体コード: five digits and the JIS X 0402 check digit (mod 11)."""
    code = raw.strip()
    if len(code) != 6 or not code.isdigit():
        raise ConfigError("LOCAL_GOVERNMENT_CODE", f"expected 6 digits (e.g. 063223 for Nishikawa-machi), got {raw!r}.")
    remainder = sum(int(digit) * weight for digit, weight in zip(code[:5], (6, 5, 4, 3, 2))) % 11
    expected = (11 - remainder) % 10 if remainder else 1
    if int(code[5]) != expected:
        raise ConfigError("LOCAL_GOVERNMENT_CODE", f"the check digit of {code} should be {expected}; copy the code from the 総務省 list.")
    return code


class Config:
    """Settings of one running site, resolved from the environment (or a test's mapping)."""

    def __init__(self, env: Mapping[str, str] | None = None, **overrides: Any) -> None:
        source: Mapping[str, str] = os.environ if env is None else env
        #: Where the signing-key settings are read from, only when a command asks for a key
        #: (minting.keys); they are deliberately not resolved here, so a web process that never
        #: asks for the admin or minter key never reads those settings.
        self.environ = source

        def get(name: str) -> str | None:
            default = SETTINGS[name][0]
            value = source.get(name)
            return value if value not in (None, "") else default

        self.RESIDENTS_ENV = get("RESIDENTS_ENV") or "development"
        if self.RESIDENTS_ENV not in {"development", "production", "testing"}:
            raise ConfigError("RESIDENTS_ENV", f"expected development, production or testing, got {self.RESIDENTS_ENV!r}.")
        self.TESTING = self.RESIDENTS_ENV == "testing"
        self.INSTANCE_PATH = get("INSTANCE_PATH")
        self.SECRET_KEY = get("SECRET_KEY")
        if self.SECRET_KEY is None and self.RESIDENTS_ENV == "production":
            raise ConfigError("SECRET_KEY", "required in production; set it to a long random string.")
        self.SQLALCHEMY_DATABASE_URI = get("DATABASE_URL")
        self.SITE_URL = (get("SITE_URL") or "").rstrip("/")
        if not self.SITE_URL.startswith(("http://", "https://")):
            raise ConfigError("SITE_URL", f"expected an http(s) URL such as https://residents.example.jp, got {self.SITE_URL!r}.")
        self.CHAIN_RPC_URL = get("CHAIN_RPC_URL") or ""
        if not self.CHAIN_RPC_URL.startswith(("http://", "https://")):
            raise ConfigError("CHAIN_RPC_URL", f"expected an http(s) JSON-RPC URL, got {self.CHAIN_RPC_URL!r}.")
        self.CHAIN_ID = _int("CHAIN_ID", get("CHAIN_ID") or "", minimum=1)
        self.CHAIN_CONFIRMATIONS = _int("CHAIN_CONFIRMATIONS", get("CHAIN_CONFIRMATIONS") or "0")
        self.INDEXER_MAX_LAG_BLOCKS = _int("INDEXER_MAX_LAG_BLOCKS", get("INDEXER_MAX_LAG_BLOCKS") or "")
        self.RESIDENT_CONTRACT_ADDRESS = get("RESIDENT_CONTRACT_ADDRESS")
        self.CARD_SOULBOUND = _bool("CARD_SOULBOUND", get("CARD_SOULBOUND") or "")
        self.IPFS_BACKEND = get("IPFS_BACKEND")
        if self.IPFS_BACKEND not in {"local", "kubo"}:
            raise ConfigError("IPFS_BACKEND", f"expected local or kubo, got {self.IPFS_BACKEND!r}.")
        self.IPFS_API_URL = get("IPFS_API_URL")
        self.IPFS_TIMEOUT_SECONDS = _int("IPFS_TIMEOUT_SECONDS", get("IPFS_TIMEOUT_SECONDS") or "", minimum=1)
        self.LOG_FORMAT = get("LOG_FORMAT")
        if self.LOG_FORMAT not in {"text", "json"}:
            raise ConfigError("LOG_FORMAT", f"expected text or json, got {self.LOG_FORMAT!r}.")
        self.RATELIMIT_STORAGE_URI = get("RATELIMIT_STORAGE_URI")
        self.HEALTHZ_CACHE_SECONDS = _int("HEALTHZ_CACHE_SECONDS", get("HEALTHZ_CACHE_SECONDS") or "")
        self.TRUSTED_PROXY_HOPS = _int("TRUSTED_PROXY_HOPS", get("TRUSTED_PROXY_HOPS") or "")
        self.SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", get("SESSION_IDLE_MINUTES") or "", minimum=1)
        self.SESSION_LIFETIME_HOURS = _int("SESSION_LIFETIME_HOURS", get("SESSION_LIFETIME_HOURS") or "", minimum=1)
        # When Redis goes away, count in each worker's memory instead of failing every request.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOCAL_GOVERNMENT_CODE = _local_government_code(get("LOCAL_GOVERNMENT_CODE") or "")
        self.LOCAL_GOVERNMENT_PREFECTURE = get("LOCAL_GOVERNMENT_PREFECTURE")
        self.LOCAL_GOVERNMENT_NAME = get("LOCAL_GOVERNMENT_NAME")
        self.TOWN_WEBSITE_URL = get("TOWN_WEBSITE_URL") or ""
        if not self.TOWN_WEBSITE_URL.startswith(("http://", "https://")):
            raise ConfigError("TOWN_WEBSITE_URL", f"expected an http(s) URL of the town's website, got {self.TOWN_WEBSITE_URL!r}.")
        self.CONTACT_EMAIL = get("CONTACT_EMAIL")
        self.CONTACT_PHONE = get("CONTACT_PHONE")
        self.ANNOUNCEMENTS_CATEGORY = get("ANNOUNCEMENTS_CATEGORY")
        self.FORUM_EDIT_WINDOW_MINUTES = _int("FORUM_EDIT_WINDOW_MINUTES", get("FORUM_EDIT_WINDOW_MINUTES") or "")

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.RESIDENTS_ENV == "production"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # The cookie lasts as long as the session may (the server-side record decides earlier ends).
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.SESSION_LIFETIME_HOURS)
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
        self.BABEL_DEFAULT_LOCALE = "ja"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
        self.LANGUAGES = ("ja", "en")
        self.MAX_CONTENT_LENGTH = 2 * 1024 * 1024
        self.WTF_CSRF_TIME_LIMIT = None

        for key, value in overrides.items():
            setattr(self, key, value)

    def as_mapping(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if key.isupper()}


def instance_path(config: Config) -> Path:
    """Return the instance folder: INSTANCE_PATH or `instance/` beside the packages."""
    if config.INSTANCE_PATH:
        return Path(config.INSTANCE_PATH).resolve()
    return Path(__file__).resolve().parent.parent / "instance"
