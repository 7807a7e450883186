"""The ulab To path at the Wio Terminal's heap: the live loop with the sensor on ``compute="ulab"``
runs 300 frames without a MemoryError and without heap growth (run it under
micropython-f32-ulab at -X heapsize=176876; skipped where ulab is missing)."""

import gc

from heatface.app import App
from heatface.config import DEFAULTS
from heatface.mlx90640 import MLX90640
from heatface.modes import LiveMode
from mptest import IS_MICROPYTHON, skip
from test_app_memory import LightBoard


def test_live_loop_on_the_ulab_path_fits():
    try:
        import ulab  # noqa: F401
    except ImportError:
        skip("no ulab on this runtime")
    if not IS_MICROPYTHON:
        skip("heap use is measured on the MicroPython runtime")
    config = dict(DEFAULTS)
    config.update({"range": "auto", "retry_sleep_ms": 0})
    app = App(LightBoard(), config, modes=[LiveMode()])
    app.sensor = None
    gc.collect()
    app.sensor = MLX90640(app.board.sensor_bus(), compute="ulab")
    app.run(max_frames=50)  # warm-up
    gc.collect()
    floor = gc.mem_free()
    app.run(max_frames=300)
    gc.collect()
    assert app.sensor is not None and app.sensor.compute == "ulab"
    assert app.frames == 300
    assert gc.mem_free() >= floor - 256, (floor, gc.mem_free())
    print("ulab live loop: %d bytes free after 300 frames and a collection" % gc.mem_free())
