"""RangeTracker: fixed and auto ranges, smoothing, minimum span, switching at run time."""

from array import array

from heatface.render import PIXELS, RangeTracker
from mptest import raises


def _flat(lo, hi):
    t = array("f", bytes(4 * PIXELS))  # filled in place: no 768-float list on a small heap
    for i in range(PIXELS):
        t[i] = lo + (hi - lo) * (i % 7) / 6.0
    return t


def test_fixed_is_the_seed_range():
    tr = RangeTracker()
    assert tr.mode == "fixed"
    assert tr.update(_flat(10.0, 90.0)) == (25.0, 40.0)
    tr = RangeTracker(fixed=(20.0, 30.0))
    assert tr.update(_flat(10.0, 90.0)) == (20.0, 30.0)


def test_auto_starts_at_frame_extremes_then_smooths():
    tr = RangeTracker("auto", alpha=0.5, min_span=1.0)
    assert tr.update(_flat(20.0, 30.0)) == (20.0, 30.0)
    lo, hi = tr.update(_flat(22.0, 34.0))
    assert (lo, hi) == (21.0, 32.0)  # half way, alpha 0.5
    for _ in range(30):
        lo, hi = tr.update(_flat(22.0, 34.0))
    assert abs(lo - 22.0) < 1e-3 and abs(hi - 34.0) < 1e-3


def test_auto_does_not_flicker_on_a_noisy_pixel():
    tr = RangeTracker("auto", alpha=0.2)
    base = _flat(24.0, 33.0)
    tr.update(base)
    spike = array("f", base)
    spike[300] = 60.0
    lo, hi = tr.update(spike)  # a one-frame hot pixel moves hi by alpha * 27 only
    assert abs(hi - (33.0 + 0.2 * 27.0)) < 1e-2
    lo, hi = tr.update(base)
    assert hi < 38.5


def test_min_span_centred():
    tr = RangeTracker("auto", min_span=4.0)
    lo, hi = tr.update(array("f", [30.0] * PIXELS))
    assert (lo, hi) == (28.0, 32.0)


def test_switching_modes():
    tr = RangeTracker()
    assert tr.toggle() == "auto"
    assert tr.update(_flat(20.0, 30.0)) == (20.0, 30.0)
    tr.set_mode("fixed")
    assert tr.update(_flat(20.0, 30.0)) == (25.0, 40.0)
    tr.set_mode("auto")  # restarts from the next frame, no stale smoothing
    assert tr.update(_flat(26.0, 36.0)) == (26.0, 36.0)
    assert (tr.lo, tr.hi) == (26.0, 36.0)


def test_rejects_bad_arguments():
    raises(ValueError, RangeTracker, "manual")
    raises(ValueError, RangeTracker, "fixed", (40.0, 25.0))
    raises(ValueError, RangeTracker, "auto", (25.0, 40.0), 0.0)
    raises(ValueError, RangeTracker().set_mode, "Auto")
