# mprun: heapsize=512K
"""The native kernels (heatface.native, C) against their portable twins, on firmware that loads
them: MLX90640 To bit-identical to the pure path (and within 0.01 degC of Melexis) in chess and
interleaved mode at every ADC resolution, the renderer byte-identical to the viper and plain
kernels, to_gray8 and frame_motion bit-identical to their loops. Where no native module loads
for this firmware (CPython, xtensawin, a unix port without the .mpy) the module is skipped:
nothing here could run."""

from array import array

from heatface.native import is_float32_array, pixels
from mptest import IS_MICROPYTHON, SkipTest, raises

if pixels is None:
    _WHY = "no heatface_pixels native module for this runtime"
    if IS_MICROPYTHON:
        raise SkipTest(_WHY)
    import pytest

    pytest.skip(_WHY, allow_module_level=True)

from fakes_display import NullDisplay  # noqa: E402
from heatface import palettes  # noqa: E402
from heatface.grayscale import gray8_python, to_gray8  # noqa: E402
from heatface.mlx90640 import MLX90640  # noqa: E402
from heatface.modes import frame_motion, frame_motion_python  # noqa: E402
from heatface.render import PIXELS, Renderer  # noqa: E402
from heatface_sim.mlx90640 import SimulatedMLX90640  # noqa: E402
from test_mlx90640 import _EEPROM, _words, _melexis_to  # noqa: E402


def _lcg_frame(seed, lo=15.0, span=30.0):
    t = array("f", bytes(4 * PIXELS))
    x = seed
    for i in range(PIXELS):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        t[i] = lo + span * ((x >> 8) % 10000) / 10000.0
    return t


def test_chosen_by_default_where_available():
    sim = SimulatedMLX90640(_words(_EEPROM, 832))
    assert MLX90640(sim).compute == "native"
    assert Renderer(NullDisplay()).kernels == "native"


# -- MLX90640 To ---------------------------------------------------------------------------

def test_to_melexis_example_within_0_01():
    _melexis_to("native")  # asserts <= 0.01 degC against Melexis' expected To on both subpages


def _hard_scene():
    # every To range of the datasheet: below 0 degC, 0..ct2, ct2..ct3 and above; the sensor's
    # field of -40..300 degC (extremes included)
    t = _lcg_frame(7, 10.0, 30.0)
    for p, v in ((0, -40.0), (1, -12.0), (33, -0.5), (70, 0.0), (100, 99.0), (130, 160.0),
                 (160, 230.0), (200, 300.0), (401, 36.6), (767, 120.0)):
        t[p] = v
    return t


def test_to_bit_identical_to_pure_path_all_modes_and_resolutions():
    sim = SimulatedMLX90640(_words(_EEPROM, 832))
    sim.set_scene(_hard_scene(), 27.0)
    ref = MLX90640(sim, compute="python")
    nat = MLX90640(sim, compute="native")
    a = array("f", bytes(4 * PIXELS))
    b = array("f", bytes(4 * PIXELS))
    checked = 0
    for chess in (True, False):
        for bits in (16, 17, 18, 19):
            ref.chess_mode = chess
            ref.resolution = bits
            nat.chess_mode = chess  # same control register: the sensor is shared
            nat.resolution = bits
            for emissivity in (0.95, 1.0):
                ref.emissivity = nat.emissivity = emissivity
                for _ in range(2):  # both subpages
                    sp = ref.read_subpage(a)
                    nat._compute(ref._ram, sp, b)  # the very words the reference used
                    for p in ref._idx[sp]:
                        assert a[p] == b[p], (chess, bits, emissivity, sp, p, a[p], b[p])
                        checked += 1
    assert checked == 2 * 4 * 2 * 768


def test_to_with_bad_pixels_and_reflected_temperature():
    sim = SimulatedMLX90640(_words(_EEPROM, 832))
    sim.break_pixel(300)
    sim.break_pixel(500, outlier=True)
    sim.set_scene(_lcg_frame(3), 24.0)
    ref = MLX90640(sim, compute="python")
    nat = MLX90640(sim, compute="native")
    ref.reflected_temperature = nat.reflected_temperature = 21.5
    a = array("f", bytes(4 * PIXELS))
    b = array("f", bytes(4 * PIXELS))
    for _ in range(2):
        sp = ref.read_subpage(a)
        nat._compute(ref._ram, sp, b)
    assert bytes(a) == bytes(b)


