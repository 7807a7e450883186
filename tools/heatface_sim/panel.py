"""Register-level model of the LCD controllers heatface's boards have (ILI9341, ST7789) and of
the glass each drives, fed through a simulated SPI bus and DC/CS/RESET pins.

A real driver (st7789py, or :mod:`heatface_sim.st7789_c`, the model of the st7789_mpy C module)
talks to :class:`SPIBus` and :class:`Pin` exactly as to ``machine.SPI`` and ``machine.Pin``; the
controller decodes the byte stream as the chip does (DC low = command byte, DC high = parameter or
pixel bytes, only while CS is low) and :meth:`PanelController.view` returns the picture a person
in front of the board sees, upright, as big-endian RGB565 rows.

Modelled (ILI9341 datasheet v1.11 / ST7789V datasheet v1.6 command descriptions):

- RESET pin low, SWRESET (0x01): registers to their reset values (sleep in, display off, MADCTL 0,
  18-bit COLMOD, inversion off, full address window). Frame memory is not cleared: it holds
  :data:`UNDEFINED` until written, so anything the app never drew shows up.
- SLPIN/SLPOUT (0x10/0x11), DISPOFF/DISPON (0x28/0x29), INVOFF/INVON (0x20/0x21).
- COLMOD (0x3A): 16 bit/pixel (low nibble 5: two bytes, RGB565) or 18 bit (6: three bytes).
- MADCTL (0x36): MV exchanges which address counter drives the physical columns (the page
  address) and rows (the column address); then MX mirrors the physical columns and MY the rows;
  BGR swaps the red and blue fields on the way to the glass. (This is the mapping st7789py's and
  st7789_mpy's 135x240 tables rely on: with MADCTL 0x60 their row offset 53 lands the 135 visible
  columns on physical 52..186, as 0x00 with column offset 52 does.)
- CASET/RASET (0x2A/0x2B): the address window; RAMWR (0x2C) puts the write pointer at its start;
  each pixel advances it along the column address, then to the next page, wrapping to the start.
  Pixels outside the frame memory's range are dropped; a window with start > end is an error here
  (undefined on the chip). Data after a command without parameters is ignored; pixel data keeps
  flowing into frame memory until the next command, across CS pulses.
- Any other command's parameter bytes are kept in ``registers`` (power, gamma, 0xF2, ...);
  a command the chip does not have is listed in ``unknown`` (the chip ignores it).

Shown colour: the stored RGB565 word, red and blue swapped when MADCTL.BGR differs from how the
glass is wired (``glass_bgr``), inverted when INVON differs from ``glass_inverted`` (IPS panels
need INVON), black while asleep or the display is off.
"""

import micropython

UNDEFINED = 0xA5A5  # what the frame memory holds before it is written (power-up garbage)

# The commands each chip implements (the subset of the datasheets' command lists drivers send).
_COMMON = (0x00, 0x01, 0x04, 0x09, 0x0A, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x26, 0x28, 0x29,
           0x2A, 0x2B, 0x2C, 0x2E, 0x30, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3C,
           0x3E, 0x44, 0x45, 0x51, 0x53, 0x55, 0x5E, 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6,
           0xB7, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xD0, 0xDA, 0xDB, 0xDC, 0xE0,
           0xE1, 0xE2, 0xE3, 0xE4, 0xE7, 0xE8, 0xE9, 0xEC)
CHIP_COMMANDS = {
    "ILI9341": frozenset(_COMMON + (0xCB, 0xCF, 0xEA, 0xED, 0xF2, 0xF6, 0xF7)),
    "ST7789": frozenset(_COMMON + (0xB8, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xC8, 0xCA, 0xCC, 0xD2,
                                   0xDF, 0xE5, 0xE6, 0xE8, 0xFA, 0xFC)),
}
_NO_PARAMS = (0x00, 0x01, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x28, 0x29, 0x38, 0x39)
_RAM_COLS = 240
_RAM_ROWS = 320


