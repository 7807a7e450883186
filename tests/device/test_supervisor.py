# mprun: heapsize=512K
"""The app loop as a supervisor, on a light board under both runtimes: an exception in a step
or a mode is counted, its traceback goes to serial, its whole message across the panel, and the
loop goes on; MemoryError drops the classifier; implausible frames are never saved or classified;
a read error does not outlive the sensor's recovery."""

import os
import sys

import framebuf

import heatface.supervise  # noqa: F401 - patched through sys.modules (Serial)
from heatface.app import App
from heatface.config import DEFAULTS
from heatface.modes import LiveMode
from heatface.supervise import wrap
from fakes_display import NullDisplay, RecordingDisplay
from mptest import IS_MICROPYTHON, exists, skip
from simapp import rmtree

CARD = "out/test_supervisor_card"
SENSOR_ERROR = ("no MLX90640 answers at I2C address 0x33 (errno 19): check the Grove cable and "
                "that the sensor has power")


class LightBoard:
    """The board contract with the lightest hardware (the app's work dominates, also on the
    emulated board): the recorded part's bytes (MicroPython) or the simulated sensor (CPython),
    a display that keeps nothing, no buttons; captures in a host folder. ``fail_next(n)``: the
    next ``n`` bus transfers raise OSError."""

    name = "light"

    def __init__(self, display=None):
        if IS_MICROPYTHON:
            from test_app_memory import ReplayBus

            self.bus = ReplayBus()
        else:
            from heatface_sim.mlx90640 import SimulatedMLX90640
            from test_sim_mlx90640 import _eeprom

            self.bus = SimulatedMLX90640(_eeprom())
        self.failures = 0
        self.lcd = display or NullDisplay()
        self._now = 0

    def clock(self):
        self._now += 31
        return self._now

    def fail_next(self, n):
        self.failures = n

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        if self.failures:
            self.failures -= 1
            raise OSError(5)
        self.bus.readfrom_mem_into(addr, memaddr, buf, addrsize)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self.bus.writeto_mem(addr, memaddr, buf, addrsize)

    def sensor_bus(self):
        return self

    def display(self):
        return self.lcd

    def buttons(self):
        return {}


def _config(**extra):
    config = {"print_predictions": False, "retry_sleep_ms": 0, "error_hold_ms": 0}
    config.update(extra)
    return config


def _app(modes=None, **extra):
    """The app on the light board."""
    board = LightBoard()
    return App(board, _config(**extra), modes=modes), board


class Serial:
    """Stands in for the serial console's traceback printer (heatface.supervise.print_exception)."""

    def __init__(self):
        self.seen = []

    def __enter__(self):
        # the module the app imports (a deployment may forward heatface.supervise to another)
        self._module = sys.modules["heatface.supervise"]
        self._saved = self._module.print_exception
        self._module.print_exception = self.seen.append
        return self

    def __exit__(self, *exc):
        self._module.print_exception = self._saved


class Flaky(LiveMode):
    """A mode whose every other frame raises ``exc``."""

    name = "flaky"

    def __init__(self, exc):
        self.exc = exc
        self.calls = 0

    def on_frame(self, app):
        self.calls += 1
        if self.calls % 2:
            raise self.exc


def _text_on_panel(lcd, lines, width):
    """True when each of ``lines`` is on the panel as framebuf's 8x8 font draws it, one line per
    10 pixels from the top-left (white on black)."""
    mono = bytearray(8 * width)
    fb = framebuf.FrameBuffer(mono, 8 * width, 8, framebuf.MONO_HLSB)
    for k in range(len(lines)):
        fb.fill(0)
        fb.text(lines[k], 0, 0, 1)
        for y in range(8):
            for x in range(8 * width):
                lit = (mono[y * width + (x >> 3)] >> (7 - (x & 7))) & 1
                if (lcd.pixel(x, 10 * k + y) != 0) != (lit != 0):
                    return False
    return True


def test_an_exception_in_a_mode_is_counted_printed_and_the_loop_goes_on():
    mode = Flaky(ZeroDivisionError("float division by zero"))
    with Serial() as serial:
        app, _ = _app(modes=[mode])
        app.run(max_frames=3)
    assert app.frames == 3 and mode.calls >= 4
    assert app.errors == (mode.calls + 1) // 2 == len(serial.seen) and serial.seen[0] is mode.exc
    assert app.last_error == "ZeroDivisionError: float division by zero", app.last_error


def test_whole_messages_are_across_the_image_a_sensor_error_and_a_caught_one():
    mode = Flaky(OSError(SENSOR_ERROR))
    board = LightBoard(RecordingDisplay(window=(0, 0, 288, 80)))  # the image's top 8 rows of text
    board.fail_next(10 ** 6)  # no sensor answers
    with Serial():
        app = App(board, _config(error_hold_ms=60000, sensor_retry_ms=0), modes=[mode])
        app.step()  # no sensor: its error across a blank image
        assert app.sensor is None
        lines = wrap(app.sensor_error + ", retrying", 36)
        assert len(lines) >= 2 and _text_on_panel(board.lcd, lines, 36), lines
        board.fail_next(0)  # it is back
        app.run(max_frames=1)  # the first frame raises
        shown = app.frames
        app.run(max_frames=shown + 1)  # frames go on while the message is held
    text = "Error: OSError: %s (details on the serial console)" % SENSOR_ERROR
    lines = wrap(text, 36)
    assert len(lines) >= 3 and max(len(line) for line in lines) <= 36
    assert " ".join(lines).split() == text.split()
    assert _text_on_panel(board.lcd, lines, 36)


