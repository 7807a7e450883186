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

Three implementations produce identical bytes (tested): the native C kernels (heatface.native, on
firmware that loads them), the viper kernels (other MicroPython firmware) and plain Python (CPython,
and the reference). The native strip kernel walks each run of output columns that share source
columns (see :func:`column_runs`) adding a constant to the bilinear numerator per pixel. Viper ints are 32-bit on the boards: the largest intermediate is
below 2**31 (index pass: 511 * 2**21; upscale: 255 * D**2 for s <= 100).
"""

from array import array
import sys

import micropython

from heatface import palettes
from heatface.native import is_float32_array, pixels as _native

COLS = 32
ROWS = 24
PIXELS = 768
QMAX = 1 << 20  # saturation of the 1/256 degC fixed point: 4096 degC

IS_MICROPYTHON = sys.implementation.name == "micropython"

# --- temperatures -> indices ------------------------------------------------------------------


@micropython.viper
def _index_viper(src: ptr32, lohi: ptr32, out: ptr8, n: int):
    # decode lo, hi (float32 bits) to 1/256 degC, same rules as every pixel below
    ql = 0
    qh = 0
    k = 0
    while k < n + 2:
        if k < 2:
            b = lohi[k]
        else:
            b = src[k - 2]
        e = (b >> 23) & 0x1FF
        neg = e >> 8
        e = e & 0xFF
        if e < 119:
            q = 0
        elif e >= 139:
            q = 0x100000
            if e == 255 and (b & 0x7FFFFF) != 0:
                neg = 1  # NaN: coldest
        else:
            q = ((b & 0x7FFFFF) | 0x800000) >> (142 - e)
        if neg:
            q = 0 - q
        if k == 0:
            ql = q
        elif k == 1:
            qh = q
        else:
            span = qh - ql
            if q <= ql:
                out[k - 2] = 0
            elif q >= qh:
                out[k - 2] = 255
            else:
                out[k - 2] = ((q - ql) * 510 + span) // (span * 2)
        k += 1


def _q8(t):
    """trunc(t * 256) saturated to +-QMAX, NaN -> -QMAX (the plain twin of the viper decoder)."""
    if t != t:
        return -QMAX
    if t >= 4096.0:
        return QMAX
    if t <= -4096.0:
        return -QMAX
    return int(t * 256.0)


def _index_plain(src, lohi, out, n):
    ql = _q8(lohi[0])
    qh = _q8(lohi[1])
    span = qh - ql
    for i in range(n):
        q = _q8(src[i])
        if q <= ql:
            out[i] = 0
        elif q >= qh:
            out[i] = 255
        else:
            out[i] = ((q - ql) * 510 + span) // (span * 2)


@micropython.viper
def _minmax_viper(src: ptr32, n: int, res: ptr32):
    lo = 0x100000
    hi = 0 - 0x100000
    for k in range(n):
        b = src[k]
        e = (b >> 23) & 0x1FF
        neg = e >> 8
        e = e & 0xFF
        if e < 119:
            q = 0
        elif e >= 139:
            q = 0x100000
            if e == 255 and (b & 0x7FFFFF) != 0:
                neg = 1
        else:
            q = ((b & 0x7FFFFF) | 0x800000) >> (142 - e)
        if neg:
            q = 0 - q
        if q < lo:
            lo = q
        if q > hi:
            hi = q
    res[0] = lo
    res[1] = hi


def _minmax_plain(src, n, res):
    lo = QMAX
    hi = -QMAX
    for i in range(n):
        q = _q8(src[i])
        if q < lo:
            lo = q
        if q > hi:
            hi = q
    res[0] = lo
    res[1] = hi


# --- bilinear upscale + palette lookup of one strip ------------------------------------------
# tab: bytearray of per-column x0, x1, fx (w each) then per-row y0, y1, fy (h each).
# p (array 'i'): [w, h, d, d*d]


@micropython.viper
def _strip_viper(idx: ptr8, pal: ptr16, out: ptr16, tab: ptr8, rowbuf: ptr32, p: ptr32, y: int, rows: int):
    w = p[0]
    h = p[1]
    d = p[2]
    dd = p[3]
    half = dd >> 1
    ty = 3 * w
    o = 0
    yy = y
    while yy < y + rows:
        a = tab[ty + yy] * 32
        b = tab[ty + h + yy] * 32
        fy = tab[ty + 2 * h + yy]
        gy = d - fy
        c = 0
        while c < 32:
            rowbuf[c] = idx[a + c] * gy + idx[b + c] * fy
            c += 1
        x = 0
        while x < w:
            fx = tab[2 * w + x]
            v = (rowbuf[tab[x]] * (d - fx) + rowbuf[tab[w + x]] * fx + half) // dd
            out[o] = pal[v]
            o += 1
            x += 1
        yy += 1


def _strip_plain(idx, pal, out, tab, rowbuf, p, y, rows):
    w, h, d, dd = p[0], p[1], p[2], p[3]
    half = dd >> 1
    ty = 3 * w
    o = 0
    for yy in range(y, y + rows):
        a = tab[ty + yy] * 32
        b = tab[ty + h + yy] * 32
        fy = tab[ty + 2 * h + yy]
        gy = d - fy
        for c in range(32):
            rowbuf[c] = idx[a + c] * gy + idx[b + c] * fy
        for x in range(w):
            fx = tab[2 * w + x]
            v = (rowbuf[tab[x]] * (d - fx) + rowbuf[tab[w + x]] * fx + half) // dd
            out[o] = pal[2 * v]
            out[o + 1] = pal[2 * v + 1]
            o += 2


def sample_axis(n_out, s, n_src):
    """Per output pixel ``(i0, i1, f)`` along one axis: source cells and weight of i1 in 1/(2*s).

    Output pixel X samples source position (X + 0.5)/s - 0.5, clamped to 0..n_src-1.
    """
    d = 2 * s
    top = (n_src - 1) * d
    result = []
    for x in range(n_out):
        nx = 2 * x + 1 - s
        if nx < 0:
            nx = 0
        elif nx > top:
            nx = top
        i0 = nx // d
        f = nx - i0 * d
        i1 = i0 + 1 if i0 < n_src - 1 else i0
        result.append((i0, i1, f))
    return result


def column_runs(cols):
    """Group per-column samples ``(i0, i1, f)`` (from :func:`sample_axis`) into runs over which
    i0 and i1 stay and f steps evenly: ``array('h')`` of ``x0, x1, f0, fstep, count`` per run."""
    runs = []
    for i0, i1, f in cols:
        r = runs[-1] if runs else None
        if r is not None and r[0] == i0 and r[1] == i1 and (r[4] == 1 or f - r[5] == r[3]):
            r[3] = f - r[5]
            r[4] += 1
            r[5] = f
        else:
            runs.append([i0, i1, f, 0, 1, f])
    flat = array("h")
    for r in runs:
        for v in r[:5]:
            flat.append(v)
    return flat


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
        _minmax_viper(src, PIXELS, _res)
    else:
        _minmax_plain(src, PIXELS, _res)
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


class Renderer:
    """Draws frames and the overlay on ``display`` (the heatface.display contract).

    ``palette``: a name from :func:`heatface.palettes.names`. ``scale``: the integer upscale
    (default: the largest the layout allows, see :class:`heatface.overlay.Layout`).
    ``kernels``: ``"native"`` (C, :mod:`heatface.native`), ``"viper"`` or ``"plain"`` (Python);
    default: the first available in that order (viper on MicroPython only).
    ``strip_rows``: rows per blit (default: as many as fit the ~5 KB strip buffer).
    """

    def __init__(self, display, palette=palettes.DEFAULT, scale=None, kernels=None, strip_rows=None,
                 marker=True):
        from heatface.overlay import Layout, Overlay

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
        self._params = array("i", [w, h, d, d * d])
        tab = bytearray(3 * w + 3 * h)
        for i, (a, b, f) in enumerate(sample_axis(w, s, COLS)):
            tab[i], tab[w + i], tab[2 * w + i] = a, b, f
        for i, (a, b, f) in enumerate(sample_axis(h, s, ROWS)):
            tab[3 * w + i], tab[3 * w + h + i], tab[3 * w + 2 * h + i] = a, b, f
        self._tab = tab
        self._runs = column_runs(sample_axis(w, s, COLS)) if self.native else None
        self._lohi = array("f", [0.0, 1.0])
        self._source = _Source()
        self.marker = marker
        self._marker_color = 0xFFFF
        self.palette = None
        self._pal = None
        self.set_palette(palette)
        self.overlay = Overlay(display, lay, self)
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
                _index_viper(src, lohi, self.index, PIXELS)
            else:
                _index_viper(_u(src, "I"), self._lohi32, self.index, PIXELS)
        else:
            _index_plain(src, lohi, self.index, PIXELS)
        return self.index

    def render_rows(self, y, rows):
        """Steps 2-3 for image rows ``y .. y+rows-1`` into ``self.strip`` (from ``self.index``)."""
        if self.native:
            _native.render_strip(self.index, self._pal, self.strip, self._tab, self._runs, self._params, y, rows)
        elif self.viper:
            _strip_viper(self.index, self._pal16, self._strip16, self._tab, self._rowbuf, self._params, y, rows)
        else:
            _strip_plain(self.index, self._pal, self.strip, self._tab, self._rowbuf, self._params, y, rows)
        if self.marker:
            self._draw_marker(y, rows)

    def _draw_marker(self, y, rows):
        # a 9-pixel cross at the image centre, where the spot temperature is measured
        cx = self.width >> 1
        cy = self.height >> 1
        if y + rows <= cy - 4 or y > cy + 4:
            return
        buf = self.strip
        w = self.width
        hi = self._marker_color >> 8
        lo = self._marker_color & 0xFF
        for yy in range(max(y, cy - 4), min(y + rows, cy + 5)):
            o = 2 * ((yy - y) * w + cx)
            buf[o] = hi
            buf[o + 1] = lo
        if y <= cy < y + rows:
            o = 2 * ((cy - y) * w + cx - 4)
            for k in range(9):
                buf[o + 2 * k] = hi
                buf[o + 2 * k + 1] = lo

    def draw_frame(self, temps, lo, hi):
        """Draw one frame (768 temperatures, row-major 24x32) with the palette spanning lo..hi."""
        self.compute_indices(temps, lo, hi)
        display = self.display
        h = self.height
        n = self.strip_rows
        y = 0
        while y < h:
            rows = n if y + n <= h else h - y
            self.render_rows(y, rows)
            display.blit(self.strip, self.x, self.y + y, self.width, rows)
            y += rows

    def draw_overlay(self, info):
        """Draw legend, labels and text (see :meth:`heatface.overlay.Overlay.draw`)."""
        self.overlay.draw(info)

    def clear(self):
        """Blank the whole panel; the overlay is redrawn in full next time."""
        self.display.fill_rect(0, 0, self.display.width, self.display.height, 0)
        self.overlay.invalidate()
