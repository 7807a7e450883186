"""Renderer: index mapping, upscale geometry, viper == plain, strips, no per-frame allocation."""

import gc
from array import array

from fakes_display import NullDisplay
from heatface import palettes
from heatface.render import PIXELS, Renderer, frame_range
from heatface.render_kernels import minmax_plain, minmax_viper, sample_axis
from mptest import IS_MICROPYTHON, raises, skip


def _frame(seed=1):
    # a deterministic, varied frame: ramps, a warm blob, a few out-of-range pixels
    t = array("f", bytes(4 * PIXELS))
    x = seed
    for i in range(PIXELS):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        r, c = i // 32, i % 32
        t[i] = 21.0 + 0.4 * c + 0.25 * r + ((x >> 8) % 1000) / 500.0
        if 8 <= c < 22 and 5 <= r < 19:
            t[i] += 7.0
    t[0] = -12.5
    t[31] = 80.0
    t[767] = 41.0
    return t


def test_index_mapping_end_points_and_clamps():
    r = Renderer(NullDisplay())
    t = array("f", [25.0] * PIXELS)
    vals = (25.0, 40.0, 32.5, 10.0, 60.0, float("inf"), float("-inf"), float("nan"), 1e30, -1e30)
    for k, v in enumerate(vals):
        t[k] = v
    idx = r.compute_indices(t, 25.0, 40.0)
    assert list(idx[:10]) == [0, 255, 128, 0, 255, 255, 0, 0, 255, 0], list(idx[:10])


def test_index_mapping_tracks_linear_formula():
    r = Renderer(NullDisplay())
    t = _frame()
    for lo, hi in ((25.0, 40.0), (20.0, 35.5), (-5.0, 90.0), (30.0, 30.25)):
        idx = r.compute_indices(t, lo, hi)
        # fixed point truncates T, lo, hi to 1/256 degC: allow that on top of the rounding
        tol = 0.5 + 2 * 255.0 / (256 * (hi - lo)) + 1e-6
        for i in range(PIXELS):
            exact = min(max(255.0 * (t[i] - lo) / (hi - lo), 0.0), 255.0)
            assert abs(idx[i] - exact) <= tol, (lo, hi, i, t[i], idx[i], exact)


def test_index_viper_equals_plain():
    a = Renderer(NullDisplay(), kernels="viper")
    b = Renderer(NullDisplay(), kernels="plain")
    for seed in (1, 2, 3):
        t = _frame(seed)
        for lo, hi in ((25.0, 40.0), (-40.0, 300.0), (29.9, 30.1)):
            assert a.compute_indices(t, lo, hi) == b.compute_indices(t, lo, hi), (seed, lo, hi)


def test_list_input_matches_float32_array():
    r = Renderer(NullDisplay())
    t = _frame()
    want = bytes(r.compute_indices(t, 25.0, 40.0))
    assert bytes(r.compute_indices(list(t), 25.0, 40.0)) == want


def test_bad_input():
    r = Renderer(NullDisplay())
    raises(ValueError, r.draw_frame, array("f", [1.0] * 10), 25.0, 40.0)
    raises(ValueError, r.draw_frame, _frame(), 40.0, 25.0)
    raises(ValueError, Renderer, NullDisplay(16, 16))
    raises(ValueError, Renderer, NullDisplay(), "ironbow", 11)


def test_sample_axis_geometry():
    # s = 9: pixel 9c+4 sits on source cell c; the first 5 and last 5 pixels clamp to the border
    ax = sample_axis(288, 9, 32)
    for c in range(32):
        i0, i1, f = ax[9 * c + 4]
        assert (i0, f) == (c, 0), (c, ax[9 * c + 4])
    assert ax[0] == (0, 1, 0) and ax[4] == (0, 1, 0) and ax[5] == (0, 1, 2)
    assert ax[287] == (31, 31, 0) and ax[283] == (31, 31, 0)
    # even scale: X = 2c + 1 at position c + 0.25 -> weight 1/4 = 1 in units of 1/4
    ax = sample_axis(64, 2, 32)
    assert ax[0] == (0, 1, 0) and ax[1] == (0, 1, 1) and ax[2] == (0, 1, 3) and ax[3] == (1, 2, 1)


