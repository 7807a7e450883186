"""The board's framed binary link to the PC (``make view``), and the raw-recording format.

Both use one message format, so a recording is just the messages the board would stream::

    offset  size  field
    0       3     MAGIC b"\\xffHF"   (0xFF never occurs in UTF-8 text: console output cannot fake it)
    3       1     VERSION (1)
    4       1     TYPE, an ASCII letter (below)
    5       2     LENGTH of the payload, little-endian
    7       n     PAYLOAD
    7+n     4     CRC-32 (zlib's / binascii's) of bytes 3 .. 7+n-1, little-endian

Message types (all integers little-endian, words of the sensor big-endian as on the I2C bus):

- ``E`` recording header: u32 ticks_ms, the 832 EEPROM words (1664 bytes), then a UTF-8 JSON
  object of settings (``board``, ``refresh_rate``, ``emissivity``, ``reflected_temperature``,
  ``t_lo``, ``t_hi``, ``started`` = wall-clock time tuple or null).
- ``R`` one raw subpage as the driver read it: u32 ticks_ms, then 834 words: the 832 RAM words
  (0x0400..0x073F), the status register (0x8000) that announced them, the control register (0x800D).
- ``T`` one frame of temperatures: u32 seq, u32 ticks_ms, f32 ambient, f32 lo, f32 hi (palette
  range), f32 fps, u8 flags (1 frozen, 2 mirror, 4 flip, 8 alarm), 3 bytes zero, 768 f32 degC
  (row-major 24x32, as the sensor sees it: mirror/flip are only how the LCD shows it).
- ``I`` the app's state as UTF-8 JSON: ``mode``, ``title``, ``status``, ``result`` and ``scores``
  (infer mode), ``labels``, ``palette``, ``range``, ``unit``, ``recording``.

The PC sends ASCII command lines ``HF <command> [argument]\\n``: ``stream 1|0`` (temperature
frames and state), ``raw 1|0`` (also raw subpages, after an ``E`` header), ``press|long|release
<button>`` (exactly what the button would do), ``sdrec 1|0`` (record raw subpages on the card).
Nothing is sent before ``stream 1`` or ``raw 1``, so a plain REPL or mpremote never sees a message;
other input lines are ignored, and Ctrl-C still interrupts the app as always.
"""

import struct

from binascii import crc32  # samd51 and esp32 builds have it (ROM level "extra features")

MAGIC = b"\xffHF"
VERSION = 1
HEADER = 7
TRAILER = 4
EEPROM_BYTES = 1664
SUBPAGE_WORDS = 834
RAW_BYTES = 4 + 2 * SUBPAGE_WORDS
FRAME_META = "<IIffffB3x"
FRAME_META_BYTES = 28
FRAME_BYTES = FRAME_META_BYTES + 4 * 768
FLAG_FROZEN, FLAG_MIRROR, FLAG_FLIP, FLAG_ALARM = 1, 2, 4, 8
COMMAND_PREFIX = "HF "


class Framer:
    """Writes messages to a binary stream (``write(buf)``) without building them in one buffer."""

    def __init__(self, out):
        self.out = out
        self._head = bytearray(HEADER)
        self._head[0:3] = MAGIC
        self._head[3] = VERSION
        self._tail = bytearray(TRAILER)
        self.sent = 0  # messages written

    def send(self, kind, n, *parts):
        """One message of type ``kind`` (a one-letter str) whose payload is ``parts`` concatenated
        (bytes-like objects: bytes, bytearray, array), ``n`` bytes in all (the caller knows it:
        ``len()`` of an array counts items)."""
        if n > 0xFFFF:
            raise ValueError("a message payload holds at most 65535 bytes, got %d" % n)
        head = self._head
        head[4] = ord(kind)
        head[5] = n & 0xFF
        head[6] = n >> 8
        crc = crc32(memoryview(head)[3:])
        out = self.out
        out.write(head)
        for p in parts:
            crc = crc32(p, crc)
            out.write(p)
        struct.pack_into("<I", self._tail, 0, crc & 0xFFFFFFFF)
        out.write(self._tail)
        self.sent += 1


def parse_command(line):
    """``"HF press A"`` -> ``("press", "A")``; ``("", "")`` for lines that are not commands."""
    if not line.startswith(COMMAND_PREFIX):
        return "", ""
    parts = line[len(COMMAND_PREFIX):].strip().split(" ")
    return parts[0], (parts[1] if len(parts) > 1 else "")


