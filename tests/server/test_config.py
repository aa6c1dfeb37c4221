"""Configuration overrides and masking of personal data in logs (no I/O)."""

from __future__ import annotations

import pytest

from server.config import ConfigError, load_config
from server.logging import mask_phone, mask_text


def test_env_overrides_every_key_with_its_type():
    config = load_config(
        environ={
            "TONGXIN_HTTP_PORT": "9001",
            "TONGXIN_MONGO_URI": "mongodb://db:27017/?replicaSet=rs0",
            "TONGXIN_HTTP_XHEADERS": "true",
        }
    )
    assert config.http.port == 9001
    assert config.mongo.uri == "mongodb://db:27017/?replicaSet=rs0"
    assert config.http.xheaders is True
    with pytest.raises(ConfigError, match="TONGXIN_HTTP_PORT"):
        load_config(environ={"TONGXIN_HTTP_PORT": "eighty"})


def test_masking():
    assert mask_phone("13812345678") == "138****5678"
    line = mask_text('phone=13812345678 id 110101199003071234 "session_key": "abc" ok')
    assert "13812345678" not in line and "138****5678" in line
    assert "110101199003071234" not in line and "110101********1234" in line
    assert "abc" not in line
    # hex ids that merely contain digits are left alone
    assert mask_text("a13812345678b") == "a13812345678b"
