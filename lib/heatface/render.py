"""False-colour rendering of a 32x24 thermal frame: range, fixed point, bilinear upscale, strips.

Pipeline of :meth:`Renderer.draw_frame` (one frame, no heap allocation once warm):

1. Temperatures -> 8-bit palette indices through the range ``lo..hi``, one pass over 768 values.
   Each float32 temperature T (and lo, hi) becomes ``q = trunc(T * 256)`` (1/256 degC, toward zero,
   saturated to +-2**20, i.e. +-4096 degC; NaN counts as -4096 degC). Then
   ``index = 0 if q <= q_lo, 255 if q >= q_hi, else floor((510*(q - q_lo) + span) / (2*span))``
   with ``span = q_hi - q_lo``: 255 * (q - q_lo) / span rounded half up. The viper kernel reads the
   float32 bits and decodes them with integer operations; the plain one uses ``int(T * 256.0)``,
   which is exact because multiplying by a power of two is exact. Inputs that are not an
   ``array('f')`` are first copied into one (so both paths see the same float32 values).
2. Bilinear upscale of the indices by an integer scale ``s`` (largest that fits the layout, 9 on a
   320x240 panel: 288x216). Output pixel X samples the source at ``x = (X + 0.5)/s - 0.5``, clamped
   to ``0..31`` (rows likewise, ``0..23``), i.e. pixel centres are spread evenly and the edge pixels
   repeat the border value. With ``D = 2*s`` the position is the integer ``nx = 2X + 1 - s`` in units
   of 1/D: ``x0 = nx // D``, ``fx = nx % D`` (``x1 = min(x0 + 1, 31)``), same for y. The output index
   is ``floor((sum of v_ij * wx_i * wy_j + D*D/2) / (D*D))`` with integer weights ``D - fx, fx`` and
   ``D - fy, fy``: the exact bilinear value rounded half up. For odd ``s`` the output pixel
   ``X = s*c + (s - 1)/2`` lies exactly on source column c and reproduces its index.
3. Palette lookup (512-byte big-endian RGB565 table) into one preallocated strip buffer, a few
   rows at a time, each strip sent with ``display.blit(buf, x, y, w, rows)``.

With ``update="changed"`` (the default) only what changed reaches the panel: the indices are
compared with the previous frame's, per source row the span of changed columns is found, and a
strip is drawn only over the output columns those source columns touch (skipped when none).
The panel ends up byte-identical to a full redraw; the LCD bytes per frame shrink with the
scene's stillness. A palette change or :meth:`Renderer.clear` draws everything again.

The kernels live in :mod:`heatface.render_kernels`: native C (heatface.native, on firmware that
loads it), viper (other MicroPython firmware) and plain Python (CPython, and the reference) give
identical bytes (tested).
"""

from array import array
import sys

import micropython

from heatface import palettes
from heatface.native import is_float32_array, pixels as _native
from heatface.render_kernels import (COLS, PIXELS, ROWS, column_runs, fill_tables, index_plain,
                                     index_viper, minmax_plain, minmax_viper, row_spans_plain,
                                     row_spans_viper, strip_plain, strip_viper)

IS_MICROPYTHON = sys.implementation.name == "micropython"


def _u(buf, code):
    """A view of ``buf`` indexed like viper's ptr16/ptr32 (CPython only; MicroPython gets buf)."""
    return memoryview(buf).cast("B").cast(code)


class _Source:
    """Turns whatever temperature sequence it is given into an array('f') of 768, copying only
    when it must; remembers the last two arrays it vetted (the app alternates two) so vetting
    costs nothing per frame."""

    def __init__(self):
        self.own = None  # allocated on the first frame that needs copying
        self.vetted = None
        self.vetted2 = None

    def get(self, temps):
        if temps is self.vetted or temps is self.vetted2:
            return temps
        if len(temps) != PIXELS:
            raise ValueError("a frame has %d temperatures, got %d" % (PIXELS, len(temps)))
        if is_float32_array(temps):
            self.vetted2 = self.vetted
            self.vetted = temps
            return temps
        own = self.own
        if own is None:
            own = self.own = array("f", bytes(4 * PIXELS))
        for i in range(PIXELS):
            own[i] = temps[i]
        return own


def frame_range(temps, _res=array("i", [0, 0])):
    """(min, max) of a frame in degC, each truncated toward zero to 1/256 degC (viper on MicroPython)."""
    src = _range_source.get(temps)
    if IS_MICROPYTHON:
        minmax_viper(src, PIXELS, _res)
    else:
        minmax_plain(src, PIXELS, _res)
    return _res[0] / 256.0, _res[1] / 256.0


_range_source = _Source()


