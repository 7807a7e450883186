"""On-board half of the app-loop measurements (heap fit, loop instructions, collections per frame).

``run(mode, frames)`` builds the app as main.py does (load_config, App) on the light board
(lightboard.py) in ``mode`` (live, collect or infer), runs ``frames`` frames and prints one line
``APPRUN {json}`` with: frames shown, errors (exceptions out of the loop, the mode's own error),
``min_free`` (the smallest free heap after a collection at the end of a frame: what the app's
long-lived data leaves), ``collections`` and ``us`` (guest microseconds = thousands of
instructions under -icount shift=0) of the measured frames, the bytes the sensor bus and the
display moved, and mode facts (captures saved, classifications).
Collect mode presses button A every 2 s of virtual time (a capture, then a burst on long presses).
``settings`` are merged over the config (e.g. ``{"lcd_update": "full"}``); ``replay`` is the
sensor's recording (lightboard.ReplayBus; default Melexis' example frame).
"""

import gc
import json
import sys
import time

import cm4board
from lightboard import LightBoard


def make_app(mode, checksum=True, settings=None, replay=None):
    from heatface.app import App
    from heatface.config import load_config

    config = load_config()
    config.update({"start_mode": mode, "retry_sleep_ms": 0, "print_predictions": False})
    config.update(settings or {})
    board = LightBoard(checksum=checksum, press_every_ms=2000 if mode == "collect" else 0, replay=replay)
    return App(board, config), board


def _run_frames(app, until, after_frame=None):
    """App.run's loop, bounded: a frame that never comes (a sensor fault) ends the run."""
    steps = 0
    while app.frames < until and steps < 4 * until + 10:
        steps += 1
        if app.step() and after_frame is not None:
            after_frame(app)


def run(mode, frames=100, warmup=1, measure_heap=True, checksum=True, settings=None, replay=None):
    result = {"mode": mode, "frames": 0, "errors": [], "min_free": None}
    try:
        app, board = make_app(mode, checksum, settings, replay)
        result["frames_warmup"] = warmup
        _run_frames(app, warmup)
        gc.collect()
        state = {"min_free": gc.mem_free() if measure_heap else None}

        def after_frame(app):
            if measure_heap:
                gc.collect()
                free = gc.mem_free()
                if free < state["min_free"]:
                    state["min_free"] = free

        bus0, lcd0 = board.bus.bytes_read + board.bus.bytes_written, board.lcd.bytes_sent
        gc.collect()
        c0 = cm4board.collections()
        t0 = time.ticks_us()
        _run_frames(app, warmup + frames, after_frame)
        us = time.ticks_diff(time.ticks_us(), t0)
        result["collections"] = cm4board.collections() - c0
        result["us"] = us
        result["frames"] = app.frames - warmup
        result["min_free"] = state["min_free"]
        result["i2c_bytes"] = board.bus.bytes_read + board.bus.bytes_written - bus0
        result["lcd_bytes"] = board.lcd.bytes_sent - lcd0
        result["lcd_checksum"] = board.lcd.checksum
        m = app.mode
        if getattr(m, "error", None):
            result["errors"].append(m.error)
        if mode == "infer":
            result["classifier"] = m.classifier is not None
            result["kernels"] = getattr(m.classifier, "kernels", None)
            result["result"] = m.result
        if mode == "collect":
            result["captures"] = sum(m.storage.counts.values()) if m.storage.ready else 0
            if not m.storage.ready:
                result["errors"].append(m.storage.status)
        if app.sensor is None:
            result["errors"].append(app.sensor_error or "sensor missing")
    except Exception as exc:  # noqa: BLE001 - MemoryError above all: the outcome being measured
        result["errors"].append("%s: %s" % (type(exc).__name__, exc))
        sys.print_exception(exc)
    result["heap_bytes"] = cm4board.heap_bytes()
    print("APPRUN " + json.dumps(result))
