"""Configuration: `config.yaml` defaults, each key overridable by `TONGXIN_<SECTION>_<KEY>`.

Read once at start-up and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "config.yaml"


class ConfigError(Exception):
    pass


class Config:
    """Two-level settings (`config.http.port`), typed by the defaults in config.yaml."""

    def __init__(self, data: Mapping[str, Mapping[str, Any]]):
        self._data = {section: dict(values) for section, values in data.items()}

    def __getattr__(self, section: str) -> Section:
        try:
            return Section(section, self._data[section])
        except KeyError:
            raise AttributeError(section) from None

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {s: dict(v) for s, v in self._data.items()}

    def replace(self, **sections: Mapping[str, Any]) -> Config:
        data = self.as_dict()
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        return Config(data)


class Section:
    def __init__(self, name: str, values: dict[str, Any]):
        self._name = name
        self._values = values

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"{self._name}.{key}") from None


def _coerce(raw: str, default: Any, name: str) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be a boolean, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    return raw


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    environ = os.environ if environ is None else environ
    with open(path or DEFAULT_PATH, encoding="utf-8") as fh:
        data: dict[str, dict[str, Any]] = yaml.safe_load(fh) or {}
    for section, values in data.items():
        for key, default in list(values.items()):
            name = f"TONGXIN_{section}_{key}".upper()
            if name in environ:
                values[key] = _coerce(environ[name], default, name)
    return Config(data)
