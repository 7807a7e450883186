"""`make replay REC=<file>`: play a raw recording through the simulated sensor's registers.

The real main.py runs under the MicroPython unix port on the simulated board, whose MLX90640 gives
the driver the recorded bytes, subpage by subpage: the app, the driver and the screen see what the
board saw. Writes the LCD frames (PNG + GIF) to out/replay/ and the temperatures of every frame to
out/replay/temps.npy (frames x 24 x 32, float32), and prints what the recording holds.

    python tools/replay.py REC [--mode live|collect|infer] [--every 2] [--out out/replay]
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")]

import lcd_frames  # noqa: E402
from heatface_sim.recording import read_recording  # noqa: E402

BIN = os.path.dirname(sys.executable)
DEVICE_MPY = os.path.join(ROOT, "out", "mpy", "device-x64")


def describe(path):
    """(settings, number of subpages, duration in s) of a recording; ValueError if it is not one."""
    rec = read_recording(path)
    try:
        ticks = [sp[0] for sp in rec.subpages()]
    finally:
        rec.close()
    span = (ticks[-1] - ticks[0]) / 1000.0 if len(ticks) > 1 else 0.0
    return rec.settings, len(ticks), span


def run(path, out_dir, mode="live", every=2, model=None):
    """Run main.py on the recording; returns the temperatures as an (N, 24, 32) float32 array."""
    settings, subpages, _ = describe(path)
    board_dir = os.path.join(out_dir, "board")
    os.makedirs(board_dir, exist_ok=True)
    temps_path = os.path.join(out_dir, "temps.f32")
    config = {
        "board": "sim", "start_mode": mode, "max_frames": subpages // 2,
        "refresh_rate": settings.get("refresh_rate", 16), "emissivity": settings.get("emissivity", 0.95),
        "model": model or os.path.join(ROOT, "models", "heatface.tflite"),
        "sim_recording": os.path.abspath(path), "sim_temps": temps_path, "max_read_failures": 1,
        "sim_frames": os.path.join(out_dir, "frames.bin"), "sim_frames_every": every,
        "markers": True,
    }
    with open(os.path.join(board_dir, "heatface.json"), "w") as f:
        json.dump(config, f, indent=1)
    env = dict(os.environ, MICROPYPATH=":".join([DEVICE_MPY, os.path.join(ROOT, "lib"),
                                                 os.path.join(ROOT, "tools")]))
    proc = subprocess.run([os.path.join(BIN, "micropython"), "-X", "heapsize=4M", os.path.join(ROOT, "main.py")],
                          cwd=board_dir, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr)
        raise SystemExit("replay: the app stopped with exit code %d" % proc.returncode)
    temps = np.fromfile(temps_path, dtype=np.float32).reshape(-1, 24, 32)
    os.remove(temps_path)
    return temps, proc.stdout


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recording")
    ap.add_argument("--mode", default="live", choices=("live", "collect", "infer"))
    ap.add_argument("--every", type=int, default=2, help="keep every n-th LCD frame (2)")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "replay"))
    args = ap.parse_args(argv)
    if not os.path.isdir(DEVICE_MPY):
        raise SystemExit("replay: run it through `make replay` (it builds %s first)" % DEVICE_MPY)
    try:
        settings, subpages, span = describe(args.recording)
    except (OSError, ValueError) as exc:
        raise SystemExit("replay: %s" % exc)
    print("replay: %s: %d subpages over %.1f s from board %r (refresh %s Hz, emissivity %s)"
          % (args.recording, subpages, span, settings.get("board"), settings.get("refresh_rate"),
             settings.get("emissivity")))
    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):
        if f.startswith("frame_") and f.endswith(".png"):
            os.remove(os.path.join(args.out, f))
    temps, output = run(args.recording, args.out, args.mode, args.every)
    np.save(os.path.join(args.out, "temps.npy"), temps)
    for line in output.splitlines()[-5:]:
        print("replay: board:", line)
    pngs, gif = lcd_frames.convert(os.path.join(args.out, "frames.bin"), args.out, fps=8)
    print("replay: %d frames, %.1f..%.1f degC; temperatures in %s, %d PNG frames and %s"
          % (len(temps), temps.min(), temps.max(), os.path.relpath(os.path.join(args.out, "temps.npy")),
             len(pngs), os.path.relpath(gif)))


if __name__ == "__main__":
    main()
