"""Raw recordings: every subpage exactly as the sensor sent it, to the SD card or the PC.

:class:`Recorder` sits between the MLX90640 driver and its I2C bus (``wrap(bus)``) and copies
each RAM read (832 words), with the status and control registers that go with it, to every
attached sink as an ``R`` message of :mod:`heatface.stream`; a sink first gets an ``E`` header
(EEPROM, settings, time). The file format is the stream format: a recording is ``E`` then ``R``
messages. Replaying one through the simulated sensor (``tools/replay.py``) gives the driver the
same bytes, so the same temperatures come out, bit for bit.

Recording costs nothing when no sink is attached beyond one Python call per I2C transfer.
"""

import struct

from heatface.stream import EEPROM_BYTES, RAW_BYTES, Framer

_ADDRESS = 0x33
_RAM = 0x0400
_STATUS = 0x8000
_CONTROL = 0x800D
_EEPROM = 0x2400
RECORDING_PREFIX = "rec"
RECORDING_SUFFIX = ".hfr"


class Recorder:
    """The tap and its sinks (Framer objects). ``clock()`` gives ticks_ms for the timestamps."""

    def __init__(self, clock):
        self.clock = clock
        self.bus = None
        self.sinks = []
        self.status = 0
        self.control = 0
        self._ticks = bytearray(4)
        self._regs = bytearray(4)
        self._card = None  # (file, framer) while recording to the card
        self.card_name = None
        self.error = None

    # -- the I2C tap (machine.I2C's two methods the driver uses) -----------------------------

    def wrap(self, bus):
        """Return the bus the driver should use (this recorder, forwarding to ``bus``)."""
        self.bus = bus
        return self

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self.bus.readfrom_mem_into(addr, memaddr, buf, addrsize)
        if memaddr == _STATUS:
            self.status = (buf[0] << 8) | buf[1]
        elif memaddr == _CONTROL:
            self.control = (buf[0] << 8) | buf[1]
        elif memaddr == _RAM and self.sinks and len(buf) in (832, 1664):
            self._emit(buf)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self.bus.writeto_mem(addr, memaddr, buf, addrsize)
        if memaddr == _CONTROL:
            self.control = (buf[0] << 8) | buf[1]

    def _emit(self, ram):
        struct.pack_into("<I", self._ticks, 0, self.clock() & 0xFFFFFFFF)
        struct.pack_into(">HH", self._regs, 0, self.status, self.control)
        for sink in self.sinks:
            try:
                sink.send("R", RAW_BYTES, self._ticks, ram, self._regs)
            except OSError as exc:
                self._failed(sink, exc)

    # -- sinks ---------------------------------------------------------------------------------

    def start(self, framer, settings_json):
        """Send the ``E`` header to ``framer`` and add it as a sink (raises OSError)."""
        ee = bytearray(EEPROM_BYTES)
        self.bus.readfrom_mem_into(_ADDRESS, _EEPROM, ee, 16)
        self.readfrom_mem_into(_ADDRESS, _CONTROL, self._regs, 16)  # the tap may be new: learn it
        struct.pack_into("<I", self._ticks, 0, self.clock() & 0xFFFFFFFF)
        data = settings_json.encode()
        framer.send("E", 4 + EEPROM_BYTES + len(data), self._ticks, ee, data)
        if framer not in self.sinks:
            self.sinks.append(framer)

    def stop(self, framer):
        if framer in self.sinks:
            self.sinks.remove(framer)

    def start_card(self, app):
        """Start recording to ``<captures_dir>/rec.<n>.hfr``; the outcome goes to ``app.status``."""
        if self._card is not None:
            return True
        if self.bus is None:
            app.status = "Record: no sensor"
            return False
        folder = app.config.get("captures_dir", "/sd")
        try:
            name = next_free_name(folder)
            f = open(folder.rstrip("/") + "/" + name, "wb")
        except OSError as exc:
            app.status = "Record: %s" % exc
            return False
        framer = Framer(f)
        self._card = (f, framer)
        try:
            self.start(framer, settings_json(app))
        except OSError as exc:
            self._failed(framer, exc)
            app.status = self.error
            return False
        self.card_name = name
        self.error = None
        app.status = "Recording " + name
        return True

    def stop_card(self, app=None):
        """Stop the card recording (if any) and close its file."""
        card, self._card = self._card, None
        if card is None:
            return
        self.stop(card[1])
        try:
            card[0].close()
        except OSError:
            pass
        if app is not None and self.card_name:
            app.status = "Recorded %s (%d subpages)" % (self.card_name, card[1].sent - 1)
        self.card_name = None

    def _failed(self, sink, exc):
        self.stop(sink)
        if self._card is not None and self._card[1] is sink:
            self.error = "Recording stopped: %s" % exc
            self.stop_card()
        else:
            self.error = "Stream stopped: %s" % exc


def next_free_name(folder):
    """``rec.<n>.hfr`` with the first n not in ``folder`` (probing names, as captures do)."""
    import os

    n = 0
    while True:
        name = "%s.%d%s" % (RECORDING_PREFIX, n, RECORDING_SUFFIX)
        try:
            os.stat(folder.rstrip("/") + "/" + name)
        except OSError:
            return name
        n += 1


def settings_json(app):
    """The ``E`` header's settings for ``app`` (JSON text): what a replay must set up the same way."""
    import json
    import time

    config = app.config
    try:
        started = list(time.localtime())
    except (AttributeError, OSError):
        started = None
    t_lo = t_hi = None
    for mode in app.modes:  # the capture mapping in use, so a dataset can be made the same way
        if hasattr(mode, "t_lo"):
            t_lo, t_hi = mode.t_lo, mode.t_hi
    return json.dumps({
        "format": "heatface raw recording", "board": app.board.name,
        "refresh_rate": config.get("refresh_rate", 16), "emissivity": config.get("emissivity", 0.95),
        "reflected_temperature": None if app.sensor is None else app.sensor.reflected_temperature,
        "t_lo": t_lo, "t_hi": t_hi,
        "labels": config.get("labels"), "started": started})
