"""The camera conveniences in `make demo`'s pictures: short sessions of main.py on the simulated
board, each with its setting, from the middle of the demo scene (a face in view).

- ``feature_markers_alarm_f.png``: hottest/coldest markers with their temperatures, in degF, and
  the alarm (threshold 34 degC: the image border flashes red, the status line says ALARM).
- ``feature_mirror.png``: the same moment mirrored left-right (selfie use), markers on;
  ``feature_flip.png``: upside down.
- ``feature_freeze.png``: frozen with the 5-way switch's DOWN while the person walks on.
"""

import os


import lcd_frames
from demo import run_app
from heatface_sim.lcd import read_frames

START, LENGTH = 90, 24  # scene lines: face0 fully in view
ALARM_RED = (255, 0, 0)

SESSIONS = (
    ("feature_markers_alarm_f", {"markers": True, "units": "F", "alarm_c": 34.0}, "alarm"),
    ("feature_mirror", {"markers": True, "mirror": True}, "last"),
    ("feature_flip", {"markers": True, "flip": True}, "last"),
    # DOWN pressed at 0.4 s of virtual time (about frame 6), the scene moves on for 1 s
    ("feature_freeze", {"sim_buttons": [["DOWN", 400, 460]]}, "last"),
)


def sub_scene(scene, out_dir):
    """LENGTH frames of the demo scene from START, as a scene file of its own."""
    path = os.path.join(out_dir, "feature_scene.csv")
    with open(scene) as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    with open(path, "w") as f:
        f.writelines(lines[START:START + LENGTH])
    return path


def _pick(frames_path, rule):
    """The last frame, or for ``alarm`` the last one with the red border on."""
    chosen = None
    with open(frames_path, "rb") as f:
        for w, h, pixels in read_frames(f):
            img = lcd_frames.rgb565_to_image(w, h, pixels)
            if rule == "last" or img.getpixel((1, 1)) == ALARM_RED:
                chosen = img
    return chosen


def make(out_dir, scene):
    """Run each session; returns the paths of the pictures written."""
    work = os.path.join(out_dir, "features")
    os.makedirs(work, exist_ok=True)
    part = sub_scene(scene, work)
    written = []
    for name, config, rule in SESSIONS:
        config = dict(config, sim_frames=os.path.join(work, name + ".bin"), start_mode="live")
        run_app(work, part, LENGTH - 4, 1, sim_scene=part, **config)
        img = _pick(config["sim_frames"], rule)
        if img is None:
            raise SystemExit("demo: session %s shows no %s frame" % (name, rule))
        path = os.path.join(out_dir, name + ".png")
        img.save(path)
        written.append(path)
    written.append(contact_sheet(written, os.path.join(out_dir, "features.png")))
    return written


def contact_sheet(paths, out, columns=2, gap=8):
    """The pictures side by side in a grid (for the README)."""
    from PIL import Image

    images = [Image.open(p) for p in paths]
    w, h = images[0].size
    rows = (len(images) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * w + (columns - 1) * gap, rows * h + (rows - 1) * gap), (40, 40, 40))
    for i, img in enumerate(images):
        sheet.paste(img, ((i % columns) * (w + gap), (i // columns) * (h + gap)))
    sheet.save(out)
    return out
