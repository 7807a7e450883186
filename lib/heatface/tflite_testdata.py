"""Deterministic pseudo-random int8 model inputs, identical under CPython and MicroPython.

Used by the interpreter tests, the benchmark and ``tools/make_test_models.py`` so reference inputs
need not be stored. Only small ints are involved (no bigints on 32-bit boards).
"""


def lcg_input(seed, n=768, width=32):
    """A bytearray of ``n`` int8 values (two's complement) for input number ``seed``.

    Seeds cycle through three kinds of image: uniform noise, a warm blob on a cool background
    (what a face looks like after to_gray8) and low-contrast noise around a random level.
    """
    state = (seed * 7919 + 17) & 0xFFFF
    out = bytearray(n)
    kind = seed % 3

    def nxt(s):
        return (s * 13421 + 12345) & 0xFFFF

    if kind == 0:
        for i in range(n):
            state = nxt(state)
            out[i] = state >> 8
        return out
    state = nxt(state)
    cy = (state >> 8) % 24
    state = nxt(state)
    cx = (state >> 8) % width
    state = nxt(state)
    level = state >> 8
    for i in range(n):
        state = nxt(state)
        noise = (state >> 12) - 8
        if kind == 1:
            dy = i // width - cy
            dx = i % width - cx
            v = 240 - (dy * dy + dx * dx) * 3 + noise
        else:
            v = level + noise
        v = 0 if v < 0 else (255 if v > 255 else v)
        out[i] = (v - 128) & 0xFF
    return out
