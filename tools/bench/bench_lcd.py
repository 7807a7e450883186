"""LCD bytes per frame for each display option a user can pick (``scale``, ``lcd_update``).

A realistic scene — a person walks into a room, faces the camera with small turns and leaves
(tools/thermal_scenes.py, sensor noise included) — goes through the app's drawing path: the
range tracker in its default fixed mode, :class:`heatface.render.Renderer` and the overlay, onto
a display that counts the bytes it is sent. Prints ``BENCH lcd_bytes_s<scale>_<update>`` (mean
bytes per frame after the first) for scales 9 (the default on a 320x240 panel), 7, 6, 5 and 4
and both update modes. At 24 MHz SPI a byte costs 1/3 us: 124,416 bytes (the 288x216 image) are
41.5 ms. tools/bench/bench_cm4.py turns these into frames/s estimates per option.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for sub in ("tools/shims", "lib", "tools"):
    sys.path.insert(0, os.path.join(ROOT, sub))

import thermal_scenes as ts  # noqa: E402
from heatface.render import RangeTracker, Renderer, spot_temperature  # noqa: E402

SCALES = (9, 7, 6, 5, 4)
UPDATES = ("changed", "full")
FRAMES = 120


class CountingDisplay:
    """The display contract on a 320x240 panel, counting the bytes a real panel would be sent."""

    width = 320
    height = 240

    def __init__(self):
        self.bytes = 0

    def blit(self, buf, x, y, w, h):
        self.bytes += 2 * w * h

    def fill_rect(self, x, y, w, h, color):
        self.bytes += 2 * w * h  # an SPI panel's fill is one window of w*h pixels too

    def backlight(self, on):
        pass


def scene_frames(n=FRAMES, seed=3):
    """Float32 frames of a person walking in, facing the camera and leaving, with sensor noise."""
    rng = np.random.default_rng(seed)
    identity = ts.make_identities(1, seed)[0]
    room = ts.random_room(rng, ta=23.0)
    scenes = ts.walk_in_sequence(identity, n, rng, room=room)
    _, frames = ts.render_sequence(scenes, rng=rng)
    return [[float(v) for v in f] for f in frames]


def lcd_bytes(frames, scale, update):
    display = CountingDisplay()
    renderer = Renderer(display, scale=scale, update=update, kernels="plain")
    tracker = RangeTracker()
    info = {"lo": None, "hi": None, "spot": None, "fps": 8.0, "mode": "LIVE", "status": ""}
    counts = []
    for frame in frames:
        before = display.bytes
        temps = frame
        lo, hi = tracker.update(temps)
        renderer.draw_frame(temps, lo, hi)
        info["lo"], info["hi"], info["spot"] = lo, hi, spot_temperature(temps)
        renderer.draw_overlay(info)
        counts.append(display.bytes - before)
    return sum(counts[1:]) / (len(counts) - 1)


def main():
    frames = scene_frames()
    for scale in SCALES:
        for update in UPDATES:
            print("BENCH lcd_bytes_s%d_%s %.0f" % (scale, update, lcd_bytes(frames, scale, update)))


main()
