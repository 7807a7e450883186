# mprun: heapsize=1024K
"""Renderer(update="changed"): the panel after every frame is byte-identical to a full redraw,
with fewer LCD bytes (none for a repeated frame), for every kernel set, at two geometries; the
strip kernels draw any column range exactly as the matching part of the full row."""

import gc
from array import array

from fakes_display import RecordingDisplay
from frames import lcg_frame
from heatface.native import pixels
from heatface.render import PIXELS, Renderer
from mptest import IS_MICROPYTHON

KERNELS = (("native",) if pixels is not None else ()) + (("viper", "plain") if IS_MICROPYTHON else ("viper",))


class CountingDisplay(RecordingDisplay):
    def __init__(self, *args, **kwargs):
        RecordingDisplay.__init__(self, *args, **kwargs)
        self.bytes = 0

    def blit(self, buf, x, y, w, h):
        RecordingDisplay.blit(self, buf, x, y, w, h)
        self.bytes += 2 * w * h


def _scenes():
    """A face-like blob on a cool background that moves, holds still, then the range and the
    palette change: what changes (and what does not) between frames."""
    base = lcg_frame(3, 20.0, 1.0)  # 20..21 degC: below the 25 degC palette floor
    frames = []
    for cx, cy in ((10, 8), (11, 8), (11, 8), (12, 9), (12, 9), (12, 9)):
        t = array("f", base)
        for i in range(PIXELS):
            r, c = i // 32, i % 32
            if (c - cx) * (c - cx) + (r - cy) * (r - cy) <= 16:
                t[i] = 33.0 + 0.1 * ((i * 7) % 10)
        frames.append(t)
    t = array("f", frames[-1])
    t[15 + 32 * 11] = 39.0  # under the centre marker
    frames.append(t)
    t = array("f", frames[-1])
    t[0] = 26.0  # a corner
    t[767] = 27.0
    frames.append(t)
    return frames


def _run(size, window, kernels):
    full_d = CountingDisplay(size[0], size[1], window=window)
    part_d = CountingDisplay(size[0], size[1], window=window)
    full = Renderer(full_d, kernels=kernels, update="full")
    part = Renderer(part_d, kernels=kernels, update="changed")
    frames = _scenes()
    steps = [(f, 25.0, 40.0, None) for f in frames]
    steps.append((frames[-1], 25.0, 40.0, None))  # repeated: nothing to send
    steps.append((frames[-1], 24.0, 40.0, None))  # range change: everything that is not index 0
    steps.append((frames[-1], 24.0, 40.0, "rainbow"))  # palette change: everything
    steps.append((frames[-1], 24.0, 40.0, "clear"))
    steps.append((frames[2], 24.0, 40.0, None))
    sent = []
    for t, lo, hi, action in steps:
        before = part_d.bytes
        if action == "clear":
            full.clear()
            part.clear()
        elif action is not None:
            full.set_palette(action)
            part.set_palette(action)
        full.draw_frame(t, lo, hi)
        part.draw_frame(t, lo, hi)
        assert part_d.buf == full_d.buf, (size, kernels, lo, hi, action, len(sent))
        sent.append(part_d.bytes - before)
    return sent, full_d.bytes, part_d.bytes


def test_changed_equals_full_320x240():
    for kernels in KERNELS:
        sent, full_bytes, part_bytes = _run((320, 240), (0, 80, 320, 56), kernels)
        img = 2 * 288 * 216
        assert sent[0] == img  # the first frame is drawn whole
        assert sent[2] == 0 and sent[4] == 0 and sent[8] == 0, sent  # repeats send nothing
        assert sent[10] == img and sent[11] == img  # palette change, clear: whole image again
        assert 0 < sent[1] < img // 3, sent  # the blob moved one column: a part of the image
        assert part_bytes < full_bytes * 2 // 3, (part_bytes, full_bytes)


def test_changed_equals_full_small_panel():
    for kernels in KERNELS:
        _run((160, 120), None, kernels)