def test_grid_points_reproduce_source_exactly():
    r = Renderer(NullDisplay(), marker=False)
    pal = palettes.get("ironbow")
    idx = bytes(r.compute_indices(_frame(), 25.0, 40.0))
    s = r.scale
    assert s == 9
    for row in range(24):
        r.render_rows(9 * row + 4, 1)
        for c in range(32):
            o = 2 * (9 * c + 4)
            v = idx[row * 32 + c]
            assert r.strip[o:o + 2] == pal[2 * v:2 * v + 2], (row, c)


def test_upscale_midpoints_and_edges():
    # horizontal step 0 | 255 between columns 15 and 16: the 9 pixels between the two grid points
    # ramp through the exact bilinear values, rounded half up; edges repeat the border
    r = Renderer(NullDisplay(), palette="grayscale", marker=False)
    t = array("f", [0.0 if i % 32 < 16 else 100.0 for i in range(PIXELS)])
    r.compute_indices(t, 0.0, 100.0)
    r.render_rows(100, 1)
    pal = palettes.get("grayscale")
    for k in range(10):
        x = 9 * 15 + 4 + k
        want = (255 * 2 * k + 9) // 18  # 255 * k/9 rounded half up
        o = 2 * x
        assert r.strip[o:o + 2] == pal[2 * want:2 * want + 2], (k, want)


def test_strips_viper_equal_plain_all_palettes():
    t = _frame(5)
    a = Renderer(NullDisplay(), kernels="viper")
    b = Renderer(NullDisplay(), kernels="plain")
    for name in palettes.names():
        a.set_palette(name)
        b.set_palette(name)
        a.compute_indices(t, 24.0, 38.0)
        b.compute_indices(t, 24.0, 38.0)
        for y in (0, 104, 208):
            a.render_rows(y, 8)
            b.render_rows(y, 8)
            assert a.strip[:2 * 288 * 8] == b.strip[:2 * 288 * 8], (name, y)


def test_draw_frame_blits_strips_covering_the_image():
    calls = []

    class Log(NullDisplay):
        def blit(self, buf, x, y, w, h):
            calls.append((x, y, w, h, len(buf) >= 2 * w * h))

    Renderer(Log(), strip_rows=10).draw_frame(_frame(), 25.0, 40.0)
    assert calls[0] == (0, 0, 288, 10, True) and calls[-1] == (0, 210, 288, 6, True)
    assert sum(c[3] for c in calls) == 216 and all(c[4] for c in calls)


def test_frame_range_viper_equals_plain():
    t = _frame()
    lo, hi = frame_range(t)
    assert lo == -12.5 and hi == 80.0
    if IS_MICROPYTHON:
        a = array("i", [0, 0])
        b = array("i", [0, 0])
        t[100] = float("nan")
        minmax_viper(t, PIXELS, a)
        minmax_plain(t, PIXELS, b)
        assert list(a) == list(b) == [-4096 * 256, 80 * 256]


def test_no_allocation_per_frame():
    if not IS_MICROPYTHON:
        skip("heap accounting is MicroPython's")
    r = Renderer(NullDisplay())
    t = _frame()
    lst = list(t)
    r.draw_frame(t, 25.0, 40.0)  # warm-up: vets the input array
    r.draw_frame(lst, 25.0, 40.0)
    lo, hi = 24.5, 39.5
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for _ in range(20):
            r.draw_frame(t, lo, hi)
        r.draw_frame(lst, lo, hi)  # a list is copied into the renderer's own array: no allocation
        after = gc.mem_alloc()
    finally:
        gc.enable()
    assert after == before, after - before
