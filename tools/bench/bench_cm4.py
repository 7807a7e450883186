"""Benchmarks on the emulated Cortex-M4F board, in instructions (QEMU -icount shift=0).

Per full frame (two subpages) unless noted, on the custom firmware with heatface frozen in (the same
bytecode and native code as the .mpy files, executed from flash) at the Wio Terminal's
176,876-byte heap (the infer loop on a 512 KB heap if it does not fit there), hardware from the light
board (tools/cm4/lightboard.py), kernels in tools/bench/cm4_kernels.py, app loops in
tools/cm4/cm4_apprun.py. The plain keys measure the default path: what heatface picks at run time
on this firmware, i.e. the native modules heatface_pixels and heatface_nn as `make deploy` puts
them on a stock board; the portable path's figures have their own keys.

- cm4_to_instr (native) / cm4_to_instr_python (portable), cm4_to_instr_adafruit,
  cm4_to_speedup_vs_adafruit: To maths, the Adafruit CircuitPython driver's loaded from this
  venv's site-packages, same frames;
- cm4_read_instr: the driver's I2C handling and checks (To maths and the fake bus subtracted);
- cm4_render_instr / _viper: a whole frame drawn (update="full"); cm4_overlay_instr;
  cm4_gray8_instr / _python; cm4_jpeg_instr; cm4_infer_instr (one classification with the shipped
  model, native kernels) / cm4_infer_instr_portable (its invoke on the viper kernels);
- cm4_loop_instr_<mode>, cm4_gc_per_frame_<mode>, cm4_lcd_bytes_<mode>: the whole app loop
  (main.py's App at the default settings, inference on every frame in infer mode) per frame, on
  a moving scene (tools/bench/cm4_scene.py: a person walking into view, sensor noise), so that
  drawing only what changed draws what a real scene changes; cm4_loop_instr_<mode>_default,
  wio_fps_estimate_<mode>_default (live, infer): the same loop in the form `make deploy` uses
  (stock firmware; only where the mode fits there);
- cm4_i2c_bytes_per_frame: the sensor bus bytes of a frame, addressing included;
- wio_fps_estimate_<mode>: frames/s on a Wio Terminal (see ``fps_estimate``), wio_fps_uncapped_<mode>
  without the sensor's refresh as a cap;
  wio_fps_estimate_<mode>_s<scale>_<lcd_update>: the same at other LCD settings;
- <key>_ratio: the figure over the issue's "today" figure (BASELINE; <1 is better);
- cm4_fits_<mode>_<form>, cm4_min_free_heap_<mode>_<form> (and _default): tools/cm4/heap_fit.py.

``python tools/bench/bench_cm4.py --no-heap`` skips the heap-fit runs (the slow part).
"""

import importlib.util
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "cm4"))

import cm4_scene  # noqa: E402  (tools/bench, this script's folder)
import heap_fit  # noqa: E402
from run import CM4  # noqa: E402

CPU_HZ = 120_000_000
LCD_SPI_HZ = 24_000_000  # the Wio profile's SPI(7) clock (lib/heatface/boards/wio_terminal.py)
REFRESH_HZ = 16  # the app's default sensor refresh_rate (heatface.app): 8 full frames/s at most
LOOP_FRAMES = 20
FORM = "frozen"  # code in flash, as on the custom firmware: the most heap for the measured work
LARGE_HEAP = 512 * 1024
SCENE = "/rom/cm4_scene.bin"
# the "today" figures (issue 10, before the native kernels; the lower end of a range)
BASELINE = {"cm4_to_instr": 7.6e6, "cm4_render_instr": 8.0e6, "cm4_infer_instr": 38.7e6,
            "cm4_gray8_instr": 1.65e6, "cm4_loop_instr_live": 16e6, "cm4_loop_instr_infer": 59e6}