class Pin:
    """A GPIO output as machine.Pin has it (value/on/off/__call__); ``watch`` sees each change."""

    OUT = 1
    IN = 0

    def __init__(self, level=1, watch=None):
        self._level = level
        self._watch = watch

    def value(self, v=None):
        if v is None:
            return self._level
        v = 1 if v else 0
        if v != self._level:
            self._level = v
            if self._watch is not None:
                self._watch(v)
        return None

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class SPIBus:
    """The write side of machine.SPI, wired to a controller."""

    def __init__(self, controller):
        self._ctrl = controller
        self.bytes_sent = 0

    def write(self, buf):
        self.bytes_sent += len(buf)
        self._ctrl.receive(buf)


@micropython.native
def _store(ram, mv, pos, n, st, ctrl, wx0, wx1, wy1):
    """Write ``n`` pixels from ``mv[pos:]`` (2 bytes each, high first) at the write pointer."""
    x = ctrl.px
    y = ctrl.py
    madctl = ctrl.madctl
    exchange = madctl & 0x20
    mirror_c = madctl & 0x40
    mirror_r = madctl & 0x80
    wy0 = ctrl.wy0
    xmax = _RAM_ROWS if exchange else _RAM_COLS
    ymax = _RAM_COLS if exchange else _RAM_ROWS
    for _ in range(n):
        if x < xmax and y < ymax:
            a = y if exchange else x
            b = x if exchange else y
            c = _RAM_COLS - 1 - a if mirror_c else a
            r = _RAM_ROWS - 1 - b if mirror_r else b
            o = 2 * (r * _RAM_COLS + c)
            ram[o] = mv[pos]
            ram[o + 1] = mv[pos + 1]
        pos += st
        x += 1
        if x > wx1:
            x = wx0
            y += 1
            if y > wy1:
                y = wy0
    ctrl.px = x
    ctrl.py = y