def test_to_native_rejects_wrong_buffers():
    cam = MLX90640(SimulatedMLX90640(_words(_EEPROM, 832)), compute="native")
    args = (cam._ram, cam._idx[0], array("f", bytes(4 * PIXELS)), cam._P, cam._O, cam._K,
            (1.0,) * 8, None, cam._rng)
    pixels.to_subpage(*args)
    bad = list(args)
    bad[2] = array("i", bytes(4 * PIXELS))
    raises(TypeError, pixels.to_subpage, *bad)
    bad[2] = array("f", bytes(4 * 10))
    raises(ValueError, pixels.to_subpage, *bad)
    bad = list(args)
    bad[6] = (1.0,) * 7
    raises(ValueError, pixels.to_subpage, *bad)


# -- renderer --------------------------------------------------------------------------------

def _render_frame():
    t = _lcg_frame(11, 20.0, 22.0)
    for k, v in enumerate((25.0, 40.0, -300.0, 5000.0, float("inf"), float("-inf"), float("nan"),
                           1e30, -1e30, 0.0, -0.0, 1e-30)):
        t[40 + 17 * k] = v
    return t


def test_render_index_identical_to_viper_and_plain():
    rs = [Renderer(NullDisplay(), kernels=k) for k in ("native", "viper", "plain")]
    for seed in (1, 2):
        t = _render_frame() if seed == 1 else _lcg_frame(seed, -50.0, 400.0)
        for lo, hi in ((25.0, 40.0), (-40.0, 300.0), (29.9, 30.1), (-4096.0, 4096.0)):
            want = bytes(rs[2].compute_indices(t, lo, hi))
            assert bytes(rs[1].compute_indices(t, lo, hi)) == want
            assert bytes(rs[0].compute_indices(t, lo, hi)) == want, (seed, lo, hi)


def test_render_strips_identical_every_scale_and_palette():
    t = _render_frame()
    for size, scale in (((320, 240), None), ((320, 240), 8), ((240, 135), None), ((240, 240), 7),
                        ((128, 96), 4), ((96, 72), 3), ((64, 48), 2), ((64, 48), 1)):
        n = Renderer(NullDisplay(*size), scale=scale, kernels="native")
        v = Renderer(NullDisplay(*size), scale=scale, kernels="viper")
        p = Renderer(NullDisplay(*size), scale=scale, kernels="plain")
        for name in palettes.names():
            for r in (n, v, p):
                r.set_palette(name)
                r.compute_indices(t, 24.0, 38.0)
            rows = n.strip_rows
            for y in range(0, n.height, rows):
                k = min(rows, n.height - y)
                for r in (n, v, p):
                    r.render_rows(y, k)
                size_b = 2 * n.width * k
                want = p.strip[:size_b]
                assert v.strip[:size_b] == want, (size, scale, name, y)
                assert n.strip[:size_b] == want, (size, scale, name, y)
            if name != palettes.DEFAULT:
                break  # every scale once, every palette at the first geometry
        del n, v, p


# -- grayscale and motion --------------------------------------------------------------------

def test_gray8_bit_identical_to_loop():
    t = _lcg_frame(5, 10.0, 40.0)
    for k, v in enumerate((22.0, 37.0, -40.0, 300.0, 29.5, 21.99, 37.01, float("inf"),
                           float("-inf"))):
        t[k] = v
    for lo, hi in ((22.0, 37.0), (20.0, 40.0), (30.0, 30.5)):
        scale = 255.0 / (hi - lo)
        want = gray8_python(t, bytearray(PIXELS), scale, 0.5 - lo * scale)
        assert to_gray8(t, bytearray(PIXELS), lo, hi) == want, (lo, hi)
    assert list(to_gray8(array("d", [22.0, 29.5]))) == [0, 128]  # not float32: the loop


def test_motion_bit_identical_to_loop():
    for seed in (1, 2, 3):
        a = _lcg_frame(seed)
        b = _lcg_frame(seed + 10)
        assert is_float32_array(a)
        assert frame_motion(a, b) == frame_motion_python(a, b)
    a = _lcg_frame(4)
    assert frame_motion(a, a) == 0.0
    assert frame_motion(list(a), a) == frame_motion_python(a, a)

