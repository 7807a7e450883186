"""Benchmarks on the emulated Cortex-M4F board, in instructions (QEMU -icount shift=0).

Per full frame (two subpages) unless noted, on the custom firmware with heatface frozen in (the same
bytecode and native code as the .mpy files, executed from flash) at the Wio Terminal's
176,876-byte heap (the infer loop on a 512 KB heap if it does not fit there), hardware from the light board
(tools/cm4/lightboard.py), kernels in tools/bench/cm4_kernels.py, app loops in
tools/cm4/cm4_apprun.py:

- cm4_to_instr, cm4_to_instr_adafruit, cm4_to_speedup_vs_adafruit: To maths, heatface's pure path
  and the Adafruit CircuitPython driver's (loaded from this venv's site-packages), same frames;
- cm4_read_instr: the driver's I2C handling and checks (To maths and the fake bus subtracted);
- cm4_render_instr, cm4_overlay_instr, cm4_gray8_instr, cm4_jpeg_instr, cm4_infer_instr (one
  inference of models/heatface.tflite);
- cm4_loop_instr_<mode>, cm4_gc_per_frame_<mode>: the whole app loop (main.py's App) per frame
  and garbage collections per frame, live / collect / infer;
- wio_fps_estimate_live|infer: frames/s at 120 MHz, one instruction per cycle, plus the frame's
  I/O: I2C bytes (with addressing) at the Wio profile's I2C clock, 9 clocks a byte, and LCD
  bytes at 24 MHz SPI; I/O and compute do not overlap (MicroPython's calls block);
- cm4_fits_<mode>_<form>, cm4_min_free_heap_<mode>_<form> (and _default): tools/cm4/heap_fit.py.
"""

import importlib.util
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "cm4"))

import heap_fit  # noqa: E402
from run import CM4  # noqa: E402

CPU_HZ = 120_000_000
LCD_SPI_HZ = 24_000_000
LOOP_FRAMES = 20
FORM = "frozen"  # code in flash, as on the custom firmware: the most heap for the measured work
LARGE_HEAP = 512 * 1024


def parse(text, prefix="CM4 "):
    out = {}
    for line in text.split("\n"):
        if line.startswith(prefix):
            name, value = line[len(prefix):].split()
            out[name] = int(value)
        elif line.strip():
            print("   ", line)
    return out


def i2c_hz():
    """The I2C clock the Wio Terminal profile configures (lib/heatface/boards/wio_terminal.py)."""
    with open(os.path.join(ROOT, "lib", "heatface", "boards", "wio_terminal.py")) as f:
        m = re.search(r"_I2C_HZ = const\(([\d_]+)\)", f.read())
    return int(m.group(1).replace("_", ""))


def kernels(board):
    k = parse(board.exec("import cm4_kernels as k\nt = k.bench_to()\nk.bench_read()\n"
                         "k.bench_render(t)\nk.bench_gray_jpeg(t)\n"))
    board.reset()
    k.update(parse(board.exec("import cm4_kernels as k\nk.bench_infer(k.bench_to())\n")))
    board.reset()
    k.update(parse(board.exec("import cm4_kernels as k\nk.bench_adafruit()\n")))
    return k


def loop(board, mode):
    board.reset()
    text = board.exec("import cm4_apprun\ncm4_apprun.run(%r, %d, measure_heap=False, checksum=False)"
                      % (mode, LOOP_FRAMES))
    r = heap_fit.parse_apprun(text)
    ok = r and not r["errors"] and r["frames"] == LOOP_FRAMES
    print("    %s loop (%d-byte heap): %s" % (mode, board.heap_bytes, r or text))
    return r if ok else None


def loops(board, files):
    out = {}
    for mode in ("live", "collect", "infer"):
        out[mode] = loop(board, mode)
    if out["infer"] is None:
        # Infer mode does not fit the Wio heap in this form: count its loop on a larger heap
        # (fewer collections than it would need), said in the output and the README.
        with CM4(form=FORM, files=files, heap_bytes=LARGE_HEAP) as big:
            out["infer"] = loop(big, "infer")
    for mode, r in out.items():
        if r is None:
            raise SystemExit("cm4 %s loop failed" % mode)
    return out


def main():
    adafruit = importlib.util.find_spec("adafruit_mlx90640").origin
    files = {"/rom/cm4_kernels.py": os.path.join(ROOT, "tools", "bench", "cm4_kernels.py"),
             "/rom/adafruit_mlx90640.py": adafruit}
    with CM4(form=FORM, files=files) as board:
        k = kernels(board)
        loop = loops(board, files)
    res = {"cm4_" + n: v for n, v in k.items() if n.endswith("_instr") or n.endswith("_adafruit")}
    res["cm4_to_speedup_vs_adafruit"] = round(k["to_instr_adafruit"] / k["to_instr"], 2)
    i2c = i2c_hz()
    i2c_bytes = k["i2c_bytes_per_frame"] + 4 * k["i2c_transfers_per_frame"]  # addr + 16-bit register
    for mode, r in loop.items():
        res["cm4_loop_instr_" + mode] = r["us"] * 1000 // r["frames"]
        res["cm4_gc_per_frame_" + mode] = round(r["collections"] / r["frames"], 2)
        if mode in ("live", "infer"):
            compute_s = res["cm4_loop_instr_" + mode] / CPU_HZ
            io_s = i2c_bytes * 9 / i2c + r["lcd_bytes"] / r["frames"] * 8 / LCD_SPI_HZ
            res["wio_fps_estimate_" + mode] = round(1 / (compute_s + io_s), 2)
            print("    %s: compute %.1f ms, I2C %d B at %d Hz + LCD %d B at 24 MHz: %.1f ms of I/O"
                  % (mode, 1000 * compute_s, i2c_bytes, i2c, r["lcd_bytes"] // r["frames"], 1000 * io_s))
    res.update(heap_fit.bench_keys())
    for name in sorted(res):
        print("BENCH %s %s" % (name, res[name]))


main()