class PanelController:
    """One LCD controller and its glass.

    ``chip``: "ILI9341" or "ST7789". ``glass``: (first column, first row, columns, rows) of the
    240x320 frame memory the glass shows. ``mount``: how the glass sits in the board, as
    (swap, flip_c, flip_r) taking an upright view pixel (x, y) to the glass: c = y if swap else x,
    r = x if swap else y, each then mirrored within the glass if its flag is set.
    ``record=False`` keeps no frame memory (decodes and checks only; for heap-bound tests).
    """

    def __init__(self, chip, glass, mount, glass_bgr, glass_inverted, record=True):
        if chip not in CHIP_COMMANDS:
            raise ValueError("unknown controller %r" % chip)
        self.chip = chip
        self.glass = glass
        self.mount = mount
        self.glass_bgr = glass_bgr
        self.glass_inverted = glass_inverted
        self.record = record
        self.ram = bytearray(2 * _RAM_COLS * _RAM_ROWS) if record else None
        if record:
            self.ram[0] = UNDEFINED >> 8
            self.ram[1] = UNDEFINED & 0xFF
            n = 2
            while n < len(self.ram):  # doubling copies: fast under MicroPython too
                k = min(n, len(self.ram) - n)
                self.ram[n:n + k] = self.ram[:k]
                n += k
        self.registers = {}
        self.unknown = []
        self.pixels_written = 0
        self.dc = Pin(1)
        self.cs = Pin(1)
        self.reset_pin = Pin(1, self._reset_pin_changed)
        self.spi = SPIBus(self)
        self._reset()

    def _reset_pin_changed(self, level):
        if level == 0:
            self._reset()

    def _reset(self):
        self.sleeping = True
        self.display_on = False
        self.inversion = False
        self.madctl = 0
        self.colmod = 0x66
        self.wx0, self.wx1, self.wy0, self.wy1 = 0, _RAM_COLS - 1, 0, _RAM_ROWS - 1
        self.px = 0
        self.py = 0
        self._cmd = None
        self._params = bytearray()
        self._partial = bytearray()

    # -- the serial interface -------------------------------------------------------------------
    def receive(self, buf):
        """Bytes clocked in by the SPI master, decoded with the current DC and CS levels."""
        if self.cs.value():
            return  # not selected: the chip ignores the bus
        mv = memoryview(buf)
        if not self.dc.value():
            for i in range(len(mv)):
                self._command(mv[i])
            return
        if self._cmd == 0x2C:
            self._pixels(mv)
        elif self._cmd is not None and self._cmd not in _NO_PARAMS:
            self._params.extend(mv)
            self._apply_params()

    def _command(self, cmd):
        self._cmd = cmd
        self._params = bytearray()
        self._partial = bytearray()
        if cmd not in CHIP_COMMANDS[self.chip]:
            self.unknown.append(cmd)
            self._cmd = None
        elif cmd == 0x01:
            self._reset()
        elif cmd == 0x10:
            self.sleeping = True
        elif cmd == 0x11:
            self.sleeping = False
        elif cmd == 0x20:
            self.inversion = False
        elif cmd == 0x21:
            self.inversion = True
        elif cmd == 0x28:
            self.display_on = False
        elif cmd == 0x29:
            self.display_on = True
        elif cmd == 0x2C:
            self.px = self.wx0
            self.py = self.wy0

    def _apply_params(self):
        cmd = self._cmd
        p = self._params
        if cmd == 0x36 and len(p) >= 1:
            self.madctl = p[0]
        elif cmd == 0x3A and len(p) >= 1:
            self.colmod = p[0]
        elif cmd in (0x2A, 0x2B) and len(p) >= 4:
            start = (p[0] << 8) | p[1]
            end = (p[2] << 8) | p[3]
            if start > end:
                raise ValueError("%s: window start %d > end %d (undefined on the chip)"
                                 % ("CASET" if cmd == 0x2A else "RASET", start, end))
            if cmd == 0x2A:
                self.wx0, self.wx1 = start, end
            else:
                self.wy0, self.wy1 = start, end
        self.registers[cmd] = bytes(p)

    def _pixels(self, mv):
        bpp = 2 if self.colmod & 0x07 == 5 else 3
        if self._partial:  # a pixel split across two writes
            need = bpp - len(self._partial)
            self._partial.extend(mv[:need])
            mv = mv[need:]
            if len(self._partial) == bpp:
                whole = self._pack(self._partial) if bpp == 3 else self._partial
                self._partial = bytearray()
                self._write_run(memoryview(whole), 1, 2)
        n = len(mv) // bpp
        if n:
            if bpp == 3:
                self._write_run(memoryview(self._pack(mv[:n * 3])), n, 2)
            else:
                self._write_run(mv, n, 2)
        rest = len(mv) - n * bpp
        if rest:
            self._partial.extend(mv[len(mv) - rest:])

    @staticmethod
    def _pack(rgb666):
        """18-bit pixels (R, G, B in each byte's top 6 bits) as RGB565 words."""
        out = bytearray(2 * (len(rgb666) // 3))
        for i in range(len(rgb666) // 3):
            r, g, b = rgb666[3 * i], rgb666[3 * i + 1], rgb666[3 * i + 2]
            w = ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3)
            out[2 * i] = w >> 8
            out[2 * i + 1] = w & 0xFF
        return out

    def _write_run(self, mv, n, stride):
        self.pixels_written += n
        if self.record:
            _store(self.ram, mv, 0, n, stride, self, self.wx0, self.wx1, self.wy1)
        else:
            self._advance(n)

    def _advance(self, n):
        w = self.wx1 - self.wx0 + 1
        h = self.wy1 - self.wy0 + 1
        k = (self.py - self.wy0) * w + (self.px - self.wx0) + n
        k %= w * h
        self.py = self.wy0 + k // w
        self.px = self.wx0 + k % w

    # -- what a person sees -------------------------------------------------------------------------
    def view_size(self):
        """(width, height) of the upright picture."""
        swap = self.mount[0]
        cols, rows = self.glass[2], self.glass[3]
        return (rows, cols) if swap else (cols, rows)

    def view_pixel(self, x, y):
        """The RGB565 colour a person sees at (x, y) of the upright picture."""
        if not self.record:
            raise ValueError("this panel keeps no frame memory (record=False)")
        if self.sleeping or not self.display_on:
            return 0
        swap, flip_c, flip_r = self.mount
        c0, r0, cols, rows = self.glass
        c = y if swap else x
        r = x if swap else y
        c = cols - 1 - c if flip_c else c
        r = rows - 1 - r if flip_r else r
        i = 2 * ((r0 + r) * _RAM_COLS + c0 + c)
        v = (self.ram[i] << 8) | self.ram[i + 1]
        if bool(self.madctl & 0x08) != bool(self.glass_bgr):
            v = (v & 0x07E0) | (v >> 11) | ((v & 0x1F) << 11)
        return v ^ 0xFFFF if self.inversion != self.glass_inverted else v

    def view(self):
        """The upright picture: width*height big-endian RGB565 words, row-major."""
        if not self.record:
            raise ValueError("this panel keeps no frame memory (record=False)")
        w, h = self.view_size()
        out = bytearray(2 * w * h)
        if self.sleeping or not self.display_on:
            return out
        swap_rb = bool(self.madctl & 0x08) != bool(self.glass_bgr)
        invert = self.inversion != self.glass_inverted
        _view(self.ram, out, w, h, self.glass, self.mount, swap_rb, invert)
        return out


@micropython.native
def _view(ram, out, w, h, glass, mount, swap_rb, invert):
    c0 = glass[0]
    r0 = glass[1]
    cols = glass[2]
    rows = glass[3]
    swap = mount[0]
    flip_c = mount[1]
    flip_r = mount[2]
    o = 0
    for y in range(h):
        for x in range(w):
            c = y if swap else x
            r = x if swap else y
            if flip_c:
                c = cols - 1 - c
            if flip_r:
                r = rows - 1 - r
            i = 2 * ((r0 + r) * _RAM_COLS + c0 + c)
            v = (ram[i] << 8) | ram[i + 1]
            if swap_rb:
                v = (v & 0x07E0) | (v >> 11) | ((v & 0x1F) << 11)
            if invert:
                v ^= 0xFFFF
            out[o] = v >> 8
            out[o + 1] = v & 0xFF
            o += 2


def wio_terminal_panel(record=True):
    """The Wio Terminal's LCD: ILI9341, all 240x320 of frame memory visible, glass wired BGR, not
    inverted (TN), mounted landscape so that MADCTL 0xE8 (MY|MX|MV|BGR) is upright with the buttons
    on top (see heatface.boards.wio_terminal for the evidence)."""
    return PanelController("ILI9341", (0, 0, 240, 320), (True, True, True), glass_bgr=True,
                           glass_inverted=False, record=record)


def feather_panel(record=True):
    """The ESP32-S3 Reverse TFT Feather's LCD: ST7789, 135x240 glass at columns 52..186 and rows
    40..279 of frame memory (the drivers' offsets), wired RGB, IPS (true colours with INVON),
    mounted so that the drivers' rotation 1 (MADCTL 0x60, offsets 40, 53) is upright."""
    return PanelController("ST7789", (52, 40, 135, 240), (True, True, False), glass_bgr=False,
                           glass_inverted=True, record=record)


PANELS = {"wio_terminal": wio_terminal_panel, "feather_esp32s3_reverse_tft": feather_panel}


class PanelScreen:
    """The simulated board's display: the display contract of ``display`` (the driver adapter)
    plus what tests read back from the glass: ``pixel(x, y)``, ``pixels`` (the whole upright
    picture, big-endian RGB565) and ``blits`` (calls made)."""

    def __init__(self, display, panel):
        self._display = display
        self.panel = panel
        self.width = display.width
        self.height = display.height
        self.blits = 0
        self._view = None
        self._seen = None

    def blit(self, buf, x, y, w, h):
        self.blits += 1
        self._display.blit(buf, x, y, w, h)

    def fill_rect(self, x, y, w, h, color):
        self._display.fill_rect(x, y, w, h, color)

    def backlight(self, on):
        self._display.backlight(on)

    def pixel(self, x, y):
        return self.panel.view_pixel(x, y)

    @property
    def pixels(self):
        p = self.panel
        state = (p.pixels_written, p.madctl, p.inversion, p.display_on, p.sleeping)
        if self._seen != state:  # recomputed only when what the glass shows may have changed
            self._view = p.view()
            self._seen = state
        return self._view
