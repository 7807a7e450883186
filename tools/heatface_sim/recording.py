"""Reading heatface's stream and recording format (see lib/heatface/stream.py): CPython and MicroPython.

:class:`Splitter` separates a byte stream from the board into console text and messages (bad
checksums and cut-off messages count as text, so nothing is lost); :func:`read_recording` opens a
recording file (``E`` header, then ``R`` subpages).
"""

import json
import struct
from binascii import crc32

from heatface.stream import EEPROM_BYTES, HEADER, MAGIC, RAW_BYTES, TRAILER, VERSION


class Splitter:
    """(CPython) ``feed(data)`` returns a list of ``("text", bytes)`` and ``(kind, payload)`` items in order."""

    def __init__(self):
        self._buf = bytearray()
        self.bad = 0  # candidate messages rejected (checksum, version)

    def feed(self, data):
        buf = self._buf
        buf.extend(data)
        out = []
        while buf:
            i = buf.find(MAGIC)
            if i < 0:
                j = max(0, len(buf) - (len(MAGIC) - 1))  # the magic may be split across reads
                while j < len(buf) and not MAGIC.startswith(bytes(buf[j:])):
                    j += 1
                if j > 0:
                    out.append(("text", bytes(buf[:j])))
                    del buf[:j]
                break
            if i > 0:
                out.append(("text", bytes(buf[:i])))
                del buf[:i]
            if len(buf) < HEADER:
                break
            n = buf[5] | (buf[6] << 8)
            if len(buf) < HEADER + n + TRAILER:
                break
            want = struct.unpack_from("<I", buf, HEADER + n)[0]
            if buf[3] != VERSION or crc32(bytes(buf[3:HEADER + n])) & 0xFFFFFFFF != want:
                self.bad += 1
                out.append(("text", bytes(buf[:1])))
                del buf[:1]
                continue
            out.append((chr(buf[4]), bytes(buf[HEADER:HEADER + n])))
            del buf[:HEADER + n + TRAILER]
        return out


def decode_header(payload):
    """An ``E`` payload -> (ticks_ms, 832 EEPROM words, settings dict)."""
    ticks = struct.unpack_from("<I", payload, 0)[0]
    ee = [(payload[4 + 2 * i] << 8) | payload[5 + 2 * i] for i in range(832)]
    settings = json.loads(bytes(payload[4 + EEPROM_BYTES:]).decode())
    return ticks, ee, settings


def decode_subpage(payload):
    """An ``R`` payload -> (ticks_ms, RAM bytes (1664, big-endian), status, control)."""
    if len(payload) != RAW_BYTES:
        raise ValueError("a raw subpage has %d bytes, got %d" % (RAW_BYTES, len(payload)))
    ticks = struct.unpack_from("<I", payload, 0)[0]
    status, control = struct.unpack_from(">HH", payload, 4 + 1664)
    return ticks, payload[4:4 + 1664], status, control


def read_messages(f, name="stream"):
    """Yield (kind, payload) for each message of a binary file holding only messages (a
    recording); a cut-off last message ends it quietly (power loss), damage raises ValueError."""
    at = 0
    while True:
        head = f.read(HEADER)
        if not head:
            return
        if len(head) < HEADER or head[:3] != MAGIC or head[3] != VERSION:
            raise ValueError("%s: damaged or unknown message at byte %d" % (name, at))
        n = head[5] | (head[6] << 8)
        payload = f.read(n)
        tail = f.read(TRAILER)
        if len(payload) < n or len(tail) < TRAILER:
            return
        if crc32(payload, crc32(head[3:])) & 0xFFFFFFFF != struct.unpack("<I", tail)[0]:
            raise ValueError("%s: checksum error in the message at byte %d" % (name, at))
        at += HEADER + n + TRAILER
        yield chr(head[4]), payload


class Recording:
    """A recording file: ``eeprom`` (832 words), ``settings`` (dict), ``start_ms``, and
    :meth:`subpages` (iterator of (ticks_ms, ram, status, control))."""

    def __init__(self, path):
        self.path = path
        self._f = open(path, "rb")
        self._messages = read_messages(self._f, path)
        first = next(self._messages, None)
        if first is None or first[0] != "E":
            self._f.close()
            raise ValueError("%s is not a heatface recording (no E header)" % path)
        self.start_ms, self.eeprom, self.settings = decode_header(first[1])

    def subpages(self):
        """The recorded subpages in order (later E headers, if any, are skipped)."""
        for kind, payload in self._messages:
            if kind == "R":
                yield decode_subpage(payload)

    def close(self):
        self._f.close()


def read_recording(path):
    """Open a recording file (raises ValueError when it is not one)."""
    return Recording(path)


def replay_frames(path):
    """(CPython or MicroPython) Decode a recording with heatface's own driver, through the simulated
    sensor's registers: yields ``(ticks_ms, temps, ta)`` per full frame (``temps`` is one reused
    array('f') of 768 degC), with the driver set up as the recording's settings say."""
    from array import array

    from heatface.mlx90640 import MLX90640, DataReadyTimeout
    from heatface_sim.mlx90640 import SimulatedMLX90640

    rec = read_recording(path)
    try:
        sensor = SimulatedMLX90640(rec.eeprom)
        sensor.play(rec.subpages())
        cam = MLX90640(sensor, timeout_ms=0, retries=3)
        settings = rec.settings
        cam.refresh_rate = settings.get("refresh_rate", 16)
        cam.emissivity = settings.get("emissivity", 0.95)
        cam.reflected_temperature = settings.get("reflected_temperature")
        temps = array("f", bytes(4 * 768))
        while True:
            try:
                cam.read_frame(temps)
            except DataReadyTimeout:
                return
            yield sensor.last_ticks, temps, cam.ta
    finally:
        rec.close()