# the LCD settings of the README's fps table (scale, lcd_update); the default is (9, "changed")
IO_SETTINGS = ((9, "full"), (6, "changed"), (6, "full"), (4, "changed"), (4, "full"))


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


def parse_paths(text):
    return dict(line.split()[1:3] for line in text.split("\n") if line.startswith("CM4PATH "))


def kernels(board):
    code = ("import cm4_kernels as k\nt = k.bench_to()\nk.bench_read()\nk.bench_render(t)\n"
            "k.bench_gray_jpeg(t)\n", "import cm4_kernels as k\nk.bench_infer(k.bench_to())\n",
            "import cm4_kernels as k\nk.bench_infer_portable()\n", "import cm4_kernels as k\nk.bench_adafruit()\n")
    k, paths = {}, {}
    for i, c in enumerate(code):
        if i:
            board.reset()
        text = board.exec(c)
        paths.update(parse_paths(text))
        k.update(parse("\n".join(line for line in text.split("\n") if not line.startswith("CM4PATH "))))
    print("    default paths: %s" % paths)
    return k, paths


def loop(board, mode, settings=None, frames=LOOP_FRAMES):
    board.reset()
    text = board.exec("import cm4_apprun\ncm4_apprun.run(%r, %d, measure_heap=False, checksum=False, "
                      "settings=%r, replay=%r)" % (mode, frames, settings or {}, SCENE))
    r = heap_fit.parse_apprun(text)
    ok = r and not r["errors"] and r["frames"] == frames
    print("    %s loop %s (%d-byte heap): %s" % (mode, settings or "", board.heap_bytes, r or text))
    return r if ok else None


def loops(board, files):
    out = {}
    for mode in ("live", "collect", "infer"):
        out[mode] = loop(board, mode)
    for scale, update in IO_SETTINGS:
        for mode in ("live", "infer"):
            out[(mode, scale, update)] = loop(board, mode, {"scale": scale, "lcd_update": update})
    if out["infer"] is None:
        # Infer mode does not fit the Wio heap in this form: count its loop on a larger heap
        # (fewer collections than it would need), said in the output and the README.
        with CM4(form=FORM, files=files, heap_bytes=LARGE_HEAP) as big:
            out["infer"] = loop(big, "infer")
    for mode, r in out.items():
        if r is None:
            raise SystemExit("cm4 %s loop failed" % (mode,))
    return out


def fps_estimate(loop_instr, i2c_bytes, lcd_bytes, i2c):
    """(frames/s, uncapped frames/s) of a Wio Terminal running a loop of ``loop_instr`` per frame.

    Compute: one instruction per cycle at 120 MHz (an upper bound: flash wait states, loads and
    branches cost more). I/O, which MicroPython's blocking calls do not overlap with compute: the
    frame's I2C bytes at the Wio profile's clock, 9 clocks a byte (8 bits and the ACK), and the
    frame's LCD bytes at 24 MHz SPI (8 clocks a byte; the drivers' command bytes per blit and the
    Python LCD driver's own work are not counted). The sensor measures while the board computes,
    so the frame rate is at most the sensor's (REFRESH_HZ subpages/s, two a frame): the estimate
    is the smaller of the two."""
    seconds = loop_instr / CPU_HZ + i2c_bytes * 9 / i2c + lcd_bytes * 8 / LCD_SPI_HZ
    uncapped = 1 / seconds
    return min(uncapped, REFRESH_HZ / 2), uncapped