def test_strip_column_ranges_match_full_rows():
    t = lcg_frame(9, 20.0, 25.0)
    for kernels in KERNELS:
        r = Renderer(RecordingDisplay(240, 135, window=(0, 0, 1, 1)), kernels=kernels)
        r.compute_indices(t, 24.0, 40.0)
        w = r.width
        for y in (0, 57, 118):
            r.render_rows(y, 2)
            full = bytes(r.strip[:4 * w])
            for x_from, x_to in ((0, w), (0, 1), (w - 1, w), (3, 77), (79, 81), (80, 160)):
                r.render_rows(y, 2, x_from, x_to)
                n = x_to - x_from
                for k in range(2):
                    want = full[2 * (k * w + x_from):2 * (k * w + x_to)]
                    got = bytes(r.strip[2 * k * n:2 * (k + 1) * n])
                    assert got == want, (kernels, y, x_from, x_to, k)


def test_what_others_draw_over_the_image_is_repaired():
    # a marker drawn over the image through renderer.display (as heatface.camera draws its
    # crosses, labels and alarm border) moves every frame: the changed-only panel still equals
    # the full redraw's, old markers gone
    frames = _scenes()
    for kernels in KERNELS:
        full_d = CountingDisplay(160, 120)
        part_d = CountingDisplay(160, 120)
        full = Renderer(full_d, kernels=kernels, update="full")
        part = Renderer(part_d, kernels=kernels, update="changed")
        for k in range(8):
            t = frames[min(k, 2)]  # from the third frame on the image itself stands still
            for r, d in ((full, full_d), (part, part_d)):
                r.draw_frame(t, 25.0, 40.0)
                r.display.fill_rect(10 + 9 * k, 20 + 5 * k, 7, 3, 0xF800)
                r.display.blit(bytes(2 * 12 * 8), 100 - 6 * k, 60, 12, 8)
                if k == 5:
                    r.display.fill_rect(0, 0, r.width, 3, 0x07E0)  # a border, once
            assert part_d.buf == full_d.buf, (kernels, k)
        assert part_d.bytes < full_d.bytes // 2, (part_d.bytes, full_d.bytes)
        full = part = full_d = part_d = None
        gc.collect()


def test_config_keys_choose_scale_and_lcd_update():
    from heatface.config import load_config
    from heatface.render import renderer_for
    from mptest import scratch_path

    path = scratch_path("hf-render-config.json")
    with open(path, "w") as f:
        f.write('{"scale": 4, "lcd_update": "full"}')
    r = renderer_for(CountingDisplay(320, 240), load_config(path))
    assert (r.scale, r.update, r.width, r.height) == (4, "full", 128, 96)
    d = CountingDisplay(320, 240)
    r = renderer_for(d, load_config(path))
    t = lcg_frame(5, 20.0, 15.0)
    r.draw_frame(t, 25.0, 40.0)
    r.draw_frame(t, 25.0, 40.0)  # "full": the same frame is sent again
    assert d.bytes == 2 * 2 * 128 * 96
    # the defaults: the largest scale beside the legend, only what changed
    r = renderer_for(CountingDisplay(320, 240), load_config("no-such-heatface.json"))
    assert (r.scale, r.update) == (9, "changed")
    # bad values: a clear warning and the default; a scale the panel cannot show: the largest
    with open(path, "w") as f:
        f.write('{"scale": -2, "lcd_update": "sometimes"}')
    warnings = []
    cfg = load_config(path, warnings=warnings)
    assert (cfg["scale"], cfg["lcd_update"]) == (0, "changed")
    assert len(warnings) == 2 and "lcd_update" in " ".join(warnings), warnings
    r = renderer_for(CountingDisplay(320, 240), {"scale": 11})
    assert r.scale == 9
    r = renderer_for(CountingDisplay(320, 240), {"lcd_update": "sometimes"})  # a dict not checked
    assert r.update == "changed"
    r = renderer_for(CountingDisplay(320, 240), {"scale": 10})  # fits, the legend does not
    assert r.scale == 10
