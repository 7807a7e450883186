# mprun: heapsize=512K
"""Every MLX90640 To path against the pure-MicroPython reference, on the very same raw words:
the native kernel (heatface.native) bit-identical, the ulab path within 0.01 degC, both within
0.01 degC of Melexis' example, in chess and interleaved mode at every ADC resolution, with the
extended temperature ranges, bad pixels and a set reflected temperature. A path this runtime
does not have is skipped (CPython: no native module; the unix ports without ulab: no ulab)."""

import gc
from array import array

from frames import lcg_frame as _frame
from heatface.mlx90640 import MLX90640
from heatface.native import pixels
from heatface_sim.mlx90640 import SimulatedMLX90640
from mptest import IS_MICROPYTHON, raises, skip
from test_mlx90640 import _EEPROM, _melexis_to, _words

PIXELS = 768


def _has_ulab():
    try:
        import ulab  # noqa: F401
    except ImportError:
        return False
    return True


def _need(path):
    if path == "native" and pixels is None:
        skip("no heatface_pixels native module for this runtime")
    if path == "ulab" and not _has_ulab():
        skip("no ulab on this runtime")


def _hard_scene():
    # every To range of the datasheet: below 0 degC, 0..ct2, ct2..ct3 and above, over the
    # sensor's field of -40..300 degC (extremes included)
    t = _frame(7, 10.0, 30.0)
    for p, v in ((0, -40.0), (1, -12.0), (33, -0.5), (70, 0.0), (100, 99.0), (130, 160.0),
                 (160, 230.0), (200, 300.0), (401, 36.6), (767, 120.0)):
        t[p] = v
    return t


def _recompute(other, ref, subpage, out):
    """``other`` computes the subpage ``ref`` just read, from a copy of the same raw words."""
    ram = other._ram
    for i in range(len(ram)):
        ram[i] = ref._ram[i]
    other._compute(ram, subpage, out)


def _compare(path, tolerance, sim=None):
    """Reads subpages with the pure path and recomputes the same words on ``path``; returns the
    number of pixels compared. ``tolerance`` 0 means bit-identical."""
    if sim is None:
        sim = SimulatedMLX90640(_words(_EEPROM, 832))
        sim.set_scene(_hard_scene(), 27.0)
    ref = MLX90640(sim, compute="python")
    other = MLX90640(sim, compute=path)
    a = array("f", bytes(4 * PIXELS))
    b = array("f", bytes(4 * PIXELS))
    checked = 0
    for chess in (True, False):
        for bits in (16, 17, 18, 19):
            ref.chess_mode = chess  # the sensor is shared: one control register for both
            ref.resolution = bits
            other.chess_mode = chess
            other.resolution = bits
            for emissivity in (0.95, 1.0):
                ref.emissivity = other.emissivity = emissivity
                for _ in range(2):  # both subpages
                    sp = ref.read_subpage(a)
                    _recompute(other, ref, sp, b)
                    for p in ref._idx[sp]:
                        if tolerance == 0:
                            assert a[p] == b[p], (path, chess, bits, emissivity, sp, p, a[p], b[p])
                        else:
                            assert abs(a[p] - b[p]) <= tolerance, (path, chess, bits, sp, p, a[p], b[p])
                        checked += 1
    return checked


def test_native_is_chosen_by_default_where_available():
    _need("native")
    assert MLX90640(SimulatedMLX90640(_words(_EEPROM, 832))).compute == "native"


def test_native_melexis_example_within_0_01():
    _need("native")
    _melexis_to("native")  # asserts <= 0.01 degC against Melexis' expected To on both subpages


def test_native_bit_identical_to_pure_all_modes_and_resolutions():
    _need("native")
    assert _compare("native", 0) == 2 * 4 * 2 * PIXELS


def test_ulab_within_0_01_of_pure_all_modes_and_resolutions():
    _need("ulab")
    assert _compare("ulab", 0.01) == 2 * 4 * 2 * PIXELS


def test_native_and_ulab_with_bad_pixels_and_reflected_temperature():
    paths = [p for p in ("native", "ulab") if (p == "native" and pixels is not None)
             or (p == "ulab" and _has_ulab())]
    if not paths:
        skip("neither the native module nor ulab on this runtime")
    for path in paths:
        sim = SimulatedMLX90640(_words(_EEPROM, 832))
        sim.break_pixel(300)
        sim.break_pixel(500, outlier=True)
        sim.set_scene(_frame(3, 15.0, 30.0), 24.0)
        ref = MLX90640(sim, compute="python")
        other = MLX90640(sim, compute=path)
        ref.reflected_temperature = other.reflected_temperature = 21.5
        a = array("f", bytes(4 * PIXELS))
        b = array("f", bytes(4 * PIXELS))
        for _ in range(2):
            sp = ref.read_subpage(a)
            _recompute(other, ref, sp, b)
        for p in range(PIXELS):
            if path == "native":
                assert a[p] == b[p], (path, p, a[p], b[p])
            else:
                assert abs(a[p] - b[p]) <= 0.01, (path, p, a[p], b[p])


def test_native_rejects_wrong_buffers():
    _need("native")
    cam = MLX90640(SimulatedMLX90640(_words(_EEPROM, 832)), compute="native")
    args = [cam._ram, cam._idx[0], array("f", bytes(4 * PIXELS)), cam._P, cam._O, cam._K,
            (1.0,) * 8, None, cam._rng]
    pixels.to_subpage(*args)
    for i, bad in ((2, array("i", bytes(4 * PIXELS))), (2, array("f", bytes(40))), (6, (1.0,) * 7)):
        wrong = list(args)
        wrong[i] = bad
        raises(TypeError if i == 2 and len(bad) == PIXELS else ValueError, pixels.to_subpage, *wrong)


def test_ulab_subpage_allocates_no_large_temporaries():
    _need("ulab")
    if not IS_MICROPYTHON:
        skip("heap accounting is MicroPython's")
    sim = SimulatedMLX90640(_words(_EEPROM, 832))
    cam = MLX90640(sim, compute="ulab")
    temps = array("f", bytes(4 * PIXELS))
    used = []
    for scene in (_frame(5, 18.0, 20.0), _hard_scene()):
        sim.set_scene(scene, 27.0)
        sp = cam.read_subpage(temps)
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            cam._compute(cam._ram, sp, temps)
            used.append(gc.mem_alloc() - before)
        finally:
            gc.enable()
    # an indoor scene: the subpage's raw words (768 B), ulab's 1-element operands of the scalar
    # steps and the driver's own scalar maths (about 4 KB, all small blocks); with pixels in the
    # extended ranges, a few 384-entry masks more. The old path allocated about 40 KB per
    # subpage, in 768-float (3 KB) temporaries.
    assert used[0] < 5120 and used[1] < 8192, used
