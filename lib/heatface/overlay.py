"""Screen layout and the overlay: colour legend with min/max, spot temperature, fps, mode, status.

Layout (:class:`Layout`), for a ``W x H`` panel:

- The image sits at the top-left, upscaled by the largest integer ``s`` with ``32*s <= W - 32``
  and ``24*s <= H - 10`` (room for a 32-pixel legend column and one text row):
  320x240 -> s=9 (288x216), 240x240 -> s=6 (192x144), 240x135 -> s=5 (160x120).
- Legend column right of the image (when at least 32 pixels wide): the hi label (top row), a
  vertical bar of the palette from hot (top) to cold (bottom), the lo label (bottom row).
- Text rows below the image, 10 pixels apart, ``W // 8`` characters each (framebuf's 8x8 font):
  with room for two rows, row 0 is "Spot 36.4C  12.3fps  auto" and row 1 the status line; with
  room for one, a compact "36.4C 12.3fps auto <status>" (cut at the panel edge).
- Smaller panels lose the legend (side column under 32 pixels or image under 40 rows), then the
  text rows; the image is always drawn, at the top-left.

Everything is drawn through ``display.blit`` from the renderer's strip buffer (no screen buffer):
text is drawn by framebuf into a one-row MONO_HLSB buffer and expanded to big-endian RGB565.
Static parts (background, legend bar) are drawn once and again only after a palette change or
:meth:`Overlay.invalidate`; a text field is redrawn only when its string changes.
"""

import sys

import micropython

import framebuf

IS_MICROPYTHON = sys.implementation.name == "micropython"

LEGEND_W = 32  # side column: 4 characters of the 8x8 font
ROW_H = 10  # one text row: 8 pixels of font + 2 of spacing
FG = 0xFFFF
BG = 0x0000


