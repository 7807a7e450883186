"""Deterministic test frames (both runtimes): a linear congruential generator, no ``random``."""

from array import array

PIXELS = 768


def lcg_frame(seed, lo=15.0, span=30.0):
    """768 float32 temperatures spread over ``lo .. lo + span`` degC, the same on every runtime."""
    t = array("f", bytes(4 * PIXELS))
    x = seed
    for i in range(PIXELS):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        t[i] = lo + span * ((x >> 8) % 10000) / 10000.0
    return t
