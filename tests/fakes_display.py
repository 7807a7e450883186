"""Test displays implementing the heatface.display contract (both runtimes).

``RecordingDisplay`` keeps the pixels of a window of the panel (the whole panel by default; under
MicroPython's 160 KB heap record a band at a time) as big-endian RGB565 bytes. ``NullDisplay``
only counts calls (for allocation tests and benchmarks).
"""


class NullDisplay:
    def __init__(self, width=320, height=240):
        self.width = width
        self.height = height
        self.blits = 0
        self.fills = 0

    def blit(self, buf, x, y, w, h):
        self.blits += 1

    def fill_rect(self, x, y, w, h, color):
        self.fills += 1

    def backlight(self, on):
        pass


class RecordingDisplay:
    def __init__(self, width=320, height=240, window=None, background=0x0000):
        self.width = width
        self.height = height
        self.window = window or (0, 0, width, height)
        wx, wy, ww, wh = self.window
        self.buf = bytearray(2 * ww * wh)
        self.fill_rect(wx, wy, ww, wh, background)
        self.blits = 0

    def _check(self, x, y, w, h):
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > self.width or y + h > self.height:
            raise AssertionError("drawing outside the %dx%d panel: %r" % (self.width, self.height, (x, y, w, h)))

    def blit(self, buf, x, y, w, h):
        self._check(x, y, w, h)
        if len(buf) < 2 * w * h:
            raise AssertionError("blit buffer of %d bytes for %dx%d" % (len(buf), w, h))
        self.blits += 1
        wx, wy, ww, wh = self.window
        x0, x1 = max(x, wx), min(x + w, wx + ww)
        if x0 >= x1:
            return
        src = memoryview(buf)
        for r in range(max(y, wy), min(y + h, wy + wh)):
            s = 2 * ((r - y) * w + (x0 - x))
            d = 2 * ((r - wy) * ww + (x0 - wx))
            self.buf[d:d + 2 * (x1 - x0)] = src[s:s + 2 * (x1 - x0)]

    def fill_rect(self, x, y, w, h, color):
        self._check(x, y, w, h)
        wx, wy, ww, wh = self.window
        x0, x1 = max(x, wx), min(x + w, wx + ww)
        if x0 >= x1:
            return
        row = bytes([color >> 8, color & 0xFF]) * (x1 - x0)
        for r in range(max(y, wy), min(y + h, wy + wh)):
            d = 2 * ((r - wy) * ww + (x0 - wx))
            self.buf[d:d + len(row)] = row

    def backlight(self, on):
        pass

    def pixel(self, x, y):
        """The RGB565 int at panel coordinates (x, y) (inside the window)."""
        wx, wy, ww, wh = self.window
        if not (wx <= x < wx + ww and wy <= y < wy + wh):
            raise AssertionError("(%d, %d) is outside the recorded window" % (x, y))
        i = 2 * ((y - wy) * ww + (x - wx))
        return (self.buf[i] << 8) | self.buf[i + 1]


class Tee:
    """Sends every drawing call to two displays (the intended picture and the real path)."""

    def __init__(self, intended, real):
        self.intended = intended
        self.real = real
        self.width = real.width
        self.height = real.height

    def blit(self, buf, x, y, w, h):
        self.intended.blit(buf, x, y, w, h)
        self.real.blit(buf, x, y, w, h)

    def fill_rect(self, x, y, w, h, color):
        self.intended.fill_rect(x, y, w, h, color)
        self.real.fill_rect(x, y, w, h, color)

    def backlight(self, on):
        pass
