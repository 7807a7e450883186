# runtime: micropython
"""MLX90640 To computation: heatface's pure-MicroPython path against the Adafruit driver's maths.

Both run here, under the MicroPython unix port, on Melexis' example EEPROM and frames. The
Adafruit CircuitPython module is loaded unmodified from the .venv's site-packages, with a
minimal stand-in for adafruit_bus_device's I2CDevice (adafruit_standin.py) over a bus that serves
the EEPROM (all it needs).

Prints:
- mlx_eeprom_extract_ms: heatface start-up (EEPROM read from a memory stand-in, extraction,
  per-pixel constants).
- mlx_frame_ms_heatface / mlx_frame_ms_adafruit: one full frame (two subpages) of Ta, Vdd and To.
- mlx_speedup_vs_adafruit: the ratio of the two.
- mlx_heap_bytes_per_frame: bytes allocated by heatface per frame, measured with the GC
  disabled. A whole frame allocates more than this 160 KB heap holds with the GC off (each
  float operation boxes a float on the unix port), so it is measured on 8 and 16 pixels per
  subpage and extrapolated linearly to 384.
"""

import gc
import struct
import sys
import time
from array import array

sys.path[:0] = ["lib", "tools", "tools/bench", ".venv/lib/python3.11/site-packages"]

import adafruit_standin  # noqa: E402

FIXTURE = "tests/data/mlx90640_example.bin"


def _words(offset, count):
    with open(FIXTURE, "rb") as f:
        f.seek(offset)
        raw = f.read(2 * count)
    return [(raw[2 * i] << 8) | raw[2 * i + 1] for i in range(count)]


class _MemoryBus:
    """machine.I2C stand-in serving the example EEPROM and control register."""

    def __init__(self, eeprom, control):
        self.eeprom = eeprom
        self.control = control

    def readfrom_mem_into(self, addr, mem, buf, addrsize=8):
        if mem == 0x2400:
            words = self.eeprom
        elif mem == 0x800D:
            words = (self.control,)
        else:
            words = (0,)
        for i in range(len(bytes(buf)) // 2):
            struct.pack_into(">H", buf, 2 * i, words[i])

    def writeto_mem(self, addr, mem, buf, addrsize=8):
        pass


def _us():
    return time.ticks_us()


def bench_heatface(eeprom, frames):
    from heatface.mlx90640 import MLX90640

    bus = _MemoryBus(eeprom, frames[0][832])
    gc.collect()
    t0 = _us()
    cam = MLX90640(bus, compute="python")
    extract_ms = time.ticks_diff(_us(), t0) / 1000
    cam.emissivity = 0.95
    raws = []
    for frame in frames:
        w = array("h", bytes(2 * 832))
        for i in range(832):
            w[i] = frame[i] - 65536 if frame[i] > 32767 else frame[i]
        raws.append((w, frame[833]))
    temps = array("f", bytes(3072))
    n = 20
    gc.collect()
    t0 = _us()
    for _ in range(n):
        for w, sp in raws:
            cam._compute(w, sp, temps)
    frame_ms = time.ticks_diff(_us(), t0) / 1000 / n
    # heap per frame, extrapolated from 8 and 16 pixels per subpage (see module docstring)
    full = cam._idx
    allocs = []
    for k in (8, 16):
        cam._idx = (array("H", full[0][:k]), array("H", full[1][:k]))
        gc.collect()
        gc.disable()
        a = gc.mem_alloc()
        for w, sp in raws:
            cam._compute(w, sp, temps)
        allocs.append(gc.mem_alloc() - a)
        gc.enable()
    cam._idx = full
    per_pixel = (allocs[1] - allocs[0]) / 16
    heap = allocs[0] + per_pixel * (768 - 16)
    return cam, extract_ms, frame_ms, heap, temps


def bench_adafruit(eeprom, frames):
    adafruit_standin.install()
    import adafruit_mlx90640

    theirs = adafruit_mlx90640.MLX90640(_MemoryBus(eeprom, frames[0][832]))
    result = [0.0] * 768
    n = 3
    gc.collect()
    t0 = _us()
    for _ in range(n):
        for frame in frames:
            tr = theirs._GetTa(frame) - 8
            theirs._CalculateTo(frame, 0.95, tr, result)
    return time.ticks_diff(_us(), t0) / 1000 / n, result


def main():
    eeprom = _words(0, 832)
    frames = [_words(1664, 834), _words(3332, 834)]
    reference = array("f", bytes(3072))
    # Adafruit first, on a fresh heap (its module wants 6.6 KB lists), then unloaded
    theirs_ms, result = bench_adafruit(eeprom, frames)
    for p in range(768):
        reference[p] = result[p]
    result = None
    adafruit_standin.uninstall()
    gc.collect()
    cam, extract_ms, ours_ms, heap, temps = bench_heatface(eeprom, frames)
    worst = max(abs(temps[p] - reference[p]) for p in range(768))
    print("heatface vs adafruit max |dT| on the example frame: %.5f degC" % worst)
    if worst > 0.01:
        raise SystemExit("the two drivers disagree: %.4f degC" % worst)
    print("BENCH mlx_eeprom_extract_ms %.3f" % extract_ms)
    print("BENCH mlx_frame_ms_heatface %.3f" % ours_ms)
    print("BENCH mlx_frame_ms_adafruit %.3f" % theirs_ms)
    print("BENCH mlx_speedup_vs_adafruit %.2f" % (theirs_ms / ours_ms))
    print("BENCH mlx_heap_bytes_per_frame %d" % heap)


main()
