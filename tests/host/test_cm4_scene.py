"""The moving scene of the loop benchmarks (tools/bench/cm4_scene.py) replayed through the light
board's bus (tools/cm4/lightboard.py) reads back, through heatface's driver, as the scene it was
made from: frame after frame, within the sensor's rounding, never the same frame twice."""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for sub in ("tools/bench", "tools/cm4"):
    sys.path.insert(0, os.path.join(ROOT, sub))

import cm4_scene  # noqa: E402
from lightboard import ReplayBus  # noqa: E402

from heatface.mlx90640 import MLX90640  # noqa: E402


def test_scene_replays_as_the_moving_frames_it_was_made_from(tmp_path):
    n = 2
    path = tmp_path / "scene.bin"
    path.write_bytes(cm4_scene.scene_bytes(n=n))
    _, want = cm4_scene.scene_frames(n=n)
    bus = ReplayBus(str(path), subpages=None)
    assert bus.subpages == 2 * n
    cam = MLX90640(bus, compute="python")
    cam.emissivity = 0.95
    temps = np.zeros(768, dtype=np.float32)
    got = []
    for _ in range(n + 1):  # one round more: the replay starts over
        cam.read_frame(temps)
        got.append(temps.copy())
    for k in range(n):
        # the register model rounds the raw pixel, Ta and gain words: a few hundredths of a degC
        # typically, under 0.2 degC at worst on this part
        assert np.median(np.abs(got[k] - want[k])) < 0.08, k
        assert np.max(np.abs(got[k] - want[k])) < 0.25, k
        assert np.max(np.abs(got[k + 1] - got[k])) > 0.5, k  # a moving scene (the last vs the first)
    assert np.array_equal(got[n], got[0])


def test_a_file_that_is_not_whole_subpages_is_refused(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(open(cm4_scene.EXAMPLE, "rb").read(1664 + 2 * 1668 - 2))
    try:
        ReplayBus(str(path), subpages=None)
    except ValueError as exc:
        assert "even number of subpages" in str(exc)
    else:
        raise AssertionError("accepted a truncated scene")
