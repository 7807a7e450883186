"""Synthetic thermal-face dataset: ``<label>.<n>.jpg`` files like the device's captures.

    python tools/make_faces.py --out data/synth --per-label 200 --identities 2 --seed 1

N identities (labels ``face0`` .. ``face<N-1>``), each a stable set of facial thermal traits
(:func:`thermal_scenes.make_identities`), plus an ``env`` class of scenes without a person
(empty room, warm mug, monitor, radiator, a pet-sized warm blob). Captures come in bursts, as
when someone holds a button: ``--burst`` consecutive numbers share a session (ambient, distance,
position, glasses on or off, background) with small pose changes and fresh sensor noise.

Every frame goes through the same path as a real capture: temperatures -> heatface.grayscale.to_gray8
-> heatface.jpeg.encode_gray, with a COM comment ``heatface t_lo=22.0 t_hi=37.0 ta=24.1 emissivity=0.95``.
``captures.csv`` records the bursts in the board's own format (heatface.storage:
``name,label,n,burst,ta,ms``, burst = the number of the burst's first capture), so training
reads synthetic and real captures the same way and keeps bursts together.
Deterministic by seed: identities come from ``seed``, each label's captures from (seed, label index).
"""

import argparse
import csv
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (os.path.join(HERE, "shims"), os.path.join(os.path.dirname(HERE), "lib"), HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import thermal_scenes as ts  # noqa: E402
from heatface.grayscale import T_HI, T_LO, to_gray8  # noqa: E402
from heatface.storage import MANIFEST_HEADER  # noqa: E402

DEFAULT_SEED = 1
DEFAULT_IDENTITIES = 2
DEFAULT_PER_LABEL = 200
DEFAULT_BURST = 5
EMISSIVITY = 0.95
ENV_LABEL = "env"
MANIFEST = "captures.csv"


def labels_for(identities):
    """The dataset's labels: face0..face<N-1> then env (the seed's A/B/C buttons for N=2)."""
    return ["face%d" % i for i in range(identities)] + [ENV_LABEL]


def comment_for(ta, t_lo=T_LO, t_hi=T_HI, emissivity=EMISSIVITY):
    """The JPEG COM text the capture code writes (parsed back by tools/train.py)."""
    return "heatface t_lo=%.1f t_hi=%.1f ta=%.1f emissivity=%.2f" % (t_lo, t_hi, ta, emissivity)


# Where and how the captures are made. "train" is the default data set; the others are held-out
# "new rooms" beyond its ranges, for measuring how a model generalizes (tools/train.py --holdout):
# people further away (a weak signal: a few warm pixels), hot objects (up to 45 degC) in every
# scene, ambient temperatures outside the training range, a noisier sensor.
ROOMS = {
    "train": {"ta": (18.0, 29.0), "head_h": (6.5, 13.5), "hot_p": 0.4, "hot_max": None, "noise": (0.1, 0.3),
              "chess": (0.0, 0.12), "pattern": (0.1, 0.5)},
    "far": {"ta": (19.0, 28.0), "head_h": (4.0, 6.5), "hot_p": 0.3, "hot_max": None, "noise": (0.1, 0.3),
            "chess": (0.0, 0.12), "pattern": (0.1, 0.5)},
    "hot": {"ta": (19.0, 28.0), "head_h": (7.0, 13.0), "hot_p": 1.0, "hot_max": 45.0, "noise": (0.1, 0.3),
            "chess": (0.0, 0.12), "pattern": (0.1, 0.5)},
    "drift": {"ta": (14.0, 17.5), "ta_alt": (29.5, 31.0), "head_h": (7.0, 13.0), "hot_p": 0.3, "hot_max": None,
              "noise": (0.1, 0.3), "chess": (0.0, 0.12), "pattern": (0.1, 0.5)},
    "noisy": {"ta": (19.0, 28.0), "head_h": (7.0, 13.0), "hot_p": 0.3, "hot_max": None, "noise": (0.4, 0.7),
              "chess": (0.15, 0.3), "pattern": (0.5, 1.0)},
}


def room_for(rng, room="train"):
    """The person-independent part of a session in the room profile ``room`` (see ROOMS)."""
    prof = ROOMS[room]
    lo, hi = prof["ta"]
    if "ta_alt" in prof and rng.random() < 0.5:
        lo, hi = prof["ta_alt"]
    scene = ts.random_room(rng, float(rng.uniform(lo, hi)))
    scene["noise"] = float(rng.uniform(*prof["noise"]))
    scene["chess"] = float(rng.uniform(*prof["chess"]))
    scene["fixed_pattern"] = scene["fixed_pattern"] * (float(rng.uniform(*prof["pattern"])) / 0.3)
    return scene


def hot_object(rng, ta, kind, room="train"):
    """A background object; in a room profile with ``hot_max``, as hot as that (mugs, radiators)."""
    obj = ts.random_object(rng, ta, kind)
    cap = ROOMS[room]["hot_max"]
    if cap is not None and "temp" in obj:
        obj["temp"] = float(rng.uniform(max(ta + 5.0, cap - 10.0), cap))
    elif cap is not None:
        obj["temp_delta"] = float(rng.uniform(4.0, 9.0))
    return obj


def face_session(identity, rng, room="train"):
    """A capture session of one identity: (room scene with person, pose dict)."""
    prof = ROOMS[room]
    scene = room_for(rng, room)
    if rng.random() < prof["hot_p"]:
        kind = str(rng.choice(["mug", "monitor", "radiator"]))
        obj = hot_object(rng, scene["ta"], kind, room)
        if kind != "mug":
            obj["x"] = float(rng.choice([3.0, 29.0]))  # at the side, mostly hidden behind the person
        scene["objects"] = [obj]
    room = scene
    pose = {
        "cx": float(rng.uniform(11.0, 21.0)), "cy": float(rng.uniform(7.0, 11.0)),
        "head_h": float(rng.uniform(*prof["head_h"])), "roll": float(rng.normal(0.0, 5.0)),
        "yaw": float(rng.uniform(-0.3, 0.3)),
        "skin": ts.skin_temperature(identity, room["ta"], rng),
        "glasses": bool(rng.random() < identity["glasses_habit"]),
        "clothing": float(rng.uniform(1.0, 4.5)),
    }
    return room, pose


def face_frame(identity, room, pose, rng):
    """One frame of a face session: the session pose plus a small jitter, rendered with noise."""
    scene = dict(room)
    scene["person"] = ts.person_for(
        identity,
        cx=pose["cx"] + rng.normal(0, 0.4), cy=pose["cy"] + rng.normal(0, 0.3),
        head_h=pose["head_h"] * (1 + rng.normal(0, 0.03)), ta=room["ta"],
        skin=pose["skin"] + rng.normal(0, 0.05), roll=pose["roll"] + rng.normal(0, 2.0),
        yaw=pose["yaw"] + rng.normal(0, 0.06), glasses=pose["glasses"], clothing=pose["clothing"])
    return ts.render_scene(scene, rng)


def env_session(rng, room="train"):
    """A session without a person: empty room or 1-2 warm objects (always one in a hot room)."""
    scene = room_for(rng, room)
    n = int(rng.choice([0, 1, 1, 1, 2]))
    if ROOMS[room]["hot_p"] >= 1.0:
        n = max(1, n)
    kinds = rng.choice(ts.OBJECT_KINDS, size=n, replace=False) if n else []
    scene["objects"] = [hot_object(rng, scene["ta"], str(k), room) for k in kinds]
    return scene


def env_frame(room, rng):
    """One frame of an env session: objects shift a little (a pet moves, the camera wobbles)."""
    scene = dict(room)
    objs = []
    for o in room["objects"]:
        o = dict(o)
        o["x"] += rng.normal(0, 0.8 if o["kind"] == "pet" else 0.2)
        o["y"] += rng.normal(0, 0.3 if o["kind"] == "pet" else 0.1)
        objs.append(o)
    scene["objects"] = objs
    return ts.render_scene(scene, rng)


def label_frames(label_index, n_labels, identities, count, seed, burst=DEFAULT_BURST, room="train"):
    """Yield (n, burst_id, ta, temps (24, 32)) for ``count`` captures of one label.

    ``seed`` drives the sessions (poses, rooms, noise); the identities are passed in.
    """
    rng = np.random.default_rng([seed, 1000 + label_index])
    is_env = label_index == n_labels - 1
    for n in range(count):
        if n % burst == 0:
            if is_env:
                session = env_session(rng, room)
            else:
                session = face_session(identities[label_index], rng, room)
        if is_env:
            temps, ta = env_frame(session, rng), session["ta"]
        else:
            temps, ta = face_frame(identities[label_index], session[0], session[1], rng), session[0]["ta"]
        yield n, n // burst, ta, temps


def generate_arrays(per_label, n_identities=DEFAULT_IDENTITIES, seed=DEFAULT_SEED, burst=DEFAULT_BURST,
                    t_lo=T_LO, t_hi=T_HI, session_seed=None, room="train"):
    """The dataset in memory (no JPEG): gray8 (N, 24, 32) uint8, temps (N, 24, 32), y, bursts, labels.

    ``session_seed`` (default ``seed``) draws new capture sessions of the same identities:
    fresh data for testing a model trained on the ``seed`` set.
    """
    identities = ts.make_identities(n_identities, seed)
    labels = labels_for(n_identities)
    sessions = seed if session_seed is None else session_seed
    gray, temps, ys, bursts = [], [], [], []
    for li, label in enumerate(labels):
        for n, b, ta, t in label_frames(li, len(labels), identities, per_label, sessions, burst, room):
            temps.append(t)
            gray.append(np.frombuffer(bytes(to_gray8(t.reshape(-1).tolist(), t_lo=t_lo, t_hi=t_hi)), np.uint8))
            ys.append(li)
            bursts.append("%s:%d" % (label, b))
    return (np.asarray(gray).reshape(-1, ts.ROWS, ts.COLS), np.asarray(temps), np.asarray(ys),
            np.asarray(bursts), labels)


def _clear_previous(out):
    """Remove the files a previous run listed in its manifest; refuse to mix with foreign JPEGs."""
    manifest = os.path.join(out, MANIFEST)
    listed = set()
    if os.path.exists(manifest):
        with open(manifest) as f:
            listed = {row["name"] for row in csv.DictReader(f)}
    foreign = [n for n in os.listdir(out) if n.lower().endswith(".jpg") and n not in listed]
    if foreign:
        raise SystemExit("%s already holds %d JPEGs this generator did not write (e.g. %s); "
                         "choose an empty --out folder" % (out, len(foreign), foreign[0]))
    for name in listed:
        path = os.path.join(out, name)
        if os.path.exists(path):
            os.remove(path)
    if os.path.exists(manifest):
        os.remove(manifest)


def generate(out, per_label=DEFAULT_PER_LABEL, n_identities=DEFAULT_IDENTITIES, seed=DEFAULT_SEED,
             burst=DEFAULT_BURST, quality=95, t_lo=T_LO, t_hi=T_HI, progress=None, room="train",
             session_seed=None):
    """Write ``<label>.<n>.jpg`` files and ``captures.csv`` into ``out``; return the manifest rows
    (dicts keyed by the manifest's columns). ``room``: a :data:`ROOMS` profile; ``session_seed``
    (default ``seed``): draws other sessions (rooms, poses) of the same ``seed`` identities."""
    from heatface.jpeg import encode_gray

    os.makedirs(out, exist_ok=True)
    _clear_previous(out)
    identities = ts.make_identities(n_identities, seed)
    labels = labels_for(n_identities)
    rows = []
    gray = bytearray(ts.PIXELS)
    for li, label in enumerate(labels):
        start = time.time()
        sessions = seed if session_seed is None else session_seed
        for n, b, ta, temps in label_frames(li, len(labels), identities, per_label, sessions, burst, room):
            to_gray8(temps.reshape(-1).tolist(), out=gray, t_lo=t_lo, t_hi=t_hi)
            data = encode_gray(gray, ts.COLS, ts.ROWS, quality=quality, comment=comment_for(ta, t_lo, t_hi))
            name = "%s.%d.jpg" % (label, n)
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
            # the board's ms clock: half a second per frame, a minute between bursts
            ms = 1000 + 500 * len(rows) + 60000 * (b + li * per_label)
            rows.append({"name": name, "label": label, "n": n, "burst": b * burst, "ta": "%.2f" % ta,
                         "ms": ms})
        if progress:
            progress("%-6s %4d images (%d bursts of %d) in %.1f s" % (
                label, per_label, (per_label + burst - 1) // burst, burst, time.time() - start))
    with open(os.path.join(out, MANIFEST), "w", newline="") as f:
        f.write(MANIFEST_HEADER)
        columns = MANIFEST_HEADER.strip().split(",")
        for row in rows:
            f.write(",".join(str(row.get(c, "")) for c in columns) + "\n")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/synth", help="output folder (default data/synth)")
    ap.add_argument("--per-label", type=int, default=DEFAULT_PER_LABEL, help="images per label (200)")
    ap.add_argument("--identities", type=int, default=DEFAULT_IDENTITIES, help="face identities (2)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (1)")
    ap.add_argument("--burst", type=int, default=DEFAULT_BURST, help="captures per session (5)")
    ap.add_argument("--quality", type=int, default=95, help="JPEG quality (95)")
    ap.add_argument("--room", default="train", choices=sorted(ROOMS),
                    help="where the captures are made: train (default) or a held-out new room")
    ap.add_argument("--session-seed", type=int, default=None,
                    help="seed of the sessions (default --seed): other rooms, same identities")
    ap.add_argument("--t-lo", type=float, default=T_LO, help="gray 0 temperature, degC (22)")
    ap.add_argument("--t-hi", type=float, default=T_HI, help="gray 255 temperature, degC (37)")
    args = ap.parse_args(argv)
    if args.identities < 1 or args.per_label < 1 or args.burst < 1:
        ap.error("--identities, --per-label and --burst must be at least 1")
    start = time.time()
    print("make_faces: %d identities + env, %d per label, seed %d -> %s"
          % (args.identities, args.per_label, args.seed, args.out))
    rows = generate(args.out, args.per_label, args.identities, args.seed, args.burst, args.quality,
                    args.t_lo, args.t_hi, progress=lambda s: print("  " + s, flush=True), room=args.room,
                    session_seed=args.session_seed)
    print("wrote %d images and %s in %.1f s" % (len(rows), MANIFEST, time.time() - start))


if __name__ == "__main__":
    main()
