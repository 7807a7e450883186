# runtime: micropython
"""JPEG encoder speed and output size for one 32x24 thermal frame (quality 95).

The plain path is the same module with its ``@micropython.viper`` decorators removed, compiled
here from source, so the ratio shows what viper buys on identical code in the same process.
"""

import gc
import math
from array import array
import sys

sys.path[:0] = ["lib", "tools"]  # run.py starts us from the repository root; MICROPYPATH is unset

from heatface.compat import ticks_diff, ticks_us
from heatface.grayscale import to_gray8
from heatface import jpeg

W = 32
H = 24


def thermal_frame():
    """A head at ~34 degC on a 23..26 degC background with +-0.2 degC of deterministic noise."""
    temps = array("f", bytes(4 * W * H))  # preallocated: a growing list fragments a small heap
    s = 12345
    for y in range(H):
        for x in range(W):
            ex = (x - 16.0) / 7.5
            ey = (y - 10.8) / 8.9
            e = ex * ex + ey * ey
            s = (s * 75 + 74) % 65537
            temps[y * W + x] = 23.0 + 2.0 * y / H + 11.0 * math.exp(-2.0 * e * e) + (s % 41 - 20) / 100.0
    return to_gray8(temps)


class NullSink:
    def write(self, buf):
        return len(buf)


def plain_module():
    with open("lib/heatface/jpeg.py") as f:
        src = f.read()
    src = src.replace("@micropython.viper\n", "\n")
    namespace = {"__name__": "jpeg_plain"}
    exec(src, namespace)
    return namespace


def per_frame_ms(encode, pixels, w, h, n):
    encode(pixels, w, h)
    gc.collect()
    start = ticks_us()
    for _ in range(n):
        encode(pixels, w, h)
    return ticks_diff(ticks_us(), start) / n / 1000.0


def main():
    pixels = thermal_frame()
    data = jpeg.encode_gray(pixels, W, H)
    sink = NullSink()

    fast = per_frame_ms(jpeg.encode_gray, pixels, W, H, 300)
    stream = per_frame_ms(lambda p, w, h: jpeg.write_gray(sink, p, w, h), pixels, W, H, 300)
    gc.collect()
    free = gc.mem_free() if hasattr(gc, "mem_free") else 0
    jpeg.write_gray(sink, pixels, W, H)
    used = free - gc.mem_free() if free else 0

    plain = plain_module()
    assert plain["encode_gray"](pixels, W, H) == data, "plain path writes different bytes"
    slow = per_frame_ms(plain["encode_gray"], pixels, W, H, 20)

    del plain
    gc.collect()
    big = bytearray(160 * 120)  # the frame upscaled 5x (nearest), streamed to a null sink
    for i in range(len(big)):
        big[i] = pixels[(i // 160 // 5) * W + (i % 160) // 5]
    big_ms = per_frame_ms(lambda p, w, h: jpeg.write_gray(sink, p, w, h), big, 160, 120, 5)

    print("BENCH jpeg_bytes_32x24 %d" % len(data))
    print("BENCH jpeg_encode_ms_32x24 %.4f" % fast)
    print("BENCH jpeg_write_ms_32x24 %.4f" % stream)
    print("BENCH jpeg_encode_plain_ms_32x24 %.4f" % slow)
    print("BENCH jpeg_viper_speedup %.2f" % (slow / fast))
    print("BENCH jpeg_write_heap_bytes_32x24 %d" % used)
    print("BENCH jpeg_write_ms_160x120 %.3f" % big_ms)


main()
