"""CPython stand-in for MicroPython's ``framebuf`` (host only, never deployed).

Implements the subset heatface uses, with MicroPython's semantics: ``FrameBuffer(buf, w, h, fmt,
stride=w)`` over a caller's buffer in MONO_VLSB, MONO_HLSB, MONO_HMSB, RGB565 (little-endian, as
MicroPython stores it) or GS8; ``fill``, ``pixel``, ``hline``, ``vline``, ``fill_rect``, ``rect`` and
``text`` with MicroPython's own 8x8 font. The font is ``framebuf_font.bin``, generated from the real
framebuf by ``gen_framebuf_font.py`` and checked against it by a test under MicroPython.
"""

import os

MONO_VLSB = 0
MVLSB = MONO_VLSB
RGB565 = 1
GS4_HMSB = 2
MONO_HLSB = 3
MONO_HMSB = 4
GS2_HMSB = 5
GS8 = 6

_FONT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "framebuf_font.bin")
_font = None


def _font_table():
    global _font
    if _font is None:
        with open(_FONT_PATH, "rb") as f:
            _font = f.read()
        if len(_font) != 96 * 8:
            raise RuntimeError("%s is damaged: regenerate it with gen_framebuf_font.py" % _FONT_PATH)
    return _font


class FrameBuffer:
    """A drawing surface over ``buf`` (not copied); only the formats listed above."""

    def __init__(self, buf, width, height, fmt, stride=None):
        if fmt not in (MONO_VLSB, MONO_HLSB, MONO_HMSB, RGB565, GS8):
            raise ValueError("framebuf stand-in: format %d not implemented" % fmt)
        self.buf = memoryview(buf).cast("B") if not isinstance(buf, bytearray) else buf
        self.width = width
        self.height = height
        self.format = fmt
        self.stride = width if stride is None else stride
        if fmt == MONO_VLSB:
            need = ((height + 7) // 8) * self.stride
        elif fmt in (MONO_HLSB, MONO_HMSB):
            need = ((self.stride + 7) // 8) * height
        elif fmt == RGB565:
            need = 2 * self.stride * height
        else:
            need = self.stride * height
        if len(self.buf) < need:
            raise ValueError("buffer too small")

    def _set(self, x, y, c):
        buf, fmt = self.buf, self.format
        if fmt == MONO_HLSB or fmt == MONO_HMSB:
            i = (y * ((self.stride + 7) // 8)) + (x >> 3)
            bit = (0x80 >> (x & 7)) if fmt == MONO_HLSB else (1 << (x & 7))
            buf[i] = (buf[i] | bit) if c & 1 else (buf[i] & ~bit & 0xFF)
        elif fmt == MONO_VLSB:
            i = (y >> 3) * self.stride + x
            bit = 1 << (y & 7)
            buf[i] = (buf[i] | bit) if c & 1 else (buf[i] & ~bit & 0xFF)
        elif fmt == RGB565:
            i = 2 * (y * self.stride + x)
            buf[i] = c & 0xFF
            buf[i + 1] = (c >> 8) & 0xFF
        else:
            buf[y * self.stride + x] = c & 0xFF

    def _get(self, x, y):
        buf, fmt = self.buf, self.format
        if fmt == MONO_HLSB or fmt == MONO_HMSB:
            b = buf[(y * ((self.stride + 7) // 8)) + (x >> 3)]
            return (b >> (7 - (x & 7))) & 1 if fmt == MONO_HLSB else (b >> (x & 7)) & 1
        if fmt == MONO_VLSB:
            return (buf[(y >> 3) * self.stride + x] >> (y & 7)) & 1
        if fmt == RGB565:
            i = 2 * (y * self.stride + x)
            return buf[i] | (buf[i + 1] << 8)
        return buf[y * self.stride + x]

    def pixel(self, x, y, c=None):
        """Get (c is None) or set one pixel; out-of-range coordinates are ignored."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        if c is None:
            return self._get(x, y)
        self._set(x, y, c)
        return None

    def fill_rect(self, x, y, w, h, c):
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        for yy in range(y0, y1):
            for xx in range(x0, x1):
                self._set(xx, yy, c)

    def fill(self, c):
        self.fill_rect(0, 0, self.width, self.height, c)

    def hline(self, x, y, w, c):
        self.fill_rect(x, y, w, 1, c)

    def vline(self, x, y, h, c):
        self.fill_rect(x, y, 1, h, c)

    def rect(self, x, y, w, h, c, f=False):
        if f:
            self.fill_rect(x, y, w, h, c)
            return
        self.fill_rect(x, y, w, 1, c)
        self.fill_rect(x, y + h - 1, w, 1, c)
        self.fill_rect(x, y, 1, h, c)
        self.fill_rect(x + w - 1, y, 1, h, c)

    def text(self, s, x, y, c=1):
        """Draw ``s`` with the 8x8 font, set pixels only; bytes outside 32..127 draw glyph 127."""
        font = _font_table()
        data = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        for code in data:
            if code < 32 or code > 127:
                code = 127
            glyph = font[(code - 32) * 8:(code - 31) * 8]
            for row in range(8):
                bits = glyph[row]
                if not bits:
                    continue
                py = y + row
                if not 0 <= py < self.height:
                    continue
                for col in range(8):
                    if bits & (0x80 >> col):
                        px = x + col
                        if 0 <= px < self.width:
                            self._set(px, py, c)
            x += 8
