"""`make demo`: the real app (main.py) on the simulated board under the MicroPython unix port.

Plays the scripted demo scene (tools/make_demo_scene.py: each identity the shipped model was
trained on walks in and out, then an empty room) through the simulated MLX90640 into main.py,
with the shipped model in infer mode. Writes the LCD frames as PNG files and an animated GIF to
out/demo/, and prints the on-board classifications against the scene's script.

    python tools/demo.py [--frames 360] [--every 3] [--out out/demo] [--recording REC.hfr]

With ``--recording`` the app plays a raw recording (tools/replay.py's format) instead of the
scene. Then short sessions show the camera conveniences (tools/demo_features.py): hottest and
coldest markers, degF, the temperature alarm, mirror, freeze -> out/demo/feature_*.png.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "tools"))

import lcd_frames  # noqa: E402

DEVICE_MPY = os.path.join(ROOT, "out", "mpy", "device-x64")


def make_scene(out_dir):
    """The demo scene and its per-frame expected labels (generated once, then reused)."""
    scene = os.path.join(out_dir, "scene.csv")
    if not os.path.exists(scene) or not os.path.exists(scene + ".labels"):
        print("demo: writing the scripted scene", scene)
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_demo_scene.py"),
                        "--out", scene, "--labels"], check=True)
    with open(scene + ".labels") as f:
        labels = [line.strip() for line in f if line.strip()]
    return scene, labels


def run_app(out_dir, scene, frames, every, **overrides):
    """Run main.py on the simulated board (``overrides``: more config keys, e.g.
    ``sim_recording``); return the app's console output."""
    board_dir = os.path.join(out_dir, "board")  # the simulated board's filesystem root
    card_dir = os.path.join(out_dir, "sd")
    shutil.rmtree(card_dir, ignore_errors=True)
    os.makedirs(board_dir, exist_ok=True)
    config = {
        "board": "sim",
        "start_mode": "infer",
        "max_frames": frames,
        "model": os.path.join(ROOT, "models", "heatface.tflite"),
        "sim_eeprom": os.path.join(ROOT, "tests", "data", "mlx90640_example.bin"),
        "sim_scene": scene,
        "sim_card_dir": card_dir,
        "sim_frames": os.path.join(out_dir, "frames.bin"),
        "sim_frames_every": every,
    }
    config.update(overrides)
    if config.get("sim_recording"):
        del config["sim_scene"]
    with open(os.path.join(board_dir, "heatface.json"), "w") as f:
        json.dump(config, f, indent=1)
    paths = [DEVICE_MPY, os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")]
    env = dict(os.environ, MICROPYPATH=":".join(paths))
    cmd = [os.path.join(BIN, "micropython"), "-X", "heapsize=4M", os.path.join(ROOT, "main.py")]
    start = time.time()
    proc = subprocess.run(cmd, cwd=board_dir, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr)
        raise SystemExit("demo: the app stopped with exit code %d" % proc.returncode)
    print("demo: %d frames in %.1f s on the MicroPython unix port" % (frames, time.time() - start))
    return proc.stdout


def confusion(output, expected):
    """Counts of (scripted label, on-board raw prediction) over the frames of the run."""
    raw = [line.split()[3][4:] for line in output.splitlines() if line.startswith("predict ")]
    counts = {}
    for want, got in zip(expected, raw):
        counts[(want, got)] = counts.get((want, got), 0) + 1
    return counts


def print_confusion(counts):
    labels = sorted({k[0] for k in counts} | {k[1] for k in counts})
    print("demo: scene (rows) vs the board's classification (columns), in frames:")
    print("demo:   %-8s" % "" + "".join("%8s" % label for label in labels))
    for want in labels:
        row = [counts.get((want, got), 0) for got in labels]
        if sum(row):
            print("demo:   %-8s" % want + "".join("%8d" % n for n in row))
    print("demo: (a person half in view, walking in or out, reads as env)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=360, help="frames to run (360: the whole scene)")
    ap.add_argument("--every", type=int, default=3, help="keep every n-th LCD frame (3)")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "demo"))
    ap.add_argument("--recording", help="play this raw recording instead of the scripted scene")
    args = ap.parse_args(argv)
    if not os.path.isdir(DEVICE_MPY):
        raise SystemExit("demo: run it through `make demo` (it builds %s first)" % DEVICE_MPY)
    os.makedirs(args.out, exist_ok=True)
    scene, expected = make_scene(args.out)
    if args.recording:
        from replay import describe

        _, subpages, _ = describe(args.recording)
        frames = min(args.frames, subpages // 2)
        run_app(args.out, scene, frames, args.every, sim_recording=os.path.abspath(args.recording),
                max_read_failures=1)
        print("demo: %d frames of %s" % (frames, args.recording))
    else:
        output = run_app(args.out, scene, args.frames, args.every)
        print_confusion(confusion(output, expected))
    for f in os.listdir(args.out):
        if f.startswith("frame_") and f.endswith(".png"):
            os.remove(os.path.join(args.out, f))
    pngs, gif = lcd_frames.convert(os.path.join(args.out, "frames.bin"), args.out, fps=10)
    print("demo: %d PNG frames in %s, animation %s" % (len(pngs), os.path.relpath(args.out), os.path.relpath(gif)))
    import demo_features

    for path in demo_features.make(args.out, scene):
        print("demo: feature picture", os.path.relpath(path))


if __name__ == "__main__":
    main()
