"""The compat layer behaves the same under both runtimes."""

import micropython
from micropython import const

from heatface.compat import sleep_ms, ticks_diff, ticks_ms

_ANSWER = const(42)


def test_const_is_value():
    assert _ANSWER == 42


def test_ticks_advance_with_sleep():
    start = ticks_ms()
    sleep_ms(20)
    elapsed = ticks_diff(ticks_ms(), start)
    assert 15 <= elapsed < 1000, elapsed


@micropython.viper
def _sum_bytes(buf: ptr8, n: int) -> int:
    total = 0
    for i in range(n):
        total += buf[i]
    return total


def test_viper_function_runs():
    assert _sum_bytes(bytearray(b"\x01\x02\xfd"), 3) == 256


def test_ticks_add_wraps_consistently():
    from heatface.compat import ticks_add

    t = ticks_ms()
    later = ticks_add(t, 1000)
    assert ticks_diff(later, t) == 1000
    assert ticks_diff(t, later) == -1000
