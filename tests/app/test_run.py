"""What `banshi run` hands to Rasa: its own credentials and endpoints files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from app.run import (
    CHANNEL,
    LOCK_STORE,
    MEMORY_TRACKER_STORE,
    PUBLIC_PAGES,
    TRACKER_STORE,
    redis_store,
    write_config,
)


def test_config_without_redis(tmp_path: Path) -> None:
    credentials, endpoints = write_config(tmp_path, "http://127.0.0.1:5055/webhook", None)
    assert yaml.safe_load(credentials.read_text()) == {CHANNEL: {}, PUBLIC_PAGES: {}}  # no secrets
    assert yaml.safe_load(endpoints.read_text()) == {
        "action_endpoint": {"url": "http://127.0.0.1:5055/webhook"},
        # even in memory, what citizens type is stored masked
        "tracker_store": {"type": MEMORY_TRACKER_STORE},
    }


def test_config_with_redis_and_rest(tmp_path: Path) -> None:
    credentials, endpoints = write_config(
        tmp_path, "http://127.0.0.1:5055/webhook", "redis://:s%40cret@cache.local:6380/3", rest=True
    )
    assert set(json.loads(credentials.read_text())) == {CHANNEL, PUBLIC_PAGES, "rest"}
    config = yaml.safe_load(endpoints.read_text())
    expected = {
        "type": "redis",
        "url": "cache.local",
        "port": 6380,
        "db": 3,
        "key_prefix": "banshi",
        "password": "s@cret",
    }
    assert config["lock_store"] == {**expected, "type": LOCK_STORE}
    assert config["tracker_store"] == {**expected, "type": TRACKER_STORE, "retention_days": 180}


def test_redis_defaults() -> None:
    assert redis_store("redis://127.0.0.1", "banshi") == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6379,
        "db": 0,
        "key_prefix": "banshi",
    }


def test_every_core_works_when_the_stores_are_shared() -> None:
    from app.run import default_workers

    assert default_workers("redis://127.0.0.1:6379/0", cores=4) == 4
    assert default_workers(None, cores=4) == 1  # in-memory stores: one process only
    assert default_workers("redis://127.0.0.1:6379/0") >= 1


def test_ready_means_every_worker_has_loaded_the_model(tmp_path: Path) -> None:
    from app.run import READY_LINE, _loaded

    log = tmp_path / "rasa-server.log"
    assert _loaded(log) == 0  # not written yet
    log.write_text(f"x Starting worker [1]\nx {READY_LINE}\nx Starting worker [2]\n")
    assert _loaded(log) == 1
    log.write_text(log.read_text() + f"y {READY_LINE}\n")
    assert _loaded(log) == 2


def test_memory_is_reported_per_process() -> None:
    import os
    import subprocess
    import sys

    from app.run import ActionServer, Assistant, usage

    own = usage("test", os.getpid())
    assert own.rss_mb > 10 and 0 < own.pss_mb <= own.rss_mb + 1
    # a "Rasa server" with two workers, and an "action server"
    code = "import subprocess, sys, time; [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']) for _ in range(2)]; time.sleep(30)"
    rasa = subprocess.Popen([sys.executable, "-c", code])
    actions = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        import time

        from app.run import _children

        deadline = time.monotonic() + 10
        while len(_children(rasa.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assistant = Assistant(
            rasa, ActionServer(actions, 0, Path("x")), 0, "h", Path("x"), workers=2
        )
        names = [u.name for u in assistant.memory()]
        assert names == ["动作服务器", "Rasa 主进程", "Rasa 工作进程 1", "Rasa 工作进程 2"]
        report = assistant.memory_report()
        assert "Rasa 工作进程：2 个" in report and report.count(" MB / ") == 4
    finally:
        for child in _children(rasa.pid):
            os.kill(child, 9)
        rasa.kill()
        actions.kill()
        rasa.wait()
        actions.wait()


def test_the_action_response_is_validated_as_rasa_does_without_the_metaschema() -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    from app.run import _validate_once_built

    action = RemoteAction("action_guide", EndpointConfig("http://127.0.0.1:1/webhook"))
    rasa_validate = RemoteAction._validate_action_result
    try:
        _validate_once_built()
        good = {"events": [{"event": "slot", "name": "item", "value": "x"}], "responses": []}
        assert action._validate_action_result(good)
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result({"events": "not a list"})
    finally:
        RemoteAction._validate_action_result = rasa_validate


def test_each_worker_gets_its_share_of_the_cores_for_tensorflow() -> None:
    from app.run import compute_threads

    assert compute_threads(2, {}, cores=2) == {
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    assert compute_threads(1, {}, cores=4)["TF_NUM_INTRAOP_THREADS"] == "4"
    assert compute_threads(4, {"OMP_NUM_THREADS": "2"}, cores=2) == {
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
    }  # what the environment says stays
