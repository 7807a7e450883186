"""The renderer against an independent numpy reference (CPython only).

The reference implements the documented definitions directly on whole arrays: float32 temperatures,
q = trunc(T * 256) saturated, index = round-half-up of 255 (q - q_lo) / (q_hi - q_lo), bilinear
sample points (X + 0.5)/s - 0.5 clamped to the grid, exact rational weights with denominator
(2s)^2 rounded half up, palette lookup. Equality is exact. A second check compares with a
float64 bilinear interpolation (no fixed point at all): within half an index everywhere.
Set HEATFACE_RENDER_PNG=<dir> to also write the golden screens as PNG files for review.
"""

import os
import sys

import numpy as np
import pytest

from fakes_display import NullDisplay, RecordingDisplay
from heatface import palettes
from heatface.render import Renderer

QMAX = 1 << 20


def ref_indices(temps, lo, hi):
    t = np.asarray(temps, dtype=np.float32).astype(np.float64)
    lohi = np.array([lo, hi], dtype=np.float32).astype(np.float64)

    def q8(v):
        q = np.trunc(np.clip(np.nan_to_num(v, nan=-1e9), -4096.0, 4096.0) * 256.0)
        return q.astype(np.int64)

    q = q8(t)
    ql, qh = q8(lohi)
    span = qh - ql
    idx = ((q - ql) * 510 + span) // (2 * span)
    idx = np.where(q <= ql, 0, np.where(q >= qh, 255, idx))
    return idx.reshape(24, 32)


def ref_upscale(idx, s):
    """Exact integer bilinear of a 24x32 index image, sample point (X+0.5)/s-0.5, clamped."""
    d = 2 * s

    def axis(n_out, n_src):
        pos = np.clip(2 * np.arange(n_out) + 1 - s, 0, (n_src - 1) * d)  # position in 1/d units
        i0 = pos // d
        f = pos - i0 * d
        i1 = np.minimum(i0 + 1, n_src - 1)
        return i0, i1, f

    x0, x1, fx = axis(32 * s, 32)
    y0, y1, fy = axis(24 * s, 24)
    v = idx.astype(np.int64)
    num = (v[y0][:, x0] * ((d - fy)[:, None] * (d - fx)[None, :])
           + v[y0][:, x1] * ((d - fy)[:, None] * fx[None, :])
           + v[y1][:, x0] * (fy[:, None] * (d - fx)[None, :])
           + v[y1][:, x1] * (fy[:, None] * fx[None, :]))
    return (2 * num + d * d) // (2 * d * d)


def float_bilinear(idx, s):
    h, w = 24 * s, 32 * s
    xs = np.clip((np.arange(w) + 0.5) / s - 0.5, 0, 31)
    ys = np.clip((np.arange(h) + 0.5) / s - 0.5, 0, 23)
    x0 = np.minimum(np.floor(xs).astype(int), 30)
    y0 = np.minimum(np.floor(ys).astype(int), 22)
    ax = xs - x0
    ay = ys - y0
    v = idx.astype(np.float64)
    top = v[y0][:, x0] * (1 - ax) + v[y0][:, x0 + 1] * ax
    bot = v[y0 + 1][:, x0] * (1 - ax) + v[y0 + 1][:, x0 + 1] * ax
    return top * (1 - ay)[:, None] + bot * ay[:, None]


def frames():
    rng = np.random.default_rng(7)
    yield (20 + 18 * rng.random(768)).astype(np.float32), 25.0, 40.0
    yy, xx = np.mgrid[0:24, 0:32]
    blob = 23 + 14 * np.exp(-((xx - 16) ** 2 / 30 + (yy - 11) ** 2 / 50)) + 0.05 * rng.standard_normal((24, 32))
    yield blob.astype(np.float32).ravel(), 23.7, 37.1
    wild = (rng.random(768) * 400 - 60).astype(np.float32)
    wild[:4] = [np.nan, np.inf, -np.inf, 5000.0]
    yield wild, -40.0, 300.0


def rendered_image(r):
    """The full image as (h, w) RGB565 ints, by rendering all rows through the strip buffer."""
    rows = []
    for y in range(r.height):
        r.render_rows(y, 1)
        rows.append(np.frombuffer(bytes(r.strip[:2 * r.width]), dtype=">u2"))
    return np.array(rows)


@pytest.mark.parametrize("size", [(320, 240), (240, 135), (64, 48)])
@pytest.mark.parametrize("kernels", ["plain", "viper"])
def test_matches_numpy_reference_exactly(size, kernels):
    from array import array

    r = Renderer(NullDisplay(*size), palette="ironbow", kernels=kernels, marker=False)
    pal = np.frombuffer(palettes.get("ironbow"), dtype=">u2")
    for temps, lo, hi in frames():
        idx = np.frombuffer(bytes(r.compute_indices(array("f", temps.tobytes()), lo, hi)), np.uint8)
        want_idx = ref_indices(temps, lo, hi)
        assert np.array_equal(idx.reshape(24, 32), want_idx)
        up = ref_upscale(want_idx, r.scale)
        assert np.array_equal(rendered_image(r), pal[up])
        # independent of the fixed point: float bilinear within half an index (+ float noise)
        assert np.max(np.abs(up - float_bilinear(want_idx, r.scale))) <= 0.5 + 1e-9


def test_even_scales_and_identity():
    from array import array

    temps, lo, hi = next(frames())
    want_idx = ref_indices(temps, lo, hi)
    gray = np.frombuffer(palettes.get("grayscale"), dtype=">u2")
    for s in (1, 2, 4):
        r = Renderer(NullDisplay(320, 240), palette="grayscale", scale=s, marker=False)
        r.compute_indices(array("f", temps.tobytes()), lo, hi)
        img = rendered_image(r)
        assert np.array_equal(img, gray[ref_upscale(want_idx, s)])
        if s == 1:
            assert np.array_equal(img, gray[want_idx])


def test_golden_screens_as_png():
    out = os.environ.get("HEATFACE_RENDER_PNG")
    if not out:
        pytest.skip("set HEATFACE_RENDER_PNG=<dir> to write the golden screens as PNG")
    from PIL import Image

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "device"))
    import test_render_overlay as g

    os.makedirs(out, exist_ok=True)
    for (w, h, pal) in g.GOLDEN:
        d = RecordingDisplay(w, h)
        r = Renderer(d, palette=pal)
        r.draw_frame(g._golden_frame(), 25.0, 40.0)
        r.draw_overlay(g.INFO)
        c = np.frombuffer(bytes(d.buf), dtype=">u2").reshape(h, w).astype(np.uint32)
        rgb = np.stack([(c >> 11) * 255 // 31, ((c >> 5) & 63) * 255 // 63, (c & 31) * 255 // 31], -1)
        Image.fromarray(rgb.astype(np.uint8)).save(os.path.join(out, "render_%dx%d_%s.png" % (w, h, pal)))
