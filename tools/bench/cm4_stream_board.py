"""Runs on the emulated Cortex-M4F board (tools/bench/bench_cm4_stream.py sends it): the live app
loop on tools/cm4's light board, without and with the PC link streaming every frame.

The link's serial port is a FIFO in RAM (a copy of each message, as the samd port's USB CDC
copies into its transmit buffer): the emulated UART's own transmit time is not a board's. A
board's USB buffer is static memory, not heap: so the FIFO is allocated in every variant,
streaming or not, and all of them run with the same free heap (the GC's work depends on it).
"""

import gc
import io
import time

from heatface.app import App
from heatface.config import DEFAULTS
from heatface.modes import LiveMode
from heatface.stream import Link
from lightboard import LightBoard  # tools/cm4's light board (ROMFS root)


class FifoSerial:
    FIFO_BYTES = 8192  # more than a frame's messages: no growth after the first frame

    def __init__(self):
        self.fifo = io.BytesIO()
        self.fifo.write(bytes(self.FIFO_BYTES))  # grows its buffer now, before the app's allocations
        self.fifo.seek(0)
        self.sent = 0

    def write(self, buf):
        self.sent += self.fifo.write(buf)

    def flush(self):
        self.fifo.seek(0)  # the host took it: reuse the buffer

    def read_line(self):
        return None


def make_app(link):
    """The app on the light board; ``link``: None, "stream" (frames and state every frame) or
    "raw" (also every raw subpage, what a recording on the PC costs the board)."""
    config = dict(DEFAULTS)
    config.update({"range": "auto", "retry_sleep_ms": 0})
    serial = FifoSerial()
    app = App(LightBoard(checksum=False, card=False), config, modes=[LiveMode()])
    app.bench_fifo = serial  # kept in every variant (see the module docstring)
    if link:
        app.link = Link(serial)
        app.link.command(app, "HF stream 1")
        if link == "raw":
            app.link.command(app, "HF raw 1")
    app.run(max_frames=5)  # warm-up
    return app


def us_per_frame(app, frames):
    """Guest microseconds per frame (with QEMU's -icount shift=0: thousands of instructions)."""
    gc.collect()
    start = time.ticks_us()
    app.run(max_frames=app.frames + frames)
    return time.ticks_diff(time.ticks_us(), start) / frames


def us_per_call(fn, n):
    gc.collect()
    start = time.ticks_us()
    for _ in range(n):
        fn()
    return time.ticks_diff(time.ticks_us(), start) / n


def measure(frames=60):
    """Prints ``HFSTREAM plain=<us> stream=<us> raw=<us> bytes=<stream> rawbytes=<raw>`` per frame
    (the plain loop is measured before and after: the mean is printed, and the spread), and
    ``HFIO <variant>=<sensor bus bytes>,<LCD bytes>`` per frame."""
    figures = {}
    io_bytes = {}
    for kind in (None, "stream", "raw", None):
        app = make_app(kind)
        sent0 = app.link.serial.sent if kind else 0
        bus, lcd = app.board.bus, app.board.lcd
        bus0, lcd0 = bus.bytes_read + bus.bytes_written, lcd.bytes_sent
        us = us_per_frame(app, frames)
        sent = (app.link.serial.sent - sent0) // frames if kind else 0
        io_bytes[kind] = ((bus.bytes_read + bus.bytes_written - bus0) // frames, (lcd.bytes_sent - lcd0) // frames)
        gc.collect()
        figures.setdefault(kind, []).append((us, sent, gc.mem_free()))
        app = None
    plain = figures[None]
    # the link's own work, without the loop's GC spread: one frame's messages, one raw subpage
    app = make_app("raw")
    service = us_per_call(lambda: app.link.service(app, True), frames)
    ram, fifo = app.sensor._ram, app.link.serial

    def one_subpage():
        app.recorder._emit(ram)
        fifo.flush()

    subpage = us_per_call(one_subpage, frames)
    app = None
    print("HFLINK service=%d subpage=%d heap=%d rawheap=%d" % (
        service, subpage, figures[None][0][2] - figures["stream"][0][2], figures[None][0][2] - figures["raw"][0][2]))
    print("HFSTREAM plain=%d stream=%d raw=%d bytes=%d rawbytes=%d spread=%d"
          % ((plain[0][0] + plain[1][0]) / 2, figures["stream"][0][0], figures["raw"][0][0],
             figures["stream"][0][1], figures["raw"][0][1], abs(plain[0][0] - plain[1][0])))
    print("HFIO " + " ".join("%s=%d,%d" % ((kind or "plain",) + io_bytes[kind]) for kind in (None, "stream", "raw")))