class Layout:
    """Where the image, the legend and the text rows go on a ``width x height`` panel."""

    def __init__(self, width, height, scale=None):
        self.width = width
        self.height = height
        fit = min((width - LEGEND_W) // 32, (height - ROW_H) // 24)
        largest = min(width // 32, height // 24)
        if largest < 1:
            raise ValueError("a %dx%d panel cannot show the 32x24 image" % (width, height))
        if scale is None:
            scale = fit if fit >= 1 else largest
        elif not 1 <= scale <= largest:
            raise ValueError("scale %r does not fit a %dx%d panel (1..%d)" % (scale, width, height, largest))
        self.scale = scale
        self.img_x = 0
        self.img_y = 0
        self.img_w = 32 * scale
        self.img_h = 24 * scale
        side_w = width - self.img_w
        self.has_legend = side_w >= LEGEND_W and self.img_h >= 40
        self.side = (self.img_w, 0, side_w, self.img_h)
        if self.has_legend:
            self.label_chars = min(side_w // 8, 6)
            lx = self.img_w + (side_w - 8 * self.label_chars) // 2
            self.hi_label = (lx, 0)
            self.lo_label = (lx, self.img_h - 8)
            bar_w = 16
            self.bar = (self.img_w + (side_w - bar_w) // 2, 10, bar_w, self.img_h - 20)
        else:
            self.label_chars = 0
            self.hi_label = self.lo_label = self.bar = None
        bottom_h = height - self.img_h
        self.bottom = (0, self.img_h, width, bottom_h)
        n_rows = min(bottom_h // ROW_H, 2)
        self.row_chars = width // 8
        self.rows = [(0, self.img_h + 2 + ROW_H * k) for k in range(n_rows)]
        # one strip buffer serves the image strips and a full-width text row
        self.strip_bytes = 16 * width


@micropython.viper
def _expand_viper(mono: ptr8, stride: int, out: ptr16, w: int, fg: int, bg: int):
    # 8 rows of MONO_HLSB (bit 7 = leftmost) -> RGB565; fg/bg are pre-swapped so that a native
    # little-endian 16-bit store lays the bytes down big-endian
    o = 0
    r = 0
    while r < 8:
        row = r * stride
        x = 0
        while x < w:
            if (mono[row + (x >> 3)] >> (7 - (x & 7))) & 1:
                out[o] = fg
            else:
                out[o] = bg
            o += 1
            x += 1
        r += 1


def _expand_plain(mono, stride, out, w, fg, bg):
    o = 0
    for r in range(8):
        row = r * stride
        for x in range(w):
            c = fg if (mono[row + (x >> 3)] >> (7 - (x & 7))) & 1 else bg
            out[o] = c >> 8
            out[o + 1] = c & 0xFF
            o += 2


def _swap16(c):
    return ((c & 0xFF) << 8) | (c >> 8)


def expand_text(mono, stride, out, w, fg, bg):
    """8 rows of ``w`` MONO_HLSB pixels (``stride`` bytes a row) -> big-endian RGB565 in ``out``."""
    if IS_MICROPYTHON:
        _expand_viper(mono, stride, out, w, _swap16(fg), _swap16(bg))
    else:
        _expand_plain(mono, stride, out, w, fg, bg)


def to_unit(t, unit):
    """degC -> the display unit, "C" or "F" (None stays None)."""
    if t is None or unit != "F":
        return t
    return t * 1.8 + 32.0


def format_temp(t, n):
    """``t`` in at most ``n`` characters: one decimal when it fits, else a whole number."""
    if t is None:
        return "--"
    s = "%.1f" % t
    if len(s) > n:
        s = "%d" % int(t + 0.5 if t >= 0 else t - 0.5)
    return s[:n]


class Overlay:
    """Draws the legend and text of a :class:`Layout` through ``display``, sharing the renderer's
    strip buffer and palette. Used by :meth:`heatface.render.Renderer.draw_overlay`."""

    def __init__(self, display, layout, renderer):
        self.display = display
        self.layout = layout
        self.renderer = renderer
        chars = max(layout.row_chars, layout.label_chars, 1)
        self._stride = chars
        self._mono = bytearray(chars * 8)
        self._fb = framebuf.FrameBuffer(self._mono, chars * 8, 8, framebuf.MONO_HLSB)
        self._last = [None, None, None, None]  # hi label, lo label, row 0, row 1
        self._static = False
        self._legend = False

    def invalidate(self):
        """Redraw everything (background, legend, text) on the next :meth:`draw`."""
        self._static = False
        self._legend = False

    def invalidate_legend(self):
        self._legend = False

    def draw(self, info):
        """Draw the overlay for ``info``, a dict with any of: ``lo``, ``hi`` (the palette range, degC),
        ``spot`` (degC), ``fps``, ``mode`` (str), ``status`` (str), ``unit`` ("C" default, or "F":
        temperatures are shown converted). Missing values show as ``--``."""
        lay = self.layout
        unit = info.get("unit") or "C"
        if not self._static:
            x, y, w, h = lay.side
            if w > 0 and h > 0:
                self.display.fill_rect(x, y, w, h, BG)
            x, y, w, h = lay.bottom
            if w > 0 and h > 0:
                self.display.fill_rect(x, y, w, h, BG)
            self._static = True
            self._legend = False
            for i in range(4):
                self._last[i] = None
        if lay.has_legend:
            if not self._legend:
                self._draw_bar()
                self._legend = True
            n = lay.label_chars
            self._text(0, format_temp(to_unit(info.get("hi"), unit), n), lay.hi_label[0], lay.hi_label[1], n)
            self._text(1, format_temp(to_unit(info.get("lo"), unit), n), lay.lo_label[0], lay.lo_label[1], n)
        rows = lay.rows
        if not rows:
            return
        fps = info.get("fps")
        spot = format_temp(to_unit(info.get("spot"), unit), 6)
        fps = "--" if fps is None else "%.1f" % fps
        mode = info.get("mode") or ""
        status = info.get("status") or ""
        if len(rows) > 1:
            line = "Spot %s%s  %sfps  %s" % (spot, unit, fps, mode)
        else:  # one row for everything: compact
            line = "%s%s %sfps %s %s" % (spot, unit, fps, mode, status)
        n = lay.row_chars
        self._text(2, line, rows[0][0], rows[0][1], n)
        if len(rows) > 1:
            self._text(3, status, rows[1][0], rows[1][1], n)

    def _text(self, slot, s, x, y, n):
        if self._last[slot] == s:
            return
        self._last[slot] = s
        self._draw_text(s, x, y, n)

    def _draw_text(self, s, x, y, n):
        """``s`` in a row of ``n`` characters at ``x, y`` (white on black)."""
        fb = self._fb
        fb.fill(0)
        fb.text(s, 0, 0, 1)
        r = self.renderer
        if r.viper:
            _expand_viper(self._mono, self._stride, r._strip16, 8 * n, _swap16(FG), _swap16(BG))
        else:
            _expand_plain(self._mono, self._stride, r.strip, 8 * n, FG, BG)
        self.display.blit(r.strip, x, y, 8 * n, 8)

    def _draw_bar(self):
        x, y, w, h = self.layout.bar
        pal = self.renderer._pal
        buf = self.renderer.strip
        chunk = len(buf) // (2 * w)
        top = h - 1 if h > 1 else 1
        r = 0
        while r < h:
            rows = min(chunk, h - r)
            o = 0
            for k in range(rows):
                i = (510 * (h - 1 - (r + k)) + top) // (2 * top)  # hot at the top, rounded half up
                c_hi = pal[2 * i]
                c_lo = pal[2 * i + 1]
                for _ in range(w):
                    buf[o] = c_hi
                    buf[o + 1] = c_lo
                    o += 2
            self.display.blit(buf, x, y + r, w, rows)
            r += rows
