"""Overlay and whole-screen golden images: layout, legend, labels, redraw economy, identical
bytes on both runtimes and both kernel paths."""

import gc
from array import array
import binascii
import hashlib

import framebuf

from fakes_display import NullDisplay, RecordingDisplay
from heatface import palettes
from heatface.overlay import FG, Layout, format_temp
from heatface.render import PIXELS, Renderer, spot_temperature
from mptest import IS_MICROPYTHON

INFO = {"lo": 25.0, "hi": 40.0, "spot": 36.42, "fps": 12.3, "mode": "fixed", "status": "collect: face0 #12"}

# sha256 of the whole panel after draw_frame(_golden_frame(), 25, 40) + draw_overlay(INFO).
# Recorded once and reviewed as images (tests/host/test_render_reference.py can write PNGs:
# HEATFACE_RENDER_PNG=dir). Any change to palettes, geometry, font or layout changes them.
GOLDEN = {
    (320, 240, "ironbow"): "77059891bdf88e35a8e687d1ed576993089e3894f3618a41262a43ae2ecc312f",
    (240, 135, "rainbow"): "26e70e438f1c5a7fee268cb05bf0f089f44d3b5d0e03d01f7f908e170fd5a880",
    (240, 240, "seed"): "0686868f1b7e385f62608b7cd7bc04bd280dfd142b281ce408f129cff2c74966",
}


def _golden_frame():
    t = array("f", bytes(4 * PIXELS))
    for i in range(PIXELS):
        r, c = i // 32, i % 32
        d2 = (c - 15.5) * (c - 15.5) / 40.0 + (r - 11.5) * (r - 11.5) / 60.0
        t[i] = 24.0 + 0.1 * c + 14.0 / (1.0 + d2 * d2)
    return t


def screen_sha256(width, height, palette, kernels, band=24):
    """sha256 of the full panel, recorded one band of rows at a time (fits a 160 KB heap)."""
    h = hashlib.sha256()
    t = _golden_frame()
    for y in range(0, height, band):
        d = RecordingDisplay(width, height, window=(0, y, width, min(band, height - y)))
        r = Renderer(d, palette=palette, kernels=kernels)
        r.draw_frame(t, 25.0, 40.0)
        r.draw_overlay(INFO)
        h.update(d.buf)
        del r, d
        gc.collect()
    return binascii.hexlify(h.digest()).decode()


def test_layouts():
    lay = Layout(320, 240)
    assert (lay.scale, lay.img_w, lay.img_h) == (9, 288, 216)
    assert lay.has_legend and lay.bar == (296, 10, 16, 196) and len(lay.rows) == 2
    assert lay.hi_label == (288, 0) and lay.lo_label == (288, 208) and lay.rows == [(0, 218), (0, 228)]
    lay = Layout(240, 135)
    assert (lay.scale, lay.img_w, lay.img_h) == (5, 160, 120) and lay.has_legend and len(lay.rows) == 1
    lay = Layout(240, 240)
    assert (lay.scale, lay.img_w, lay.img_h) == (6, 192, 144) and lay.has_legend and len(lay.rows) == 2
    lay = Layout(135, 240)  # portrait: image uses the width, text below
    assert lay.scale == 3 and lay.has_legend and len(lay.rows) == 2
    lay = Layout(64, 48)  # too small for a legend bar: the image and two text rows
    assert lay.scale == 1 and not lay.has_legend and len(lay.rows) == 2
    lay = Layout(40, 30)  # no room for any overlay: the image alone
    assert lay.scale == 1 and not lay.has_legend and lay.rows == []


def test_format_temp():
    assert format_temp(36.42, 4) == "36.4"
    assert format_temp(-5.04, 4) == "-5.0"
    assert format_temp(123.6, 4) == "124"
    assert format_temp(-40.0, 4) == "-40"
    assert format_temp(None, 4) == "--"


def _text_pixels(s, n):
    # the expected look of a text field, from framebuf directly
    buf = bytearray(n * 8)
    fb = framebuf.FrameBuffer(buf, n * 8, 8, framebuf.MONO_HLSB)
    fb.text(s, 0, 0, 1)
    return fb


