"""Pure-MicroPython int8 interpreter vs TFLite-Micro, on the shipped model (models/heatface.tflite).

Runs under CPython: measures tflite-micro (reference kernels) here, launches the MicroPython unix
port (-X heapsize=160K) to time the pure interpreter on the same model, and prints both plus
their ratio. Also checks both produced the same output bytes.
"""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, p) for p in ("tools/shims", "lib")]

import numpy as np  # noqa: E402
from tflite_micro.python.tflite_micro import runtime  # noqa: E402

from heatface.tflite_testdata import lcg_input  # noqa: E402

MODEL = "models/heatface.tflite"
N = 50

MP_SCRIPT = """
import sys
sys.path[:0] = ["lib"]
from heatface.tflite import Interpreter
from heatface.tflite_testdata import lcg_input
from heatface.compat import ticks_us, ticks_diff
with open("%s", "rb") as f:
    it = Interpreter(f.read())
x = lcg_input(1)
it.input[:] = x
it.invoke()
t0 = ticks_us()
for _ in range(%d):
    it.invoke()
dt = ticks_diff(ticks_us(), t0)
print("US", dt / %d)
print("OUT", bytes(it.output).hex())
""" % (MODEL, N, N)


def main():
    os.chdir(ROOT)
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    proc = subprocess.run([mp, "-X", "heapsize=160K", "-c", MP_SCRIPT], capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit("micropython run failed")
    lines = dict(line.split(" ", 1) for line in proc.stdout.split("\n") if " " in line)
    pure_us = float(lines["US"])
    with open(MODEL, "rb") as f:
        it = runtime.Interpreter.from_bytes(f.read(), arena_size=64 * 1024)
    x = np.frombuffer(bytes(lcg_input(1)), dtype=np.int8).reshape(1, 24, 32, 1)
    it.set_input(x, 0)
    it.invoke()
    t0 = time.perf_counter()
    for _ in range(N):
        it.set_input(x, 0)
        it.invoke()
    tflm_us = (time.perf_counter() - t0) / N * 1e6
    out = np.asarray(it.get_output(0), dtype=np.int8).tobytes().hex()
    if out != lines["OUT"].strip():
        raise SystemExit("pure interpreter and TFLM disagree: %s vs %s" % (lines["OUT"], out))
    print("model %s, %d inferences each; outputs identical" % (MODEL, N))
    print("BENCH int8_interp_pure_unix_us %.1f" % pure_us)
    print("BENCH int8_interp_tflm_cpython_us %.1f" % tflm_us)
    print("BENCH int8_interp_slowdown_vs_tflm %.2f" % (pure_us / tflm_us))


if __name__ == "__main__":
    main()
