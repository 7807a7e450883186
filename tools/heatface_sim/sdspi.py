"""An SD card in SPI mode, as far as micropython-lib's ``sdcard`` driver initialises it, on a
simulated ``machine.SPI`` that records every ``init()`` (the bus rates the driver sets).

The card answers CMD0 (idle), CMD8 (v2, echo 0x1AA), CMD58 (OCR, SDHC), CMD55/ACMD41 (ready on the
first try), CMD9 (a version-2 CSD of ``sectors`` sectors) and CMD16 (512-byte blocks). SPI is full
duplex: every byte clocked out by ``write``/``readinto``/``write_readinto`` shifts one response byte
in (0xFF when the card has nothing to say).
"""


class SDCardSPI:
    """machine.SPI's methods over one SD card. ``inits`` lists the baudrate of each init()."""

    def __init__(self, sectors=32768, present=True):
        self.present = present
        self.sectors = sectors
        self.inits = []
        self._out = bytearray()
        self._idle = True

    def init(self, baudrate=None, **kwargs):
        self.inits.append(baudrate)

    def _shift(self, n):
        got = self._out[:n]
        self._out = self._out[n:]
        return bytes(got) + b"\xff" * (n - len(got))

    def write(self, buf):
        buf = bytes(buf)
        if len(buf) == 6 and buf[0] & 0xC0 == 0x40 and not self._out:
            self._command(buf[0] & 0x3F, int.from_bytes(buf[1:5], "big"))
        else:
            self._shift(len(buf))

    def readinto(self, buf, write=0xFF):
        buf[:] = self._shift(len(buf))

    def write_readinto(self, out, buf):
        buf[:] = self._shift(len(buf))

    def read(self, n, write=0xFF):
        return self._shift(n)

    def _command(self, cmd, arg):
        if not self.present:
            return
        r1 = 0x01 if self._idle else 0x00
        reply = b""
        if cmd == 0:
            self._idle = True
            reply = b"\x01"
        elif cmd == 8:
            reply = bytes([r1]) + (arg & 0xFFF).to_bytes(4, "big")
        elif cmd == 58:
            reply = bytes([r1]) + b"\xc0\xff\x80\x00"
        elif cmd == 55:
            reply = bytes([r1])
        elif cmd == 41:
            self._idle = False
            reply = b"\x00"
        elif cmd == 9:
            c_size = self.sectors // 1024 - 1
            csd = bytearray(16)
            csd[0] = 0x40
            csd[7], csd[8], csd[9] = (c_size >> 16) & 0x3F, (c_size >> 8) & 0xFF, c_size & 0xFF
            reply = b"\x00\xfe" + bytes(csd) + b"\xff\xff"
        elif cmd == 16:
            reply = b"\x00"
        else:
            reply = b"\x04"  # illegal command
        self._out = bytearray(b"\xff" + reply)  # one byte of command response time (NCR)
