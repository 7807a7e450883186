# mprun: heapsize=512K
"""The settings file: every value the README documents is checked; a bad one falls back to its
default with a message naming the key, on serial and on screen, and the app runs on (both
runtimes; the app part on the simulated board, whose hardware shares the heap)."""

import json
import os

from heatface.app import App
from heatface.config import DEFAULTS, MAX_BURST, load_config
from heatface_sim.board import Board
from mptest import scratch_path
from simapp import rmtree

CARD = "out/test_config_card"

# key, a bad value: out of range, not one of the choices, or of the wrong type
BAD = (
    ("refresh_rate", 3), ("refresh_rate", "16"), ("emissivity", 2), ("emissivity", 0),
    ("emissivity", True), ("palette", "jet"), ("palette", 1), ("range", "manual"),
    ("jpeg_quality", 0), ("jpeg_quality", 101), ("jpeg_quality", 95.5), ("burst", 10000),
    ("burst", 0), ("burst", True), ("debounce_ms", -1), ("long_ms", "800"), ("start_mode", "view"),
    ("print_predictions", 1), ("record_sd", "yes"), ("markers", 1), ("mirror", "no"),
    ("flip", None), ("max_read_failures", 0), ("sensor_retry_ms", -5), ("retry_sleep_ms", 1.5),
    ("captures_dir", "sd"), ("captures_dir", 5), ("manifest", False), ("model", 7),
    ("labels", ["face0"]), ("labels", {"A": "Face0", "B": "face0"}),
)


def _write(path, data):
    with open(path, "w") as f:
        f.write(data if isinstance(data, str) else json.dumps(data))


def test_every_documented_key_is_checked_with_a_message_and_its_default():
    path = scratch_path("test_config.json")
    try:
        for key, value in BAD:
            _write(path, {key: value})
            warnings = []
            cfg = load_config(path, warnings=warnings)
            assert len(warnings) == 1 and key in warnings[0], (key, value, warnings)
            assert cfg["warnings"] == warnings
            if key == "labels" and isinstance(value, dict):
                assert "only in case" in warnings[0] and cfg["labels"] == {"A": "Face0"}, cfg["labels"]
            elif key == "captures_dir" or key == "labels":
                assert cfg[key] == DEFAULTS[key], (key, cfg[key])
            else:
                assert cfg[key] == DEFAULTS[key] and type(cfg[key]) is type(DEFAULTS[key]), key
                assert ("using %r" % (DEFAULTS[key],)) in warnings[0], warnings[0]
    finally:
        os.remove(path)


def test_good_values_are_kept():
    path = scratch_path("test_config.json")
    good = {"refresh_rate": 0.5, "emissivity": 1, "palette": "grayscale", "range": "auto",
            "jpeg_quality": 1, "burst": MAX_BURST, "start_mode": "infer", "record_sd": True,
            "captures_dir": "/sd/captures/", "manifest": "", "debounce_ms": 0, "other": [1]}
    try:
        _write(path, good)
        warnings = []
        cfg = load_config(path, warnings=warnings)
    finally:
        os.remove(path)
    assert warnings == [] and "warnings" not in cfg, warnings
    assert cfg["emissivity"] == 1.0 and type(cfg["emissivity"]) is float
    assert cfg["captures_dir"] == "/sd/captures" and cfg["other"] == [1]
    for key in good:
        if key not in ("emissivity", "captures_dir"):
            assert cfg[key] == good[key], key


def test_a_file_that_is_not_json_text_gives_defaults_and_a_message():
    path = scratch_path("test_config.json")
    try:
        for data in (b"\xff\xfe{\x00", b'{"burst": ', b"[1, 2]"):
            with open(path, "wb") as f:
                f.write(data)
            warnings = []
            cfg = load_config(path, warnings=warnings)
            assert len(warnings) == 1 and path in warnings[0], warnings
            assert cfg["burst"] == DEFAULTS["burst"]
    finally:
        os.remove(path)


def test_the_app_runs_and_captures_with_every_bad_value_at_once():
    rmtree(CARD)
    path = scratch_path("test_config.json")
    bad = {}
    for key, value in BAD:
        if key not in ("labels", "captures_dir", "start_mode", "retry_sleep_ms"):
            bad[key] = value
    bad["start_mode"] = "view"
    try:
        _write(path, bad)
        cfg = load_config(path)
    finally:
        os.remove(path)
    cfg.update({"sim_card_dir": CARD, "sim_lcd_record": False, "print_predictions": False,
                "retry_sleep_ms": 0})
    app = App(Board(cfg), cfg)
    assert app.status.startswith("config: "), app.status  # the first problem, on screen
    app.run(max_frames=2)
    app.mode.on_button(app, "press", "A")
    app.run(max_frames=app.frames + 2)
    assert app.mode.name == "collect" and app.mode.storage.counts["face0"] == 1, app.status
    assert app.sensor is not None and app.renderer.palette == DEFAULTS["palette"]
