"""What `banshi run` hands to Rasa: its own credentials and endpoints files."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.wechat.runner import CHANNEL, NOTICE_PAGES, redis_store, write_config


def test_config_without_redis(tmp_path: Path) -> None:
    credentials, endpoints = write_config(tmp_path, "http://127.0.0.1:5055/webhook", None)
    assert yaml.safe_load(credentials.read_text()) == {CHANNEL: {}, NOTICE_PAGES: {}}  # no secrets
    assert yaml.safe_load(endpoints.read_text()) == {
        "action_endpoint": {"url": "http://127.0.0.1:5055/webhook"}
    }


def test_config_with_redis_and_rest(tmp_path: Path) -> None:
    credentials, endpoints = write_config(
        tmp_path, "http://127.0.0.1:5055/webhook", "redis://:s%40cret@cache.local:6380/3", rest=True
    )
    assert set(json.loads(credentials.read_text())) == {CHANNEL, NOTICE_PAGES, "rest"}
    config = yaml.safe_load(endpoints.read_text())
    expected = {
        "type": "redis",
        "url": "cache.local",
        "port": 6380,
        "db": 3,
        "key_prefix": "banshi",
        "password": "s@cret",
    }
    assert config["tracker_store"] == expected and config["lock_store"] == expected


def test_redis_defaults() -> None:
    assert redis_store("redis://127.0.0.1", "banshi") == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6379,
        "db": 0,
        "key_prefix": "banshi",
    }
