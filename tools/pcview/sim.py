"""``make view SIM=1``: the real main.py on the simulated board inside a virtual board (a pty that
behaves like a board's USB serial), so the view talks to it exactly as to a Wio Terminal."""

import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEVICE_MPY = os.path.join(ROOT, "out", "mpy", "device-x64")


def board_config(scene=None, recording=None, start_mode="collect"):
    """heatface.json for the simulated board (paths as the virtual board mounts them)."""
    config = {
        "board": "sim", "start_mode": start_mode, "sim_serial": "stdio", "sim_realtime": True,
        "sim_card_dir": "/sd", "sim_eeprom": "/data/mlx90640_example.bin",
        "model": "/models/heatface.tflite", "print_predictions": False, "markers": True,
    }
    if recording:
        config["sim_recording"] = "/rec/" + os.path.basename(recording)
    elif scene:
        config["sim_scene"] = "/scene/" + os.path.basename(scene)
    return config


def start(out_dir, recording=None, start_mode="collect"):
    """Start the virtual board running the app; returns the VirtualBoard (``.port``, ``.sd``)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from virtual_board import VirtualBoard

    if not os.path.isdir(DEVICE_MPY):
        raise SystemExit("view: run it through `make view SIM=1` (it builds %s first)" % DEVICE_MPY)
    root = os.path.join(out_dir, "board")
    sd = os.path.join(out_dir, "sd")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    os.makedirs(sd, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "main.py"), root)
    mounts = [(DEVICE_MPY, "/mpy"), (os.path.join(ROOT, "models"), "/models"),
              (os.path.join(ROOT, "tests", "data"), "/data")]
    scene = None
    if recording:
        mounts.append((os.path.dirname(os.path.abspath(recording)), "/rec"))
    else:
        import demo  # the scripted scene of `make demo`: people walking in and out

        scene, _ = demo.make_scene(out_dir)
        mounts.append((os.path.dirname(os.path.abspath(scene)), "/scene"))
    with open(os.path.join(root, "heatface.json"), "w") as f:
        json.dump(board_config(scene, recording, start_mode), f, indent=1)
    vb = VirtualBoard(root, sd=sd, mounts=mounts, paths=["/mpy"], heapsize="4M")
    return vb.start()
