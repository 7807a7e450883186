"""Runs on the emulated Cortex-M4F board (tools/bench/bench_cm4_stream.py sends it): the live app
loop on the memory test's light board, without and with the PC link streaming every frame.

The link's serial port is a FIFO in RAM (a copy of each message, as the samd port's USB CDC
copies into its transmit buffer): the emulated UART's own transmit time is not a board's.
"""

import io
import time

from heatface.app import App
from heatface.config import DEFAULTS
from heatface.modes import LiveMode
from heatface.stream import Link
from test_app_memory import LightBoard


class FifoSerial:
    def __init__(self):
        self.fifo = io.BytesIO()
        self.sent = 0

    def write(self, buf):
        self.sent += self.fifo.write(buf)

    def flush(self):
        self.fifo.seek(0)  # the host took it: reuse the buffer

    def read_line(self):
        return None


def make_app(streaming):
    config = dict(DEFAULTS)
    config.update({"range": "auto", "retry_sleep_ms": 0})
    app = App(LightBoard(), config, modes=[LiveMode()])
    if streaming:
        app.link = Link(FifoSerial())
        app.link.streaming = True
    app.run(max_frames=5)  # warm-up
    return app


def us_per_frame(app, frames):
    """Guest microseconds per frame (with QEMU's -icount shift=0: thousands of instructions)."""
    start = time.ticks_us()
    app.run(max_frames=app.frames + frames)
    return time.ticks_diff(time.ticks_us(), start) / frames


def measure(frames=20):
    """Prints ``HFSTREAM plain=<us> stream=<us> bytes=<per frame>`` (one line)."""
    plain = us_per_frame(make_app(False), frames)
    app = make_app(True)
    sent0 = app.link.serial.sent
    stream = us_per_frame(app, frames)
    per_frame = (app.link.serial.sent - sent0) // frames
    app = None
    print("HFSTREAM plain=%d stream=%d bytes=%d" % (plain, stream, per_frame))