class StdioSerial:
    """The USB serial console (``sys.stdin``/``sys.stdout``) as the link's byte pipe: binary
    writes, and non-blocking reads of command lines."""

    def __init__(self):
        import select
        import sys

        self._in = getattr(sys.stdin, "buffer", sys.stdin)
        self._out = getattr(sys.stdout, "buffer", sys.stdout)
        self._flush = getattr(self._out, "flush", None)
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)
        self._ipoll = getattr(self._poll, "ipoll", None)  # MicroPython: polls without allocating
        self._line = bytearray()

    def write(self, buf):
        self._out.write(buf)

    def flush(self):
        if self._flush is not None:
            self._flush()

    def _ready(self):
        if self._ipoll is None:
            return bool(self._poll.poll(0))
        for _ in self._ipoll(0):
            return True
        return False

    def read_line(self):
        """A complete input line (str, without the newline), or None when none is waiting."""
        for _ in range(128):  # bounded: a flood of input cannot stall the frame loop
            if not self._ready():
                return None
            c = self._in.read(1)
            if not c:
                return None
            if isinstance(c, str):
                c = c.encode()
            if c == b"\n":
                line = bytes(self._line)
                self._line = bytearray()
                try:
                    return line.decode()
                except UnicodeError:
                    return ""
            if len(self._line) < 80:
                self._line += c
        return None


class Link:
    """Streams the app to the PC over ``serial`` (``write``, ``read_line``, optional ``flush``)
    and carries out the PC's commands; :meth:`service` is called once per app step."""

    def __init__(self, serial):
        self.serial = serial
        self._flush = getattr(serial, "flush", None)  # looked up once: no bound method per frame
        self.framer = Framer(serial)
        self.streaming = False
        self.raw = False
        self.seq = 0
        self._meta = bytearray(FRAME_META_BYTES)
        self._last_info = None

    def service(self, app, frame_shown):
        """Run waiting commands; send the frame (when one was shown) and the state (when changed)."""
        while True:
            line = self.serial.read_line()
            if line is None:
                break
            self.command(app, line)
        try:
            if self.streaming:
                if frame_shown:
                    self.send_frame(app)
                self.send_info(app)
            if self._flush is not None:
                self._flush()
        except OSError as exc:  # the PC went away mid-message: stop sending, keep the app running
            self.streaming = False
            if self.raw:
                app.recorder.stop(self.framer)
                self.raw = False
            app.status = "PC link: %s" % exc

    def command(self, app, line):
        """Carry out one command line; unknown lines are ignored (they may be REPL noise)."""
        cmd, arg = parse_command(line)
        if cmd in ("press", "long", "release") and arg:
            app.handle_button(cmd, arg)
        elif cmd == "stream":
            self.streaming = arg == "1"
            self._last_info = None
        elif cmd == "raw":
            from heatface.recorder import settings_json

            on = arg == "1"
            if on and not self.raw:
                app.use_recorder().start(self.framer, settings_json(app))
            elif self.raw and not on:
                app.recorder.stop(self.framer)
            self.raw = on
        elif cmd == "sdrec":
            if arg == "1":
                app.use_recorder().start_card(app)
            elif app.recorder is not None:
                app.recorder.stop_card(app)
            self._last_info = None

    def send_frame(self, app):
        cam = app.camera
        flags = 0
        if cam is not None:
            flags = ((FLAG_FROZEN if cam.frozen else 0) | (FLAG_MIRROR if cam.mirror else 0)
                     | (FLAG_FLIP if cam.flip else 0) | (FLAG_ALARM if cam.alarm_on else 0))
        info = app._info
        self.seq += 1
        struct.pack_into(FRAME_META, self._meta, 0, self.seq, app.clock() & 0xFFFFFFFF, app.ambient,
                         info["lo"] or 0.0, info["hi"] or 0.0, app.timer.fps, flags)
        self.framer.send("T", FRAME_BYTES, self._meta, app.temps)

    def send_info(self, app):
        import json

        text = json.dumps(app_state(app))
        if text != self._last_info:
            self._last_info = text
            data = text.encode()
            self.framer.send("I", len(data), data)


def app_state(app):
    """The app's state for the PC: a dict of plain values (see the ``I`` message)."""
    mode = app.mode
    state = {"mode": mode.name, "title": mode.title(app), "status": app.status,
             "labels": app.config.get("labels") or {}, "palette": app.renderer.palette,
             "range": app.range.mode, "unit": "C" if app.camera is None else app.camera.unit,
             "recording": None if app.recorder is None else app.recorder.card_name}
    clf = getattr(mode, "classifier", None)
    if clf is not None:
        state["result"] = mode.result
        state["scores"] = [int(s * 1000 + 0.5) / 1000 for s in clf.scores]
        state["classes"] = list(clf.labels)
    return state
