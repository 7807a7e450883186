"""The ulab To path at the Wio Terminal's heap: every mode runs with the sensor on
``compute="ulab"`` and no MemoryError (nor anything else) ends the app (run it under
micropython-f32-ulab at -X heapsize=176876; skipped where ulab is missing).

- the live loop: 300 frames, no heap growth;
- one app through all three modes, as the 5-way switch cycles them: live, collect (button A
  pressed every 2 s of virtual time: captures encoded and written to a card folder), infer (the
  shipped model; where this heap cannot hold it, the mode says so and the loop runs on).
"""

import gc
import os

from heatface.app import App
from heatface.config import DEFAULTS
from heatface.mlx90640 import MLX90640
from heatface.modes import LiveMode
from mptest import IS_MICROPYTHON, skip
from test_app_memory import LightBoard

CARD_DIR = "out-ulab-card"  # relative: the suite's scratch folder (out/test/<suite>/)


def _need_ulab():
    try:
        import ulab  # noqa: F401
    except ImportError:
        skip("no ulab on this runtime")
    if not IS_MICROPYTHON:
        skip("heap use is measured on the MicroPython runtime")


def _on_ulab(app):
    app.sensor = None
    gc.collect()
    app.sensor = MLX90640(app.board.sensor_bus(), compute="ulab")


def test_live_loop_on_the_ulab_path_fits():
    _need_ulab()
    config = dict(DEFAULTS)
    config.update({"range": "auto", "retry_sleep_ms": 0})
    app = App(LightBoard(), config, modes=[LiveMode()])
    _on_ulab(app)
    app.run(max_frames=50)  # warm-up
    gc.collect()
    floor = gc.mem_free()
    app.run(max_frames=300)
    gc.collect()
    assert app.sensor is not None and app.sensor.compute == "ulab"
    assert app.frames == 300
    assert gc.mem_free() >= floor - 256, (floor, gc.mem_free())
    print("ulab live loop: %d bytes free after 300 frames and a collection" % gc.mem_free())


class _ScriptedA:
    """Button A, pressed for 100 ms every 2 s of the board's virtual clock (active low)."""

    def __init__(self, board):
        self._board = board

    def value(self):
        return 0 if self._board._now % 2000 < 100 else 1


class CardBoard(LightBoard):
    """The light board with button A and a card (a folder of this runtime's filesystem)."""

    def buttons(self):
        return {"A": _ScriptedA(self)}

    def mount_storage(self):
        try:
            os.mkdir(CARD_DIR)
        except OSError:
            pass  # there already
        return CARD_DIR


def test_modes_all_run_on_with_the_ulab_path():
    _need_ulab()
    config = dict(DEFAULTS)
    config.update({"range": "auto", "retry_sleep_ms": 0, "start_mode": "live", "captures_dir": CARD_DIR,
                   "print_predictions": False})
    gc.collect()
    app = App(CardBoard(), config)
    _on_ulab(app)
    names = [m.name for m in app.modes]
    assert names == ["live", "collect", "infer"], names
    lowest = {}
    for i, name in enumerate(names):
        if i:
            app.switch_mode(i)
        assert app.mode.name == name
        start = app.frames
        low = None
        while app.frames < start + 60:
            app.step()  # raises whatever would end the app: the test fails on it
            gc.collect()
            free = gc.mem_free()
            low = free if low is None or free < low else low
        lowest[name] = low
        assert app.sensor is not None and app.sensor.compute == "ulab", (name, app.sensor_error)
    collect = app.modes[1]
    assert collect.storage.ready, collect.storage.status
    assert sum(collect.storage.counts.values()) >= 1, collect.storage.counts
    infer = app.modes[2]
    if infer.classifier is None:  # the app went on without a model, saying why
        assert infer.error and ("RAM" in infer.error or "memory" in infer.error), infer.error
    else:
        assert infer.error is None and infer.score > 0, (infer.error, infer.score)  # it classified
    print("ulab path, lowest free heap per mode: %s; classifier %s" % (
        ", ".join("%s %d" % (n, lowest[n]) for n in names),
        "loaded" if infer.classifier is not None else "not loaded (%s)" % infer.error))
