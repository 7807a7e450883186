"""The native kernels (heatface.native, C) against their portable twins, on firmware that loads
them: the renderer byte-identical to the viper and plain kernels, to_gray8 and frame_motion
bit-identical to their loops (MLX90640 To: test_mlx90640_paths). Where no native module loads for
this firmware (CPython, xtensawin, a unix port without the .mpy) the module is skipped: nothing
here could run."""

from array import array

from heatface.native import is_float32_array, pixels
from mptest import IS_MICROPYTHON, SkipTest

if pixels is None:
    _WHY = "no heatface_pixels native module for this runtime"
    if IS_MICROPYTHON:
        raise SkipTest(_WHY)
    import pytest

    pytest.skip(_WHY, allow_module_level=True)

from fakes_display import NullDisplay  # noqa: E402
from heatface import palettes  # noqa: E402
from heatface.grayscale import gray8_python, to_gray8  # noqa: E402
from heatface.modes import frame_motion, frame_motion_python  # noqa: E402
from heatface.render import PIXELS, Renderer  # noqa: E402
from frames import lcg_frame as _lcg_frame  # noqa: E402


def test_chosen_by_default_where_available():
    assert Renderer(NullDisplay()).kernels == "native"


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