def spot_temperature(temps):
    """The centre-spot temperature: mean of the 4 centre pixels (rows 11-12, columns 15-16)."""
    c = 11 * COLS + 15
    return (temps[c] + temps[c + 1] + temps[c + COLS] + temps[c + COLS + 1]) * 0.25


class RangeTracker:
    """The temperature range the palette spans: ``'fixed'`` (the seed's 25..40 degC by default) or
    ``'auto'`` (frame min/max, exponentially smoothed so it does not flicker, at least ``min_span``
    wide around its centre). Switch with :meth:`set_mode` at any time."""

    MODES = ("fixed", "auto")

    def __init__(self, mode="fixed", fixed=(25.0, 40.0), alpha=0.25, min_span=4.0):
        if not fixed[1] > fixed[0]:
            raise ValueError("fixed range needs hi > lo, got %r" % (fixed,))
        if not 0.0 < alpha <= 1.0:
            raise ValueError("alpha must be in (0, 1], got %r" % alpha)
        self.fixed = (float(fixed[0]), float(fixed[1]))
        self.alpha = alpha
        self.min_span = min_span
        self._lo = None
        self._hi = None
        self.lo, self.hi = self.fixed
        self.mode = "fixed"
        self.set_mode(mode)

    def set_mode(self, mode):
        """Select ``'fixed'`` or ``'auto'``; auto restarts its smoothing from the next frame."""
        if mode not in self.MODES:
            raise ValueError("range mode must be 'fixed' or 'auto', got %r" % (mode,))
        self.mode = mode
        self._lo = None

    def toggle(self):
        """Switch between fixed and auto; returns the new mode."""
        self.set_mode("auto" if self.mode == "fixed" else "fixed")
        return self.mode

    def update(self, temps):
        """Feed one frame; returns the (lo, hi) to draw it with."""
        if self.mode == "fixed":
            self.lo, self.hi = self.fixed
            return self.fixed
        tmin, tmax = frame_range(temps)
        if self._lo is None:
            self._lo, self._hi = tmin, tmax
        else:
            a = self.alpha
            self._lo += a * (tmin - self._lo)
            self._hi += a * (tmax - self._hi)
        lo, hi = self._lo, self._hi
        if hi - lo < self.min_span:
            mid = (lo + hi) * 0.5
            lo = mid - self.min_span * 0.5
            hi = mid + self.min_span * 0.5
        self.lo, self.hi = lo, hi
        return lo, hi


class _DamageTracking:
    """The display as everything but the renderer's own image strips draws on it: forwards each
    call and tells the renderer what was drawn over its image, to be repaired on the next frame
    (see ``update="changed"``). Anything else is the display's own attribute."""

    def __init__(self, display, renderer):
        self._display = display
        self._renderer = renderer
        self.width = display.width
        self.height = display.height

    def blit(self, buf, x, y, w, h):
        self._renderer.damage(x, y, w, h)
        self._display.blit(buf, x, y, w, h)

    def fill_rect(self, x, y, w, h, color):
        self._renderer.damage(x, y, w, h)
        self._display.fill_rect(x, y, w, h, color)

    def __getattr__(self, name):
        return getattr(self._display, name)


