"""A light board for heap and instruction measurements on the emulated Cortex-M4F board.

The board contract of heatface.boards, with hardware that costs the heap (almost) nothing:

- sensor bus: the MLX90640's recorded I2C traffic replayed (Melexis' example EEPROM and its two
  recorded subpages, alternating, or a moving scene's subpages in turn; the real driver runs
  unchanged on top); counts the bytes read;
- display: records a checksum of what it is sent (and byte counts), keeps no pixels;
- buttons: scripted presses on the board's virtual clock (``press_every_ms``);
- card: a FAT volume on the board's second RAM disk (``cm4board.RAMDisk(1)``, outside the heap,
  as a card's storage is), mounted at /sd with heatface.storage.mount_sd.

``LightBoard(checksum=False)`` skips the checksum loop, so an instruction count of the app loop
holds the app's work only. Runs on the board (tools/cm4 puts this file at the ROMFS root).
"""

import sys

import micropython

_EEPROM_BYTES = 1664
_SUBPAGE_BYTES = 1668  # 834 words: 768 pixels and 64 aux words, then the control register


@micropython.viper
def _copy_bytes(dst: ptr8, src: ptr8, offset: int, n: int):
    for i in range(n):
        dst[i] = src[offset + i]


if sys.implementation.name != "micropython":  # CPython (host tests): the same copy, by bytes

    def _copy_bytes(dst, src, offset, n):
        memoryview(dst).cast("B")[:n] = bytes(src[offset:offset + n])


@micropython.viper
def _checksum(h: int, buf: ptr8, n: int) -> int:
    for i in range(n):
        h = ((h << 5) + h + buf[i]) & 0x3FFFFFFF
    return h


class ReplayBus:
    """machine.I2C-shaped: a recorded part's EEPROM and its subpages, replayed in turn.

    ``path``: the EEPROM's 1664 bytes, then ``subpages`` subpages (0, 1, 0, ...) of 1668 bytes
    each (834 big-endian words: 768 pixels, 64 aux, the control register, the subpage number):
    Melexis' example frame (two subpages, then other data: the default), or a moving scene
    (tools/bench/cm4_scene.py) with ``subpages=None``: as many as the file holds, nothing after
    them. A ROMFS file is read in place (memoryview), so a long scene costs the heap nothing."""

    def __init__(self, path="/rom/tests/data/mlx90640_example.bin", subpages=2):
        self._file = open(path, "rb")
        try:
            self.mem = memoryview(self._file)  # ROMFS: the bytes in place
        except TypeError:
            self.mem = self._file.read()
            self._file.close()
        if subpages is None:
            subpages, extra = divmod(len(self.mem) - _EEPROM_BYTES, _SUBPAGE_BYTES)
            if extra or subpages < 2 or subpages % 2:
                raise ValueError("%s: the EEPROM and an even number of subpages expected" % path)
        self.subpages = subpages
        self.at = self.subpages - 1  # the recorded subpage read last; the first read is the next
        self.subpage = 1
        self.bytes_read = 0
        self.bytes_written = 0

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=16):
        # heatface's driver reads into 16-bit arrays (len() counts words), others into bytearrays
        n = len(buf) if isinstance(buf, (bytearray, bytes)) else 2 * len(buf)
        self.bytes_read += n
        if memaddr == 0x8000:  # status: new data ready, the next recorded subpage
            self.at = (self.at + 1) % self.subpages
            self.subpage = self.at & 1
            buf[0], buf[1] = 0, 0x08 | self.subpage
            return
        if memaddr == 0x800D:  # control register, as recorded with the first subpage
            start = _EEPROM_BYTES + 2 * 832
        elif memaddr >= 0x2400:  # EEPROM
            start = 2 * (memaddr - 0x2400)
        else:  # RAM of the current recorded subpage
            start = _EEPROM_BYTES + self.at * _SUBPAGE_BYTES + 2 * (memaddr - 0x0400)
        if start + n > len(self.mem):
            raise OSError(5)  # EIO: beyond what was recorded
        _copy_bytes(buf, self.mem, start, n)

    def writeto_mem(self, addr, memaddr, buf, addrsize=16):
        self.bytes_written += len(buf)


class ChecksumDisplay:
    """The heatface.display contract; keeps a checksum of the pixels sent, not the pixels."""

    def __init__(self, width=320, height=240, checksum=True):
        self.width = width
        self.height = height
        self.checksum = 5381 if checksum else None
        self.bytes_sent = 0
        self.blits = 0
        self.fills = 0

    def blit(self, buf, x, y, w, h):
        n = 2 * w * h
        self.blits += 1
        self.bytes_sent += n
        if self.checksum is not None:
            self.checksum = _checksum(self.checksum, buf, n)

    def fill_rect(self, x, y, w, h, color):
        self.fills += 1
        self.bytes_sent += 2 * w * h
        if self.checksum is not None:
            self.checksum = (self.checksum * 33 + color + w * h) & 0x3FFFFFFF

    def backlight(self, on):
        pass


class ScriptedPin:
    def __init__(self, board, name):
        self._board = board
        self._name = name

    def value(self):
        b = self._board
        if self._name != b.press_button or not b.press_every_ms:
            return 1
        return 0 if b.now % b.press_every_ms < b.press_ms else 1  # active low


class LightBoard:
    """See the module docstring. ``frame_ms``: virtual time per clock call (a 16 Hz subpage);
    ``replay``: the sensor's recording (see :class:`ReplayBus`; default Melexis' example frame)."""

    name = "cm4-light"

    def __init__(self, checksum=True, press_button="A", press_every_ms=0, press_ms=100, frame_ms=31, card=True,
                 replay=None):
        self.lcd = ChecksumDisplay(checksum=checksum)
        self.bus = ReplayBus(replay, None) if replay else ReplayBus()
        self.now = 0
        self.frame_ms = frame_ms
        self.press_button = press_button
        self.press_every_ms = press_every_ms
        self.press_ms = press_ms
        self._card = card

    def clock(self):
        self.now += self.frame_ms
        return self.now

    def sensor_bus(self):
        return self.bus

    def display(self):
        return self.lcd

    def buttons(self):
        names = ("A", "B", "C", "UP", "DOWN", "LEFT", "RIGHT", "PRESS")
        return {n: ScriptedPin(self, n) for n in names}

    def mount_storage(self):
        from heatface.storage import mount_sd

        if not self._card:
            return False, "no SD card"
        return mount_sd(_card_device, "/sd")


def _card_device():
    """The card's block device, FAT-formatted on first use (as a fresh card comes)."""
    import cm4board
    import vfs

    dev = cm4board.RAMDisk(1)
    sector = bytearray(512)
    dev.readblocks(0, sector)
    if sector[510] != 0x55 or sector[511] != 0xAA:  # no boot sector yet
        vfs.VfsFat.mkfs(dev)
    return dev
