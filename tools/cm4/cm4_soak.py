"""On-board half of the soak (tools/cm4/soak.py): the app's own loop for many frames, heap sampled.

``run(mode, frames, sample_every)`` builds the app as main.py does (load_config, App) on a
:class:`SoakBoard` and calls ``App.run(frames)``, the loop a board runs. The board is the light
board (tools/cm4/lightboard.py) with two differences:

- a moving scene: a warm 6x6 patch, added to the replayed pixel readings, travels across the
  sensor's field (one pixel per frame, row by row), so every frame differs and every stage (To,
  range, render, classification, capture) works on new data;
- buttons A, B and C pressed in turn, one press every ``press_every`` frames (collect mode), so
  captures go onto the card (a FAT volume on RAM, as lightboard's) all through the run.

Every ``sample_every`` frames the board's ``after_frame`` hook (App.run calls it after each shown
frame) collects garbage and prints ``SOAK <frame> <free bytes> <hottest pixel>`` (the pixel shows
the scene moving); at the end one line ``SOAKEND {json}`` sums up: frames shown, errors
(exceptions out of the loop with their traceback, the mode's own error, a card that failed, a
sensor that was lost), ``caught`` (the errors the app's loop caught and counted, if it counts
them: ``App.errors``), presses and captures, the last classification. Everything else the
board prints is the app's own output (the host counts tracebacks and errors in it).
"""

import gc
import io
import json
import sys

import micropython
from micropython import const
from lightboard import LightBoard, ReplayBus

_PATCH = 6  # pixels a side of the warm patch
_PATCH_COUNTS = 50  # raw ADC counts added to its pixels: about +8 degC over the recorded scene
_BAD_WORD = const(0x7FFF)  # what the sensor reads for a missing pixel: the driver retries on it
_BUTTONS = ("A", "B", "C")


@micropython.viper
def _add_patch(words: ptr8, x0: int, y0: int, size: int, delta: int):
    """Add ``delta`` to the big-endian 16-bit pixel words of a size x size patch at (x0, y0)."""
    for y in range(y0, y0 + size):
        for x in range(x0, x0 + size):
            i = (y * 32 + x) * 2
            v = ((words[i] << 8) | words[i + 1]) + delta
            v &= 0xFFFF
            if v == _BAD_WORD:
                v -= 1
            words[i] = v >> 8
            words[i + 1] = v & 0xFF


class MovingBus(ReplayBus):
    """The replayed sensor with a warm patch at ``position`` (frames since start) added."""

    def __init__(self, *path):
        super().__init__(*path)
        self.position = 0

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=16):
        super().readfrom_mem_into(addr, memaddr, buf, addrsize)
        if memaddr == 0x0400:  # a subpage's RAM: pixels first (768 words)
            span = 33 - _PATCH  # positions per row (27) and rows (19) the patch can take
            p = self.position % (span * (25 - _PATCH))
            _add_patch(buf, p % span, p // span, _PATCH, _PATCH_COUNTS)


class SoakPin:
    """Button ``name``: pressed (0, active low) for the first ``press_frames`` frames of its turn."""

    def __init__(self, board, name):
        self._board = board
        self._name = name

    def value(self):
        b = self._board
        if not b.press_every or self._name not in _BUTTONS:
            return 1
        frame = b.frame
        if frame < b.press_every:  # not during the first period (the warm-up)
            return 1
        turn, within = divmod(frame, b.press_every)
        pressed = within < b.press_frames and _BUTTONS[turn % 3] == self._name
        return 0 if pressed else 1


class SoakBoard(LightBoard):
    """The light board with the moving scene, the A/B/C press schedule and the heap sampler."""

    name = "cm4-soak"

    def __init__(self, press_every=0, sample_every=10, press_frames=2):
        super().__init__(checksum=False)
        self.bus = MovingBus()
        self.press_every = press_every
        self.press_frames = press_frames
        self.sample_every = sample_every
        self.frame = 0
        self.presses = 0
        self.min_free = None

    def buttons(self):
        names = ("A", "B", "C", "UP", "DOWN", "LEFT", "RIGHT", "PRESS")
        return {n: SoakPin(self, n) for n in names}

    def after_frame(self, app):
        self.frame = app.frames
        self.bus.position = app.frames
        if self.press_every and app.frames > self.press_every and app.frames % self.press_every == 1:
            self.presses += 1  # the press of frame N*k was seen in frame N*k+1, which captured it
        if app.frames % self.sample_every == 0:
            t = app.temps
            hot = 0
            for i in range(len(t)):
                if t[i] > t[hot]:
                    hot = i
            gc.collect()
            free = gc.mem_free()
            if self.min_free is None or free < self.min_free:
                self.min_free = free
            print("SOAK", app.frames, free, hot)


def make_app(mode, press_every, sample_every):
    from heatface.app import App
    from heatface.config import load_config

    config = load_config()
    config.update({"start_mode": mode, "retry_sleep_ms": 0, "print_predictions": False})
    board = SoakBoard(press_every if mode == "collect" else 0, sample_every)
    return App(board, config), board


def _mode_errors(app, mode):
    errors = []
    m = app.mode
    if getattr(m, "error", None):
        errors.append(m.error)
    if mode == "collect" and not m.storage.ready:
        errors.append("card: %s" % m.storage.status)
    if app.sensor is None:
        errors.append(app.sensor_error or "sensor lost")
    return errors


def run(mode, frames=10000, sample_every=10, press_every=50, probe=20):
    """Soak ``mode`` for ``frames`` frames; see the module docstring. After ``probe`` frames the
    mode must be working (infer: the model loaded; collect: the card mounted), else the run
    stops there with ``fits`` false: the mode does not fit this form (the host tries another)."""
    result = {"mode": mode, "frames": 0, "errors": [], "fits": False}
    app = board = None
    try:
        app, board = make_app(mode, press_every, sample_every)
        app.run(probe)
        result["errors"] = _mode_errors(app, mode)
        if mode == "infer" and app.mode.classifier is None:
            result["errors"].append("no classifier")
        result["fits"] = not result["errors"]
        if result["fits"]:
            app.run(frames)
            result["errors"] += _mode_errors(app, mode)
    except Exception as exc:  # noqa: BLE001 - MemoryError above all: an error of the soak
        result["errors"].append("%s: %s" % (type(exc).__name__, exc))
        try:  # into the result, so that the console holds only what the app printed
            text = io.StringIO()
            sys.print_exception(exc, text)
            result["traceback"] = text.getvalue()
        except MemoryError:
            pass
    if app is not None:
        result["frames"] = app.frames
        caught = getattr(app, "errors", None)  # the supervisor's count, where the app keeps one
        result["caught"] = caught if isinstance(caught, int) else None
        m = app.mode
        if mode == "collect":
            result["presses"] = board.presses
            result["captures"] = sum(m.storage.counts.values()) if m.storage.ready else 0
        if mode == "infer":
            result["result"] = m.result
    if board is not None:
        result["min_free"] = board.min_free
    print("SOAKEND " + json.dumps(result))