def test_legend_bar_and_labels():
    d = RecordingDisplay(320, 240, window=(288, 0, 32, 216))
    r = Renderer(d, palette="seed")
    r.draw_overlay(INFO)
    pal = palettes.get("seed")
    x, y, w, h = r.layout.bar
    assert d.pixel(x, y) == (pal[510] << 8) | pal[511]  # hot end on top
    assert d.pixel(x + w - 1, y + h - 1) == (pal[0] << 8) | pal[1]  # cold end at the bottom
    mid = d.pixel(x, y + h // 2)
    assert mid in [(pal[2 * i] << 8) | pal[2 * i + 1] for i in (127, 128)]
    assert d.pixel(x - 1, y) == 0 and d.pixel(x + w, y) == 0  # black around the bar
    for label, (lx, ly) in (("40.0", r.layout.hi_label), ("25.0", r.layout.lo_label)):
        fb = _text_pixels(label, 4)
        for yy in range(8):
            for xx in range(32):
                want = FG if fb.pixel(xx, yy) else 0
                assert d.pixel(lx + xx, ly + yy) == want, (label, xx, yy)


def test_text_rows():
    d = RecordingDisplay(320, 240, window=(0, 216, 320, 24))
    r = Renderer(d)
    r.draw_overlay(INFO)
    for text, (x, y) in (("Spot 36.4C  12.3fps  fixed", r.layout.rows[0]), (INFO["status"], r.layout.rows[1])):
        fb = _text_pixels(text, 40)
        for yy in range(8):
            for xx in range(320):
                want = FG if fb.pixel(xx, yy) else 0
                assert d.pixel(x + xx, y + yy) == want, (text, xx, yy)


def test_static_parts_drawn_once_and_text_only_on_change():
    d = NullDisplay()
    r = Renderer(d)
    r.draw_overlay(INFO)
    first = d.blits
    assert d.fills == 2 and first >= 5  # side + bottom cleared; bar strips, 2 labels, 2 rows
    r.draw_overlay(INFO)
    assert d.blits == first and d.fills == 2  # nothing changed, nothing drawn
    info = dict(INFO)
    info["spot"] = 36.9
    r.draw_overlay(info)
    assert d.blits == first + 1  # the row with the spot temperature only
    n = d.blits
    r.set_palette("rainbow")
    r.draw_overlay(info)
    assert d.blits > n and d.fills == 2  # legend bar redrawn, labels untouched
    r.clear()
    r.draw_overlay(info)
    assert d.fills == 2 + 1 + 2  # clear() + side/bottom backgrounds again


def test_overlay_viper_equals_plain():
    for window in ((288, 0, 32, 216), (0, 216, 320, 24)):
        outs = []
        for kernels in ("viper", "plain"):
            d = RecordingDisplay(320, 240, window=window)
            Renderer(d, kernels=kernels).draw_overlay(INFO)
            outs.append(hashlib.sha256(d.buf).digest())
            del d
            gc.collect()
        assert outs[0] == outs[1], window


def test_spot_temperature():
    t = _golden_frame()
    c = 11 * 32 + 15
    want = (t[c] + t[c + 1] + t[c + 32] + t[c + 33]) / 4
    assert abs(spot_temperature(t) - want) < 1e-5


def _check_golden(key, kernels):
    got = screen_sha256(key[0], key[1], key[2], kernels)
    assert got == GOLDEN[key], (key, kernels, got)


def _kernel_sets():
    from heatface.native import pixels

    return ("native", "viper", "plain") if pixels is not None else ("viper", "plain")


def test_golden_320x240_ironbow():
    for kernels in _kernel_sets():
        if kernels == "plain" and not IS_MICROPYTHON:
            continue  # under CPython both "paths" are Python; the plain one is the slow one there
        _check_golden((320, 240, "ironbow"), kernels)


def test_golden_240x135_rainbow():
    for kernels in _kernel_sets():
        _check_golden((240, 135, "rainbow"), kernels)


def test_golden_240x240_seed():
    _check_golden((240, 240, "seed"), _kernel_sets()[0])
