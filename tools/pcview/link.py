"""The PC's end of the board link: a serial port, split into console text and messages.

:class:`BoardLink` reads the port in a thread, keeps the latest frame (``T``), the latest state
(``I``) and the last console lines, sends command lines, and records raw subpages (``E`` + ``R``
messages, re-framed byte for byte) to a file while a recording runs.
"""

import collections
import io
import json
import os
import struct
import threading
import time

from heatface.stream import FRAME_BYTES, FRAME_META, Framer
from heatface_sim.recording import Splitter


def find_port(port="auto"):
    """``auto``: the first USB serial device (what ``mpremote connect auto`` picks); else ``port``."""
    if port != "auto":
        return port
    from serial.tools import list_ports

    for info in sorted(list_ports.comports(), key=lambda p: p.device):
        if info.vid is not None:
            return info.device
    raise SystemExit("view: no USB serial device found; connect the board or pass PORT=/dev/ttyACM0")


class BoardLink:
    """``port``: a serial device path (a board, or the virtual board's pty)."""

    def __init__(self, port, rec_dir="data/recordings"):
        import serial

        self.port = port
        self.rec_dir = rec_dir
        self.serial = serial.Serial(port, 115200, timeout=0.05)
        self.split = Splitter()
        self.lock = threading.Lock()
        self.frame = None  # (meta tuple, payload bytes) of the last T message
        self.state = {}
        self.console = collections.deque(maxlen=40)
        self.frames = 0
        self.rate = 0.0  # frames per second received
        self._rate_t = time.monotonic()
        self._rate_n = 0
        self._text = b""
        self.recording = None  # (path, file, Framer)
        self.recorded = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="board-link", daemon=True)

    def start(self):
        self._thread.start()
        self.send("stream 1")
        return self

    def close(self):
        try:
            self.stop_recording()
            self.send("stream 0")
        except OSError:
            pass
        self._stop.set()
        self._thread.join(timeout=2)
        self.serial.close()

    def send(self, command):
        """Send one command line (``stream 1``, ``press A``, ...; see heatface.stream)."""
        self.serial.write(("HF %s\n" % command).encode())
        self.serial.flush()

    # -- recording -----------------------------------------------------------------------------

    def start_recording(self):
        """Record raw subpages from the board to ``rec_dir/pc-<time>.hfr``; returns the path."""
        with self.lock:
            if self.recording is not None:
                return self.recording[0]
            os.makedirs(self.rec_dir, exist_ok=True)
            path = os.path.join(self.rec_dir, time.strftime("pc-%Y%m%d-%H%M%S.hfr"))
            f = open(path, "wb")
            self.recording = (path, f, Framer(f))
            self.recorded = 0
        self.send("raw 1")
        return path

    def stop_recording(self):
        with self.lock:
            rec, self.recording = self.recording, None
        if rec is None:
            return None
        self.send("raw 0")
        rec[1].close()
        return rec[0]

    # -- reading -------------------------------------------------------------------------------

    def _read(self):
        while not self._stop.is_set():
            try:
                data = self.serial.read(65536)
            except OSError as exc:  # unplugged: say so, keep the page up
                with self.lock:
                    self.console.append("[link lost: %s]" % exc)
                time.sleep(0.5)
                continue
            if data:
                self.feed(data)

    def feed(self, data):
        """Handle bytes from the board (public for tests)."""
        for kind, payload in self.split.feed(data):
            if kind == "text":
                self._console(payload)
            elif kind == "T" and len(payload) == FRAME_BYTES:
                meta = struct.unpack_from(FRAME_META, payload, 0)
                with self.lock:
                    self.frame = (meta, payload)
                    self.frames += 1
                    self._count_rate()
            elif kind == "I":
                try:
                    state = json.loads(payload.decode())
                except ValueError:
                    continue
                with self.lock:
                    self.state = state
            elif kind in ("E", "R"):
                with self.lock:
                    rec = self.recording
                    if rec is not None and (kind == "E" or rec[2].sent):  # from its header on
                        rec[2].send(kind, len(payload), payload)
                        if kind == "R":
                            self.recorded += 1

    def _count_rate(self):
        self._rate_n += 1
        now = time.monotonic()
        if now - self._rate_t >= 1.0:
            self.rate = self._rate_n / (now - self._rate_t)
            self._rate_t, self._rate_n = now, 0

    def _console(self, text):
        text = self._text + text
        lines = text.split(b"\n")
        self._text = lines.pop()[-2000:]
        with self.lock:
            for line in lines:
                self.console.append(line.rstrip(b"\r").decode("utf-8", "replace"))

    def snapshot(self):
        """The state for the page: board state, link figures, console lines, recording."""
        with self.lock:
            meta = self.frame[0] if self.frame else None
            return {
                "board": self.state, "port": self.port, "frames": self.frames,
                "rate": round(self.rate, 1), "console": list(self.console),
                "recording": self.recording[0] if self.recording else None,
                "recorded": self.recorded, "bad_messages": self.split.bad,
                "seq": meta[0] if meta else 0,
            }

    def frame_bytes(self):
        """The last ``T`` payload (meta + 768 float32), or None."""
        with self.lock:
            return None if self.frame is None else self.frame[1]


def framed(kind, payload):
    """One message's bytes (for tests)."""
    out = io.BytesIO()
    Framer(out).send(kind, len(payload), payload)
    return out.getvalue()
