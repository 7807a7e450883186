"""A simulated LCD: implements heatface's display contract and records the pixels it is given.

It is the simulator's picture of what heatface meant to draw; the simulated board's own LCD is
:mod:`heatface_sim.panel` behind the real driver, and tests compare the two.

Frames can be appended to a file (``write_frame``) in a tiny raw format that
``tools/lcd_frames.py`` turns into PNG files and an animated GIF on the host:
each frame is ``b"HF" + width (u16 LE) + height (u16 LE) + 2 reserved bytes`` followed by
width*height big-endian RGB565 pixels, row-major.
"""

import struct


class SimulatedLCD:
    """An in-memory panel of ``width`` x ``height`` big-endian RGB565 pixels.

    With ``record=False`` nothing is stored (a full 320x240 screen is 150 KB, as much as a
    SAMD51's heap): blits are checked and counted only, for memory tests of the app.
    """

    def __init__(self, width=320, height=240, record=True):
        self.width = width
        self.height = height
        self.record = record
        self.pixels = bytearray(width * height * 2) if record else None
        self._view = memoryview(self.pixels) if record else None
        self.backlight_on = False
        self.blits = 0

    def _check(self, x, y, w, h):
        if x < 0 or y < 0 or w < 0 or h < 0 or x + w > self.width or y + h > self.height:
            raise ValueError("rectangle %d,%d %dx%d outside the %dx%d panel"
                             % (x, y, w, h, self.width, self.height))

    def blit(self, buf, x, y, w, h):
        self._check(x, y, w, h)
        if len(buf) < 2 * w * h:
            raise ValueError("blit of %dx%d needs %d bytes, got %d" % (w, h, 2 * w * h, len(buf)))
        self.blits += 1
        if not self.record:
            return
        src = memoryview(buf)
        row = 2 * w
        stride = 2 * self.width
        dst = 2 * (y * self.width + x)
        for r in range(h):
            self._view[dst:dst + row] = src[r * row:(r + 1) * row]
            dst += stride

    def fill_rect(self, x, y, w, h, color):
        self._check(x, y, w, h)
        if not self.record:
            return
        hi = (color >> 8) & 0xFF
        lo = color & 0xFF
        pix = self.pixels
        for r in range(y, y + h):
            o = 2 * (r * self.width + x)
            for _ in range(w):
                pix[o] = hi
                pix[o + 1] = lo
                o += 2

    def backlight(self, on):
        self.backlight_on = bool(on)

    def pixel(self, x, y):
        """The RGB565 value at x, y."""
        o = 2 * (y * self.width + x)
        return (self.pixels[o] << 8) | self.pixels[o + 1]

    def save_frame(self, f):
        """Append the current screen to the open binary file ``f``."""
        write_frame(f, self.width, self.height, self.pixels)


def write_frame(f, width, height, pixels):
    """Append one frame (``width*height`` big-endian RGB565 words) to the open binary file ``f``."""
    f.write(struct.pack("<2sHHH", b"HF", width, height, 0))
    f.write(pixels)


def read_frames(f):
    """Yield (width, height, pixels) for each frame written by :meth:`SimulatedLCD.save_frame`."""
    while True:
        head = f.read(8)
        if len(head) < 8:
            return
        magic, w, h, _ = struct.unpack("<2sHHH", head)
        if magic != b"HF":
            raise ValueError("not a heatface LCD frame file")
        yield w, h, f.read(2 * w * h)
