"""Write the scripted demo scene the simulator replays: each trained identity, then an empty room.

    python tools/make_demo_scene.py [--out out/demo_scene.csv] [--identities 2] [--seed 1]

Format (one frame per line, no header; lines starting with ``#`` are comments to skip):

    ta,t0,t1,...,t767

``ta`` is the sensor's ambient temperature and ``t0..t767`` the 768 pixel temperatures, all degC
with 2 decimals, pixel ``i`` = row ``i // 32``, column ``i % 32`` (Melexis order). The file starts
with a ``#`` line naming the script. Script (about 360 frames, 4 Hz capture rate in mind): an empty
room; then each identity in turn walks in, faces the camera with small turns, and leaves; between
and after them the empty room with a warm mug and a monitor. Identities are
``thermal_scenes.make_identities(n, seed)`` with make_faces' defaults, i.e. the ones the shipped
model was trained on.
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import make_faces  # noqa: E402
import thermal_scenes as ts  # noqa: E402


def demo_script(n_identities=make_faces.DEFAULT_IDENTITIES, seed=make_faces.DEFAULT_SEED,
                face_frames=120, empty_frames=40):
    """The demo's scenes and their expected labels: (list of scene dicts, list of label strings)."""
    rng = np.random.default_rng([seed, 4242])
    identities = ts.make_identities(n_identities, seed)
    room = ts.random_room(rng, ta=24.0)
    room["noise"], room["chess"] = 0.15, 0.05
    desk = [dict(ts.random_object(rng, room["ta"], "mug"), x=27.0, y=19.0, temp=55.0),
            dict(ts.random_object(rng, room["ta"], "monitor"), x=5.0, y=10.0, w=8.0, h=7.0)]
    scenes, labels = [], []
    empty = ts.empty_room_sequence(empty_frames, rng, room, objects=[])
    scenes += empty
    labels += [make_faces.ENV_LABEL] * len(empty)
    for i, identity in enumerate(identities):
        walk = ts.walk_in_sequence(identity, face_frames, rng, room, from_left=(i % 2 == 0))
        scenes += walk
        labels += ["face%d" % i] * len(walk)
        gap = ts.empty_room_sequence(empty_frames, rng, room, objects=desk if i % 2 == 0 else [])
        scenes += gap
        labels += [make_faces.ENV_LABEL] * len(gap)
    return scenes, labels


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="out/demo_scene.csv", help="CSV replay file (out/demo_scene.csv)")
    ap.add_argument("--identities", type=int, default=make_faces.DEFAULT_IDENTITIES)
    ap.add_argument("--seed", type=int, default=make_faces.DEFAULT_SEED)
    ap.add_argument("--labels", action="store_true", help="also write <out>.labels (expected label per line)")
    args = ap.parse_args(argv)
    scenes, labels = demo_script(args.identities, args.seed)
    ambients, frames = ts.render_sequence(scenes, np.random.default_rng([args.seed, 99]))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    ts.write_replay_csv(args.out, ambients, frames,
                        header="heatface demo scene: %d identities, seed %d, %d frames; line = ta,t0..t767"
                        % (args.identities, args.seed, len(frames)))
    if args.labels:
        with open(args.out + ".labels", "w") as f:
            f.write("\n".join(labels) + "\n")
    print("wrote %s: %d frames (%s)" % (args.out, len(frames), ", ".join(
        "%s x%d" % (lab, labels.count(lab)) for lab in sorted(set(labels)))))


if __name__ == "__main__":
    main()
