"""to_gray8: the seed's mapping, clamping, rounding and custom ranges."""

from array import array

from heatface.grayscale import from_gray8, to_gray8
from mptest import raises


def _seed_reference(t):
    # The seed's formula, written independently: clamp((T - 22) * 255 / 15, 0, 255), rounded.
    v = (t - 22.0) * 255.0 / 15.0
    v = min(max(v, 0.0), 255.0)
    return int(v + 0.5)


def test_matches_seed_formula_over_range():
    temps = array("f", [15.0 + i * 0.037 for i in range(768)])
    out = to_gray8(temps)
    for i in range(768):
        assert out[i] == _seed_reference(temps[i]), (i, temps[i], out[i])


def test_clamps_and_end_points():
    out = to_gray8([-40.0, 22.0, 37.0, 300.0])
    assert list(out) == [0, 0, 255, 255]


def test_writes_into_preallocated_buffer():
    buf = bytearray(3)
    result = to_gray8([25.0, 30.0, 35.0], buf, t_lo=20.0, t_hi=40.0)
    assert result is buf
    assert list(buf) == [64, 128, 191]


def test_inverse_round_trips_to_half_a_level():
    for level in (0, 17, 128, 255):
        t = from_gray8(level)
        assert to_gray8([t])[0] == level


def test_rejects_empty_range():
    raises(ValueError, to_gray8, [1.0], None, 30.0, 30.0)