def test_wrap_breaks_at_spaces_and_inside_long_words_and_loses_nothing():
    assert wrap("a" * 85, 40) == ["a" * 40, "a" * 40, "a" * 5]
    assert wrap("one two\nthree", 40) == ["one two", "three"]
    assert wrap("abc defg", 4) == ["abc", "defg"]
    assert wrap("ab cdefghijkl m", 5) == ["ab", "cdefg", "hijkl", "m"]


def test_an_error_while_the_mode_starts_is_reported_and_the_app_runs():
    class Broken(LiveMode):
        def enter(self, app):
            raise KeyError("x")

    with Serial() as serial:
        app, _ = _app(modes=[Broken()])
        app.run(max_frames=2)
    assert app.errors == 1 and len(serial.seen) == 1 and app.frames == 2


def test_out_of_memory_drops_the_classifier_and_goes_on():
    if not exists("models/heatface.tflite"):
        skip("no shipped model")
    with Serial():
        app, _ = _app(start_mode="infer", backend="pure")
        mode = app.mode
        assert mode.classifier is not None, app.status

        def no_memory(gray):
            raise MemoryError("memory allocation failed, allocating 4096 bytes")

        mode.classifier.classify = no_memory
        app.run(max_frames=4)
    assert app.frames == 4 and app.errors == 1
    assert mode.classifier is None and mode.title(app) == "INFER no model"
    assert "classifier unloaded" in app.last_error, app.last_error


class NoMemoryModule:
    """Stands in for heatface.classifier when importing it runs out of memory."""

    def __getattr__(self, name):
        raise MemoryError("memory allocation failed, allocating 2048 bytes")


def test_out_of_memory_importing_the_classifier_at_start_in_infer_mode():
    saved = sys.modules.get("heatface.classifier")
    sys.modules["heatface.classifier"] = NoMemoryModule()
    try:
        app, _ = _app(start_mode="infer")
        app.run(max_frames=2)
    finally:
        if saved is None:
            del sys.modules["heatface.classifier"]
        else:
            sys.modules["heatface.classifier"] = saved
    assert app.frames == 2 and app.mode.title(app) == "INFER no model"
    assert "RAM" in app.mode.error, app.mode.error


def test_a_read_error_is_cleared_once_the_sensor_is_back():
    app, board = _app(sensor_retry_ms=10, max_read_failures=2)
    app.run(max_frames=2)
    board.fail_next(100)  # more than the driver's retries, twice: the sensor is lost
    for _ in range(3):
        app.step()
    assert app.sensor is None and app.read_error.startswith("Read:"), app.read_error
    board.fail_next(0)
    app.run(max_frames=app.frames + 2)
    assert app.read_error is None and not app._info["status"].startswith("Read:"), app._info


class FixedSensor:
    """A sensor whose frames are all ``value`` (one pixel 30 degC)."""

    def __init__(self, value):
        self.value = value
        self.ta = 25.0

    def read_frame(self, temps, before_subpage=None):
        if before_subpage is not None:
            before_subpage()
        for i in range(768):
            temps[i] = self.value
        temps[100] = 30.0
        return temps


def test_implausible_frames_are_never_saved_or_classified():
    rmtree(CARD)
    os.mkdir(CARD)
    app, _ = _app(start_mode="collect", captures_dir=CARD, burst=5)
    app.run(max_frames=1)
    counts = app.mode.storage.counts
    for value in (500.0, -80.0, float("nan"), float("inf")):
        app.sensor = FixedSensor(value)
        app.mode.on_button(app, "press", "A")
        app.mode.on_button(app, "long", "A")
        app.run(max_frames=app.frames + 1)
        assert not app.frame_ok and app._info["status"].startswith("Implausible"), app._info
        assert app.status.startswith("Not captured"), app.status
        assert counts["face0"] == 0
    app.sensor = FixedSensor(24.0)
    app.run(max_frames=app.frames + 2)
    assert app.frame_ok and counts["face0"] == 0  # refused presses are not taken later
    app.mode.on_button(app, "press", "A")
    app.run(max_frames=app.frames + 1)
    assert counts["face0"] == 1, app.status
    infer = app.modes[2]
    app.switch_mode(2)
    if infer.classifier is not None:
        app.run(max_frames=app.frames + 1)
        assert infer.result != "-"
        app.sensor = FixedSensor(float("nan"))
        app.run(max_frames=app.frames + 1)
        assert infer.result == "-" and not app.frame_ok


def test_defaults_fill_a_config_built_in_code():
    app, _ = _app()
    for key in DEFAULTS:
        assert key in app.config, key
