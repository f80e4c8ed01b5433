"""One typed settings object, read once from HEARTH_* variables and CLI flags.

Nothing here runs at import time: the CLI (or a test) calls ``Settings.load``
and passes the result down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from recovery import community
from recovery.errors import InvalidInput
from recovery.models import Community, CrisisResource, Registration


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it and says why."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    url: str = "http://localhost:8000"
    database_url: str | None = None
    data_dir: Path = Path("hearth-data")
    instance_name: str = "Hearth"
    description: str = community.DEFAULT_DESCRIPTION
    registration: Registration = Registration.OPEN
    allow_private_network: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    rules: tuple[str, ...] = community.DEFAULT_RULES
    crisis_resources: tuple[CrisisResource, ...] = field(
        default=community.DEFAULT_CRISIS_RESOURCES
    )
    # True when no URL was configured and it follows the listening port.
    url_from_port: bool = False
    # OAuth's password grant (apps that log in with username and password).
    oauth_password_grant: bool = True
    # Uploaded images, avatars and headers (HEARTH_MEDIA_DIR); None: data_dir/media.
    media_dir: Path | None = None
    # Uploaded images larger than this many pixels on a side are scaled down.
    media_max_side: int = 1920
    # Database connections each process may hold for requests (its pool).
    database_pool: int = 10

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read HEARTH_* variables, then apply CLI overrides that are not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if "HEARTH_URL" in env:
            values["url"] = env["HEARTH_URL"]
        if env.get("HEARTH_DATABASE_URL"):
            values["database_url"] = env["HEARTH_DATABASE_URL"]
        if env.get("HEARTH_DATA_DIR"):
            values["data_dir"] = Path(env["HEARTH_DATA_DIR"])
        if env.get("HEARTH_INSTANCE_NAME"):
            values["instance_name"] = env["HEARTH_INSTANCE_NAME"]
        if env.get("HEARTH_DESCRIPTION"):
            values["description"] = env["HEARTH_DESCRIPTION"]
        if "HEARTH_REGISTRATION" in env:
            values["registration"] = env["HEARTH_REGISTRATION"]
        if "HEARTH_ALLOW_PRIVATE_NETWORK" in env:
            values["allow_private_network"] = _flag(
                "HEARTH_ALLOW_PRIVATE_NETWORK", env["HEARTH_ALLOW_PRIVATE_NETWORK"]
            )
        if "HEARTH_OAUTH_PASSWORD_GRANT" in env:
            values["oauth_password_grant"] = _flag(
                "HEARTH_OAUTH_PASSWORD_GRANT", env["HEARTH_OAUTH_PASSWORD_GRANT"]
            )
        if env.get("HEARTH_MEDIA_DIR"):
            values["media_dir"] = Path(env["HEARTH_MEDIA_DIR"])
        if env.get("HEARTH_MEDIA_MAX_SIDE"):
            values["media_max_side"] = env["HEARTH_MEDIA_MAX_SIDE"]
        if env.get("HEARTH_DATABASE_POOL"):
            values["database_pool"] = env["HEARTH_DATABASE_POOL"]
        if env.get("HEARTH_HOST"):
            values["host"] = env["HEARTH_HOST"]
        if env.get("HEARTH_PORT"):
            values["port"] = env["HEARTH_PORT"]
        if env.get("HEARTH_RULES_FILE"):
            values["rules"] = _read_file("HEARTH_RULES_FILE", env["HEARTH_RULES_FILE"],
                                         community.parse_rules)
        if env.get("HEARTH_CRISIS_RESOURCES_FILE"):
            values["crisis_resources"] = _read_file(
                "HEARTH_CRISIS_RESOURCES_FILE", env["HEARTH_CRISIS_RESOURCES_FILE"],
                community.parse_crisis_resources,
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "url" not in values:
            # Unconfigured, the address to open is the one being listened on
            # (with port 0, `hearth serve` fills it in once it has a port).
            port = _port(values.get("port", cls.port))
            values["url"] = f"http://localhost:{port or cls.port}"
            values["url_from_port"] = True
        return cls()._checked(values)

    def _checked(self, values: dict[str, Any]) -> Settings:
        if "url" in values:
            values["url"] = _base_url(values["url"])
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])
        if "registration" in values:
            values["registration"] = _registration(values["registration"])
        if "port" in values:
            values["port"] = _port(values["port"])
        if values.get("media_dir") is not None:
            values["media_dir"] = Path(values["media_dir"])
        if "media_max_side" in values:
            values["media_max_side"] = _media_max_side(values["media_max_side"])
        if "database_pool" in values:
            values["database_pool"] = _database_pool(values["database_pool"])
        if "instance_name" in values:
            name = str(values["instance_name"]).strip()
            if not name or len(name) > 80:
                raise ConfigError("HEARTH_INSTANCE_NAME must be 1 to 80 characters")
            values["instance_name"] = name
        if "database_url" in values and not str(values["database_url"]).startswith(
            ("postgresql://", "postgres://")
        ):
            raise ConfigError(
                "HEARTH_DATABASE_URL must be a postgresql:// URL, "
                "e.g. postgresql://hearth@127.0.0.1:5432/hearth"
            )
        return replace(self, **values)

    @property
    def secure_cookies(self) -> bool:
        return self.url.startswith("https://")

    @property
    def media_path(self) -> Path:
        """Where uploaded media files are kept."""
        return self.media_dir if self.media_dir is not None else self.data_dir / "media"

    @property
    def domain(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def community(self) -> Community:
        return Community(
            name=self.instance_name,
            description=self.description,
            rules=self.rules,
            crisis_resources=self.crisis_resources,
            registration=self.registration,
        )


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be on or off (got {raw!r})")


def _base_url(raw: str) -> str:
    parts = urlsplit(str(raw).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"HEARTH_URL must be an http:// or https:// address with a host (got {raw!r})"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"HEARTH_URL must not have a path, query or fragment (got {raw!r}); "
            "Hearth serves from the root of its domain"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"HEARTH_URL has a bad port (got {raw!r})") from exc
    host = parts.hostname.rstrip(".").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


def _registration(raw: object) -> Registration:
    try:
        return Registration(str(raw).strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Registration)
        raise ConfigError(f"HEARTH_REGISTRATION must be one of {choices} (got {raw!r})") from None


def _port(raw: object) -> int:
    try:
        port = int(str(raw))
    except ValueError:
        raise ConfigError(f"HEARTH_PORT (serve --port) must be a number (got {raw!r})") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"HEARTH_PORT (serve --port) must be 0 to 65535 (got {port})")
    return port


def _whole_number(name: str, raw: object, low: int, high: int, unit: str) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"{name} must be {low} to {high} {unit} (got {raw!r})")
    return value


def _media_max_side(raw: object) -> int:
    return _whole_number("HEARTH_MEDIA_MAX_SIDE", raw, 64, 8192, "pixels")


def _database_pool(raw: object) -> int:
    return _whole_number("HEARTH_DATABASE_POOL", raw, 1, 100, "connections")


def _read_file(name: str, path: str, parse: Any) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read {path}: {exc}") from exc
    try:
        return parse(text)
    except InvalidInput as exc:
        raise ConfigError(f"{name}: {path}: {exc}") from exc