def main():
    adafruit = importlib.util.find_spec("adafruit_mlx90640").origin
    pixels = os.path.join(ROOT, "out", "natmod", "armv7emsp", "heatface_pixels.mpy")
    if not os.path.isfile(pixels):
        raise SystemExit("%s is missing: make natmod-pixels" % pixels)
    files = {"/rom/cm4_kernels.py": os.path.join(ROOT, "tools", "bench", "cm4_kernels.py"),
             "/rom/adafruit_mlx90640.py": adafruit,
             SCENE: cm4_scene.scene_bytes(),
             "/lib/heatface_pixels.mpy": pixels}
    with CM4(form=FORM, files=files) as board:
        k, paths = kernels(board)
        runs = loops(board, files)
    default_form = {}
    with CM4(form="default", files=files) as board:  # the form make deploy uses, stock firmware
        for mode in ("live", "infer"):
            r = loop(board, mode)
            if r is not None:
                default_form[mode] = r
            else:
                print("    %s loop: does not run in the default form at the Wio heap (cm4_fits_%s_default)"
                      % (mode, mode))
    if paths.get("to") != "native" or paths.get("render") != "native" or paths.get("gray8") != "native" \
            or paths.get("infer") != "pure/native":
        raise SystemExit("the default path on the board is not the native one: %s" % paths)
    res = {"cm4_" + n: v for n, v in k.items() if n.endswith("_instr") or n.endswith("_adafruit")
           or n.endswith("_python") or n.endswith("_viper") or n.endswith("_portable")}
    res["cm4_to_speedup_vs_adafruit"] = round(k["to_instr_adafruit"] / k["to_instr"], 2)
    i2c = i2c_hz()
    i2c_bytes = k["i2c_bytes_per_frame"] + 4 * k["i2c_transfers_per_frame"]  # addr + 16-bit register
    res["cm4_i2c_bytes_per_frame"] = i2c_bytes
    for key, r in runs.items():
        instr = r["us"] * 1000 // r["frames"]
        lcd = r["lcd_bytes"] // r["frames"]
        if isinstance(key, tuple):
            mode, scale, update = key
            fps, uncapped = fps_estimate(instr, i2c_bytes, lcd, i2c)
            suffix = "%s_s%d_%s" % (mode, scale, update)
            res["wio_fps_estimate_" + suffix] = round(fps, 2)
            res["wio_fps_uncapped_" + suffix] = round(uncapped, 2)
            res["cm4_loop_instr_" + suffix] = instr
            res["cm4_lcd_bytes_" + suffix] = lcd
            continue
        mode = key
        res["cm4_loop_instr_" + mode] = instr
        res["cm4_gc_per_frame_" + mode] = round(r["collections"] / r["frames"], 2)
        res["cm4_lcd_bytes_" + mode] = lcd
        if mode in ("live", "infer"):
            fps, uncapped = fps_estimate(instr, i2c_bytes, lcd, i2c)
            res["wio_fps_estimate_" + mode] = round(fps, 2)
            res["wio_fps_uncapped_" + mode] = round(uncapped, 2)
            print("    %s: compute %.1f ms, I2C %d B at %d Hz + LCD %d B at 24 MHz: %.1f fps (uncapped)"
                  % (mode, 1000 * instr / CPU_HZ, i2c_bytes, i2c, lcd, uncapped))
    for mode, r in default_form.items():
        instr = r["us"] * 1000 // r["frames"]
        fps, uncapped = fps_estimate(instr, i2c_bytes, r["lcd_bytes"] // r["frames"], i2c)
        res["cm4_loop_instr_%s_default" % mode] = instr
        res["wio_fps_estimate_%s_default" % mode] = round(fps, 2)
        res["wio_fps_uncapped_%s_default" % mode] = round(uncapped, 2)
    for key, today in BASELINE.items():
        # the default form's loops against the same figure as the frozen form's
        for k in (key, key + "_default") if key.startswith("cm4_loop_instr_") else (key,):
            if k in res:
                res[k + "_ratio"] = round(res[k] / today, 4)
                print("    %s: %d = %.3f x today's %.2f M" % (k, res[k], res[k + "_ratio"], today / 1e6))
    if "--no-heap" not in sys.argv:
        res.update(heap_fit.bench_keys())
    for name in sorted(res):
        print("BENCH %s %s" % (name, res[name]))


if __name__ == "__main__":
    main()