class Renderer:
    """Draws frames and the overlay on ``display`` (the heatface.display contract).

    ``palette``: a name from :func:`heatface.palettes.names`. ``scale``: the integer upscale
    (default: the largest the layout allows, see :class:`heatface.overlay.Layout`).
    ``kernels``: ``"native"`` (C, :mod:`heatface.native`), ``"viper"`` or ``"plain"`` (Python);
    default: the first available in that order (viper on MicroPython only).
    ``strip_rows``: rows per blit (default: as many as fit the ~5 KB strip buffer).
    ``update``: ``"changed"`` (draw only what changed since the last frame) or ``"full"``.
    ``display`` is then the panel as others (the overlay, heatface.camera) draw on it: what they
    draw over the image is redrawn from the frame on the next :meth:`draw_frame`.
    """

    def __init__(self, display, palette=palettes.DEFAULT, scale=None, kernels=None, strip_rows=None,
                 marker=True, update="changed"):
        from heatface.overlay import Layout, Overlay

        self.panel = display  # the image strips go straight to the panel
        self.display = display
        self.layout = Layout(display.width, display.height, scale)
        lay = self.layout
        self.scale = lay.scale
        self.x, self.y, self.width, self.height = lay.img_x, lay.img_y, lay.img_w, lay.img_h
        if kernels is None:
            kernels = "native" if _native is not None else ("viper" if IS_MICROPYTHON else "plain")
        if kernels not in ("native", "viper", "plain"):
            raise ValueError("kernels must be 'native', 'viper' or 'plain', got %r" % (kernels,))
        if kernels == "native" and _native is None:
            raise ValueError("kernels='native' needs the heatface_pixels native module for this firmware")
        if update not in ("changed", "full"):
            raise ValueError("update must be 'changed' or 'full', got %r" % (update,))
        self.update = update
        if update == "changed":
            self.display = _DamageTracking(display, self)
        self.kernels = kernels
        self.native = kernels == "native"
        self.viper = kernels != "plain"  # the overlay's own kernels: viper unless plain asked
        w, h, s = self.width, self.height, self.scale
        if strip_rows is None:
            strip_rows = max(1, min(h, lay.strip_bytes // (2 * w)))
        self.strip_rows = strip_rows
        self.strip = bytearray(max(2 * w * strip_rows, lay.strip_bytes))
        self.index = bytearray(PIXELS)
        self._rowbuf = array("i", bytes(4 * COLS))
        d = 2 * s
        self._params = array("i", [w, h, d, d * d, 0, w])
        tab = bytearray(3 * w + 3 * h)
        fill_tables(tab, w, h, s)
        self._tab = tab
        self._runs = column_runs(tab, w) if self.native else None
        # the output columns a changed source column c touches: x_first[c] .. x_last[c]
        self._x_first = array("H", bytes(2 * COLS))
        self._x_last = array("H", bytes(2 * COLS))
        first, last = 0, 0
        for c in range(COLS):
            while tab[w + first] < c:
                first += 1
            while last + 1 < w and tab[last + 1] <= c:
                last += 1
            self._x_first[c] = first
            self._x_last[c] = last
        self._prev = bytearray(PIXELS)
        self._spans = bytearray(2 * ROWS)
        self._damage = bytearray(b"\x20\x00" * ROWS)  # drawn over since the last frame (spans)
        self._drawn = False
        self._lohi = array("f", [0.0, 1.0])
        self._source = _Source()
        self.marker = marker
        self._marker_color = 0xFFFF
        self.palette = None
        self._pal = None
        self.set_palette(palette)
        self.overlay = Overlay(self.display, lay, self)
        if self.viper and not IS_MICROPYTHON:  # run the viper source as Python: give it typed views
            self._strip16 = _u(self.strip, "H")
            self._lohi32 = _u(self._lohi, "I")
        else:
            self._strip16 = self.strip
            self._lohi32 = self._lohi

    def set_palette(self, name):
        """Switch palette (the legend is redrawn on the next :meth:`draw_overlay`)."""
        pal = palettes.get(name)
        self.palette = name
        self._pal = pal
        self._pal16 = _u(pal, "H") if (self.viper and not IS_MICROPYTHON) else pal
        self._drawn = False  # every pixel changes colour
        overlay = getattr(self, "overlay", None)
        if overlay is not None:
            overlay.invalidate_legend()

    def compute_indices(self, temps, lo, hi):
        """Step 1 only: fill and return ``self.index`` (768 palette indices) for ``temps``."""
        if not hi > lo:
            raise ValueError("the range needs hi > lo, got %r..%r" % (lo, hi))
        src = self._source.get(temps)
        lohi = self._lohi
        lohi[0] = lo
        lohi[1] = hi
        if self.native:
            _native.render_index(src, lohi, self.index, PIXELS)
        elif self.viper:
            if IS_MICROPYTHON:
                index_viper(src, lohi, self.index, PIXELS)
            else:
                index_viper(_u(src, "I"), self._lohi32, self.index, PIXELS)
        else:
            index_plain(src, lohi, self.index, PIXELS)
        return self.index

    def render_rows(self, y, rows, x_from=0, x_to=None):
        """Steps 2-3 for image rows ``y .. y+rows-1`` and columns ``x_from .. x_to-1`` (default:
        all) into ``self.strip``, packed ``x_to - x_from`` pixels a row (from ``self.index``)."""
        p = self._params
        p[4] = x_from
        p[5] = self.width if x_to is None else x_to
        if self.native:
            _native.render_strip(self.index, self._pal, self.strip, self._tab, self._runs, p, y, rows)
        elif self.viper:
            strip_viper(self.index, self._pal16, self._strip16, self._tab, self._rowbuf, p, y, rows)
        else:
            strip_plain(self.index, self._pal, self.strip, self._tab, self._rowbuf, p, y, rows)
        if self.marker:
            self._draw_marker(y, rows, p[4], p[5])

    def _draw_marker(self, y, rows, x_from, x_to):
        # a 9-pixel cross at the image centre, where the spot temperature is measured
        cx = self.width >> 1
        cy = self.height >> 1
        if y + rows <= cy - 4 or y > cy + 4:
            return
        buf = self.strip
        w = x_to - x_from
        hi = self._marker_color >> 8
        lo = self._marker_color & 0xFF
        if x_from <= cx < x_to:
            for yy in range(max(y, cy - 4), min(y + rows, cy + 5)):
                o = 2 * ((yy - y) * w + cx - x_from)
                buf[o] = hi
                buf[o + 1] = lo
        if y <= cy < y + rows:
            for x in range(max(cx - 4, x_from), min(cx + 5, x_to)):
                o = 2 * ((cy - y) * w + x - x_from)
                buf[o] = hi
                buf[o + 1] = lo

    def draw_frame(self, temps, lo, hi):
        """Draw one frame (768 temperatures, row-major 24x32) with the palette spanning lo..hi
        (only what changed since the last frame when ``update`` is ``"changed"``)."""
        self.compute_indices(temps, lo, hi)
        h = self.height
        n = self.strip_rows
        w = self.width
        spans = self._spans
        changed = self.update == "changed" and self._drawn
        if changed:
            if self.viper and IS_MICROPYTHON:
                row_spans_viper(self.index, self._prev, spans)
            else:
                row_spans_plain(self.index, self._prev, spans)
            damage = self._damage
            for r in range(ROWS):
                d0 = damage[2 * r]
                if d0 < 32:  # drawn over since the last frame: repaint those columns too
                    if spans[2 * r] == 32:
                        spans[2 * r] = d0
                        spans[2 * r + 1] = damage[2 * r + 1]
                    else:
                        spans[2 * r] = min(spans[2 * r], d0)
                        spans[2 * r + 1] = max(spans[2 * r + 1], damage[2 * r + 1])
        elif self.update == "changed":
            self._prev[:] = self.index
            self._drawn = True
        self._clear_damage()
        tab = self._tab
        ty = 3 * w
        y = 0
        while y < h:
            rows = n if y + n <= h else h - y
            x_from, x_to = 0, w
            if changed:
                c0, c1 = 32, -1
                for r in range(tab[ty + y], tab[ty + h + y + rows - 1] + 1):
                    if spans[2 * r] < 32:
                        if spans[2 * r] < c0:
                            c0 = spans[2 * r]
                        if spans[2 * r + 1] > c1:
                            c1 = spans[2 * r + 1]
                if c1 < 0:  # nothing under this strip changed
                    y += rows
                    continue
                x_from = self._x_first[c0]
                x_to = self._x_last[c1] + 1
            self.render_rows(y, rows, x_from, x_to)
            self.panel.blit(self.strip, self.x + x_from, self.y + y, x_to - x_from, rows)
            y += rows

    def damage(self, x, y, w, h):
        """The panel rectangle ``x, y, w, h`` was drawn over: the image under it is redrawn on
        the next :meth:`draw_frame` (``update="changed"``; called by :attr:`display`)."""
        x0, y0 = max(x, self.x) - self.x, max(y, self.y) - self.y
        x1, y1 = min(x + w, self.x + self.width) - self.x, min(y + h, self.y + self.height) - self.y
        if x0 >= x1 or y0 >= y1:
            return
        tab, iw, ih = self._tab, self.width, self.height
        c0, c1 = tab[x0], tab[iw + x1 - 1]
        damage = self._damage
        for r in range(tab[3 * iw + y0], tab[3 * iw + ih + y1 - 1] + 1):
            if c0 < damage[2 * r]:
                damage[2 * r] = c0
            if c1 > damage[2 * r + 1]:
                damage[2 * r + 1] = c1

    def _clear_damage(self):
        damage = self._damage
        for r in range(ROWS):
            damage[2 * r] = 32
            damage[2 * r + 1] = 0

    def invalidate(self):
        """The next :meth:`draw_frame` draws the whole image (the panel was drawn over)."""
        self._drawn = False

    def draw_overlay(self, info):
        """Draw legend, labels and text (see :meth:`heatface.overlay.Overlay.draw`)."""
        self.overlay.draw(info)

    def clear(self):
        """Blank the whole panel; the image and the overlay are redrawn in full next time."""
        self.panel.fill_rect(0, 0, self.panel.width, self.panel.height, 0)
        self.overlay.invalidate()
        self._drawn = False


def renderer_for(display, config):
    """The app's :class:`Renderer` from its settings (heatface.config): ``palette``, ``scale``
    (0 or missing: the largest beside the legend) and ``lcd_update`` (``"changed"`` or ``"full"``).
    Settings this panel cannot use (a scale too large for it) are reported on the console and
    the defaults used instead."""
    try:
        return Renderer(display, palette=config.get("palette", palettes.DEFAULT),
                        scale=config.get("scale") or None, update=config.get("lcd_update", "changed"))
    except ValueError as exc:
        print("heatface: config: %s; using the default display settings" % exc)
        return Renderer(display)
