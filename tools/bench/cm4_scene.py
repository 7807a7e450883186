"""A moving scene for the app-loop benchmarks, as the light board's sensor replays it.

The light board's default recording is Melexis' example frame, the same two subpages over and
over: with ``lcd_update="changed"`` nothing changes after the first frame, and a loop measured on
it draws almost nothing. The loop figures (tools/bench/bench_cm4.py) run on this scene instead:
``FRAMES`` consecutive frames of the demo's script (tools/make_demo_scene.py: the first identity
walking into view in a 24 degC room, sensor noise 0.15 degC per pixel), turned into the raw RAM
words a real MLX90640 with Melexis' example EEPROM sends (tools/heatface_sim's register model).

    scene_bytes() -> bytes   the EEPROM, then the subpages (tools/cm4/lightboard.py's ReplayBus format)
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for p in (os.path.join(ROOT, "tools"), os.path.join(ROOT, "tools", "shims")):
    if p not in sys.path:
        sys.path.insert(0, p)

EXAMPLE = os.path.join(ROOT, "tests", "data", "mlx90640_example.bin")
FIRST = 52  # the demo script's frame where the first identity is halfway into view
FRAMES = 24  # the loop's warm-up frame and its 20 measured ones, with a little to spare


def scene_frames(first=FIRST, n=FRAMES):
    """(ambients, frames): ``n`` frames of the demo's script from frame ``first`` (numpy arrays)."""
    import numpy as np

    import make_demo_scene
    import thermal_scenes as ts

    scenes, _ = make_demo_scene.demo_script()
    return ts.render_sequence(scenes[first:first + n], np.random.default_rng(7))


def scene_bytes(first=FIRST, n=FRAMES):
    """The scene as the sensor sends it: the EEPROM's 1664 bytes, then per frame subpage 0 and
    subpage 1, each its 832 RAM words, the control register and the subpage number (big-endian)."""
    from heatface_sim.mlx90640 import SimulatedMLX90640

    with open(EXAMPLE, "rb") as f:
        eeprom_bytes = f.read(1664)
    sensor = SimulatedMLX90640(struct.unpack(">832H", eeprom_bytes))
    out = bytearray(eeprom_bytes)
    ambients, frames = scene_frames(first, n)
    for ta, temps in zip(ambients, frames):
        sensor.set_scene([float(t) for t in temps], float(ta))
        for sp in (0, 1):
            sensor.tick()  # measure now: subpage 0, then 1
            if sensor.status & 1 != sp:
                raise RuntimeError("the simulated sensor measured subpage %d, not %d" % (sensor.status & 1, sp))
            out += sensor.ram
            out += struct.pack(">HH", sensor.control, sp)
    return bytes(out)


if __name__ == "__main__":
    data = scene_bytes()
    print("%d bytes, %d subpages" % (len(data), (len(data) - 1664) // 1668))
