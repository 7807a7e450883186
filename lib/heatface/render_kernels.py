"""The renderer's per-pixel kernels (see :mod:`heatface.render` for the maths they implement).

Each comes as a viper kernel and its plain-Python twin, which give identical results (tested);
the native C twins are in firmware/natmod/pixels (heatface.native). Viper ints are 32-bit on the
boards: the largest intermediate is below 2**31 (index pass: 511 * 2**21; upscale: 255 * D**2 for
s <= 100).

Why the loops repeat themselves: each viper kernel is one flat loop on purpose. A call from viper
code to another function, even a viper one, goes through MicroPython's generic call (arguments
boxed, a frame per call): the float32 -> 1/256 degC decode of ``index_viper`` called per pixel as
a function costs 447k instructions a frame against 69k inline (measured on the emulated Cortex-M4F),
so the decode is written out in ``index_viper`` and ``minmax_viper`` (test_render checks they
agree with the plain twins). The plain twins are not copies of the viper source to be factored
away: viper's typed pointers (ptr16 stores of a palette entry, ptr32 reads of float bits) have no
plain-Python spelling on MicroPython, and a firmware without the native emitter runs only them.
"""

from array import array

import micropython

COLS = 32
ROWS = 24
PIXELS = 768
QMAX = 1 << 20  # saturation of the 1/256 degC fixed point: 4096 degC


# --- temperatures -> indices ------------------------------------------------------------------


@micropython.viper
def index_viper(src: ptr32, lohi: ptr32, out: ptr8, n: int):
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


def index_plain(src, lohi, out, n):
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
def minmax_viper(src: ptr32, n: int, res: ptr32):
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


def minmax_plain(src, n, res):
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
# p (array 'i'): [w, h, d, d*d, x_from, x_to]: output columns x_from..x_to-1 are drawn, packed.


@micropython.viper
def strip_viper(idx: ptr8, pal: ptr16, out: ptr16, tab: ptr8, rowbuf: ptr32, p: ptr32, y: int, rows: int):
    w = p[0]
    h = p[1]
    d = p[2]
    dd = p[3]
    x_from = p[4]
    x_to = p[5]
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
        x = x_from
        while x < x_to:
            fx = tab[2 * w + x]
            v = (rowbuf[tab[x]] * (d - fx) + rowbuf[tab[w + x]] * fx + half) // dd
            out[o] = pal[v]
            o += 1
            x += 1
        yy += 1


def strip_plain(idx, pal, out, tab, rowbuf, p, y, rows):
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
        for x in range(p[4], p[5]):
            fx = tab[2 * w + x]
            v = (rowbuf[tab[x]] * (d - fx) + rowbuf[tab[w + x]] * fx + half) // dd
            out[o] = pal[2 * v]
            out[o + 1] = pal[2 * v + 1]
            o += 2


# --- what changed since the previous frame ---------------------------------------------------
# spans: bytearray(2 * ROWS), per source row the first and last column whose index differs from
# prev (first = 32: the row is unchanged); prev is updated to idx on the way.


@micropython.viper
def row_spans_viper(idx: ptr8, prev: ptr8, spans: ptr8):
    r = 0
    while r < 24:
        c0 = 32
        c1 = 0
        i = r * 32
        c = 0
        while c < 32:
            v = idx[i]
            if v != prev[i]:
                if c0 == 32:
                    c0 = c
                c1 = c
                prev[i] = v
            i += 1
            c += 1
        spans[2 * r] = c0
        spans[2 * r + 1] = c1
        r += 1


def row_spans_plain(idx, prev, spans):
    for r in range(ROWS):
        c0, c1 = 32, 0
        for c in range(COLS):
            i = r * COLS + c
            if idx[i] != prev[i]:
                if c0 == 32:
                    c0 = c
                c1 = c
                prev[i] = idx[i]
        spans[2 * r] = c0
        spans[2 * r + 1] = c1


def axis_sample(x, s, n_src):
    """``(i0, i1, f)`` of output pixel ``x`` along an axis upscaled ``s`` times from ``n_src``
    cells: the source cells it blends and the weight of i1 in units of 1/(2*s). Output pixel X
    samples source position (X + 0.5)/s - 0.5, clamped to 0..n_src-1."""
    d = 2 * s
    nx = 2 * x + 1 - s
    if nx < 0:
        nx = 0
    elif nx > (n_src - 1) * d:
        nx = (n_src - 1) * d
    i0 = nx // d
    i1 = i0 + 1 if i0 < n_src - 1 else i0
    return i0, i1, nx - i0 * d


def sample_axis(n_out, s, n_src):
    """:func:`axis_sample` of every output pixel along one axis, as a list."""
    return [axis_sample(x, s, n_src) for x in range(n_out)]


def fill_tables(tab, w, h, s):
    """The renderer's bytearray: per column x0, x1, fx (w each), then per row y0, y1, fy."""
    for n, at, n_src in ((w, 0, COLS), (h, 3 * w, ROWS)):
        for i in range(n):
            a, b, f = axis_sample(i, s, n_src)
            tab[at + i] = a
            tab[at + n + i] = b
            tab[at + 2 * n + i] = f


def column_runs(tab, w):
    """Group the output columns of ``tab`` (see :func:`fill_tables`) into runs over which x0 and
    x1 stay and fx steps evenly: ``array('h')`` of ``x0, x1, f0, fstep, count`` per run."""
    flat = array("h")
    x = 0
    while x < w:
        i0, i1, f0 = tab[x], tab[w + x], tab[2 * w + x]
        step = tab[2 * w + x + 1] - f0 if x + 1 < w else 0
        n = 1
        while (x + n < w and tab[x + n] == i0 and tab[w + x + n] == i1
               and tab[2 * w + x + n] - tab[2 * w + x + n - 1] == step):
            n += 1
        for v in (i0, i1, f0, step, n):
            flat.append(v)
        x += n
    return flat
