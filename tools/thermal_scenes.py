"""Synthetic thermal scenes as the MLX90640 sees them: 24x32 float32 temperatures in degC.

A scene is a plain dict (see :func:`render_scene`): ambient temperature, an optional person
(head, face features, hair, neck, clothing, optional glasses and mask), background objects
(warm mug, monitor, radiator, pet-sized warm blob) and sensor noise. Scenes are drawn at
``oversample`` times the sensor resolution, blurred a little (optics) and area-averaged down to
32x24, because each sensor pixel integrates the radiance over its field of view.

Frames are row-major: ``frame.reshape(-1)[row * 32 + col]`` is Melexis pixel ``row * 32 + col``.

Temperatures are what the sensor reports at emissivity 0.95, and follow the physiology of skin
seen in the long-wave infrared: skin 33-36 degC, the forehead and the inner eye corners warmest,
the nose and cheeks cooler, the face's rim cooler still (grazing view), hair a few degrees above
ambient, glasses opaque to LWIR (they show the reflected room, close to ambient), a mask a few
degrees below skin with a warm breathing spot.

Identities (:func:`make_identities`) are stable sets of facial traits; :func:`person_for` turns an
identity plus a pose into the ``person`` dict of a scene. Sequences over time
(:func:`walk_in_sequence`, :func:`empty_room_sequence`) drive the simulator and the demo.

Replay files: CSV, one frame per line ``ta,t0,t1,...,t767`` (ambient first, then the 768 pixel
temperatures in Melexis order, 2 decimals); ``.npy``: float32 array of shape (N, 769) in the same
column order.
"""

import math

import numpy as np

ROWS = 24
COLS = 32
PIXELS = ROWS * COLS

OBJECT_KINDS = ("mug", "monitor", "radiator", "pet")


# --------------------------------------------------------------------------- grid helpers

def _grid(oversample):
    """Sample centres of the oversampled grid, in sensor-pixel units (x right, y down)."""
    s = oversample
    ys = (np.arange(ROWS * s, dtype=np.float32) + 0.5) / s
    xs = (np.arange(COLS * s, dtype=np.float32) + 0.5) / s
    return np.meshgrid(xs, ys)


def _blur(field, sigma):
    """Separable Gaussian blur (edge-replicated) of a 2-D field; sigma in samples."""
    if sigma <= 0:
        return field
    radius = max(1, int(math.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k = (k / k.sum()).astype(np.float32)
    out = field
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)], mode="edge")
        acc = np.zeros_like(out)
        n = out.shape[axis]
        for i, w in enumerate(k):
            acc += w * (padded[i:i + n, :] if axis == 0 else padded[:, i:i + n])
        out = acc
    return out


def area_average(field, oversample):
    """Average each ``oversample`` x ``oversample`` block: the sensor integrates over its pixel."""
    s = oversample
    return field.reshape(ROWS, s, COLS, s).mean(axis=(1, 3))


def _bump(u, v, u0, v0, su, sv):
    return np.exp(-((u - u0) ** 2 / (su * su) + (v - v0) ** 2 / (sv * sv)))


def _smooth_noise(rng, amplitude, cells=(4, 5)):
    """A low-frequency random field (bilinear upsampling of a coarse grid) of 24x32 sensor pixels."""
    coarse = rng.normal(0.0, amplitude, size=(cells[0] + 1, cells[1] + 1)).astype(np.float32)
    ry = np.linspace(0, cells[0], ROWS)
    rx = np.linspace(0, cells[1], COLS)
    y0 = np.minimum(ry.astype(int), cells[0] - 1)
    x0 = np.minimum(rx.astype(int), cells[1] - 1)
    fy = (ry - y0)[:, None]
    fx = (rx - x0)[None, :]
    c00 = coarse[y0][:, x0]
    c01 = coarse[y0][:, x0 + 1]
    c10 = coarse[y0 + 1][:, x0]
    c11 = coarse[y0 + 1][:, x0 + 1]
    return ((1 - fy) * ((1 - fx) * c00 + fx * c01) + fy * ((1 - fx) * c10 + fx * c11)).astype(np.float32)


# --------------------------------------------------------------------------- painters

def _paint_background(X, Y, ta, bg):
    gradient = bg.get("gradient", 0.6)  # warmer ceiling, cooler floor
    return (ta + gradient * (0.5 - Y / ROWS)).astype(np.float32)


def _paint_person(T, X, Y, p, ta):
    """Paint a head-and-shoulders person into the oversampled field ``T`` (in place)."""
    cx, cy = p["cx"], p["cy"]
    b = p["head_h"] / 2.0
    yaw = p.get("yaw", 0.0)
    a = b * p["aspect"] * (1.0 - 0.12 * abs(yaw))
    skin = p["skin"]
    r = math.radians(p.get("roll", 0.0))
    cr, sr = math.cos(r), math.sin(r)
    dx, dy = X - cx, Y - cy
    u = (dx * cr + dy * sr) / a
    v = (-dx * sr + dy * cr) / b

    # clothing: shoulders under the head, rounded top
    shoulder_w = p.get("shoulder_w", 2.6) * a
    top = b * 1.25
    sh = (dy > top + 0.35 * b * (dx / shoulder_w) ** 2 * 2.0) & (np.abs(dx) < shoulder_w)
    T[sh] = ta + p.get("clothing", 2.5)
    # neck
    neckline = top + 0.15 * b + 0.25 * b * (1.0 - np.abs(dx) / (p.get("neck_w", 0.55) * a))
    neck = (np.abs(dx - 0.3 * yaw * a) < p.get("neck_w", 0.55) * a) & (dy > 0.5 * b) & (dy < neckline)
    T[neck] = skin - 0.6
    # ears: small cooler lobes on both sides (the one facing away hides behind the head)
    if p.get("ears", True):
        for side in (-1.0, 1.0):
            ue = side * (1.02 - 0.25 * yaw * side)
            ear = ((u - ue) / 0.16) ** 2 + ((v - 0.02) / 0.24) ** 2 <= 1.0
            T[ear] = skin - 1.4

    # hair volume behind/around the head (painted before the face so the face covers it)
    hv = p.get("hair_volume", 0.1)
    hair_t = ta + p.get("hair", 3.0)
    r2h = (u / (1.0 + hv)) ** 2 + ((v + 0.5 * hv) / (1.0 + hv)) ** 2
    hair_cap = (r2h <= 1.0) & (v < p.get("hair_sides", -0.2))
    T[hair_cap] = hair_t + 0.4 * (1.0 - np.clip(r2h, 0, 1))[hair_cap]

    head = u * u + v * v <= 1.0
    uf = u - 0.32 * yaw  # features move toward the side the head turns to
    face = (skin
            - p.get("rim", 1.6) * np.clip(u * u + v * v, 0, 1) ** 2
            + p["forehead"] * _bump(uf, v, 0.0, -0.45, 0.55, 0.22)
            + p["eye"] * (_bump(uf, v, -p["eye_sep"] + 0.1, p["eye_v"], 0.1, 0.08)
                          + _bump(uf, v, p["eye_sep"] - 0.1, p["eye_v"], 0.1, 0.08))
            + p["nose"] * _bump(uf, v, 0.0, 0.22, 0.12, 0.2)
            + p["cheek"] * (_bump(uf, v, -0.52, 0.3, 0.2, 0.2) + _bump(uf, v, 0.52, 0.3, 0.2, 0.2))
            + p["mouth"] * _bump(uf, v, 0.0, 0.58, 0.24, 0.08))
    # hairline (arched) and hair on the sides of the face; the far side shows more hair when turned
    hairline = p.get("hairline", -0.55) + 0.35 * uf * uf
    side_limit = 0.82 - 0.3 * yaw * np.sign(u)
    hair_sides = p.get("hair_sides", -0.2)
    hair = head & ((v < hairline) | ((np.abs(u) > side_limit) & (v < hair_sides)))
    skin_px = head & ~hair
    T[skin_px] = face[skin_px]
    T[hair] = hair_t + 0.3 * (1.0 - (u * u + v * v))[hair]

    beard = p.get("beard", 0.0)
    if beard > 0:
        bz = skin_px & (v > 0.38) & ~((np.abs(uf) < 0.2) & (np.abs(v - 0.58) < 0.06))
        bz |= skin_px & (np.abs(uf) > 0.55) & (v > 0.1)
        T[bz] = (skin - beard * 3.0) * 0.7 + 0.3 * T[bz]
    if p.get("mask", False):
        mz = skin_px & (v > 0.12) & (np.abs(uf) < 0.9)
        T[mz] = skin + p.get("mask_t", -3.0) + 1.2 * _bump(uf, v, 0.0, 0.45, 0.3, 0.15)[mz]
    if p.get("glasses", False):
        g_t = ta + p.get("glasses_t", 1.5)
        lens = np.zeros_like(head)
        for side in (-1.0, 1.0):
            lens |= (np.abs(uf - side * p["eye_sep"]) < 0.2) & (np.abs(v - p["eye_v"]) < 0.13)
        bridge = (np.abs(uf) < p["eye_sep"]) & (np.abs(v - p["eye_v"] + 0.06) < 0.03)
        lens &= head
        T[lens] = g_t
        T[bridge & head] = g_t + 2.0


def _paint_object(T, X, Y, o, ta):
    kind = o["kind"]
    x, y = o["x"], o["y"]
    if kind == "mug":
        h = o.get("size", 2.5)
        w = 0.8 * h
        body = (np.abs(X - x) < w / 2) & (np.abs(Y - y) < h / 2)
        T[body] = o["temp"] - 4.0 * (Y[body] - (y - h / 2)) / h  # hot liquid near the top
        handle = ((X - x - w / 2 - 0.2 * h) ** 2 / (0.25 * h) ** 2 + (Y - y) ** 2 / (0.3 * h) ** 2 <= 1) & ~body
        T[handle] = o["temp"] - 8.0
    elif kind == "monitor":
        w, h = o.get("w", 12.0), o.get("h", 8.0)
        frame = (np.abs(X - x) < w / 2) & (np.abs(Y - y) < h / 2)
        T[frame] = ta + o["temp_delta"] + 1.0
        screen = (np.abs(X - x) < w / 2 - 0.6) & (np.abs(Y - y) < h / 2 - 0.6)
        T[screen] = ta + o["temp_delta"] * (0.6 + 0.25 * (y + h / 2 - Y[screen]) / h)
        stand = (np.abs(X - x) < 0.8) & (Y >= y + h / 2) & (Y < y + h / 2 + 2.0)
        T[stand] = ta + 1.0
    elif kind == "radiator":
        w, h = o.get("w", 14.0), o.get("h", 6.0)
        body = (np.abs(X - x) < w / 2) & (np.abs(Y - y) < h / 2)
        fins = 0.5 + 0.5 * np.cos(2 * math.pi * (X - x) / o.get("pitch", 1.6))
        T[body] = (ta + (o["temp"] - ta) * (0.75 + 0.25 * fins))[body]
    elif kind == "pet":
        s = o.get("size", 5.0)
        facing = o.get("facing", 1.0)
        body = ((X - x) / (0.9 * s)) ** 2 + ((Y - y) / (0.45 * s)) ** 2 <= 1
        T[body] = o["temp"]
        hx, hy = x + facing * 0.85 * s, y - 0.35 * s
        head = ((X - hx) ** 2 + (Y - hy) ** 2) <= (0.32 * s) ** 2
        T[head] = o["temp"] + 1.0
        for ex in (-0.12, 0.12):
            eye = ((X - hx - ex * s) ** 2 + (Y - hy + 0.05 * s) ** 2) <= (0.06 * s) ** 2
            T[eye] = o["temp"] + 4.0
        tail = (np.abs(Y - y + 0.1 * s) < 0.12 * s) & (facing * (X - x) < -0.8 * s) & (facing * (X - x) > -1.5 * s)
        T[tail] = o["temp"] - 1.0
    else:
        raise ValueError("unknown object kind %r (expected one of %s)" % (kind, ", ".join(OBJECT_KINDS)))


# --------------------------------------------------------------------------- rendering

def render_scene(scene, rng=None, oversample=4):
    """Render one scene dict to a (24, 32) float32 array of temperatures in degC.

    Keys: ``ta`` (ambient, degC); ``background`` ({"gradient", "texture"} in degC, optional);
    ``objects`` (list of dicts with "kind" in :data:`OBJECT_KINDS` and x/y in sensor pixels);
    ``person`` (dict from :func:`person_for`, or None); ``noise`` (per-pixel sigma, degC);
    ``chess`` (amplitude of the MLX90640 chess-pattern offset); ``fixed_pattern`` (a (24, 32)
    array added as is, e.g. a session's background texture). ``rng`` (numpy Generator) draws
    the sensor noise; without it the frame is noise-free.
    """
    ta = float(scene["ta"])
    X, Y = _grid(oversample)
    T = _paint_background(X, Y, ta, scene.get("background", {}))
    for obj in scene.get("objects", ()):
        if obj.get("behind", True):
            _paint_object(T, X, Y, obj, ta)
    if scene.get("person"):
        _paint_person(T, X, Y, scene["person"], ta)
    for obj in scene.get("objects", ()):
        if not obj.get("behind", True):
            _paint_object(T, X, Y, obj, ta)
    T = _blur(T, 0.35 * oversample)
    frame = area_average(T, oversample)
    fp = scene.get("fixed_pattern")
    if fp is not None:
        frame = frame + fp
    chess = scene.get("chess", 0.0)
    if chess:
        frame = frame + chess * ((np.add.outer(np.arange(ROWS), np.arange(COLS)) % 2) * 2.0 - 1.0)
    if rng is not None and scene.get("noise", 0.0) > 0:
        frame = frame + rng.normal(0.0, scene["noise"], size=frame.shape)
    return frame.astype(np.float32)


# --------------------------------------------------------------------------- identities

HAIR_STYLES = {
    # name: (hairline, hair_volume, hair_sides)
    "bald": (-0.97, 0.0, -1.5),
    "short": (-0.6, 0.06, -0.35),
    "medium": (-0.5, 0.14, 0.1),
    "long": (-0.45, 0.22, 0.75),
}


def random_identity(rng):
    """Draw one identity: a stable set of facial thermal traits (a plain dict)."""
    style = str(rng.choice(list(HAIR_STYLES)))
    return {
        "hair_style": style,
        "aspect": float(rng.uniform(0.68, 0.92)),
        "size": float(rng.uniform(0.9, 1.1)),  # head size relative to the population
        "skin_offset": float(rng.normal(0.0, 0.25)),
        "forehead": float(rng.uniform(0.6, 1.6)),
        "eye": float(rng.uniform(0.8, 1.8)),
        "nose": float(rng.uniform(-3.0, -0.8)),
        "cheek": float(rng.uniform(-1.6, -0.2)),
        "mouth": float(rng.uniform(-0.4, 0.9)),
        "eye_sep": float(rng.uniform(0.3, 0.42)),
        "eye_v": float(rng.uniform(-0.12, 0.02)),
        "hair": float(rng.uniform(1.5, 4.5)),
        "hairline_shift": float(rng.uniform(-0.08, 0.08)),
        "beard": float(rng.choice([0.0, 0.0, 1.0])),
        "glasses_habit": float(rng.choice([0.0, 0.05, 0.95])),
        "neck_w": float(rng.uniform(0.42, 0.65)),
        "shoulder_w": float(rng.uniform(2.2, 3.0)),
        "ears": bool(rng.random() < 0.6),
    }


def _strong_difference(a, b):
    """Always-visible differences at 32x24: hair style (ordinal steps) and beard.

    Glasses are a habit, not always worn, so they count only in :func:`identity_distance`.
    """
    styles = list(HAIR_STYLES)
    d = abs(styles.index(a["hair_style"]) - styles.index(b["hair_style"]))
    d += 1.0 * ((a["beard"] > 0) != (b["beard"] > 0))
    return d


def identity_distance(a, b):
    """How different two identities look: strong cues, glasses habit, shape and temperatures."""
    d = _strong_difference(a, b)
    d += 1.5 * (abs(a["glasses_habit"] - b["glasses_habit"]) > 0.5)
    d += 0.5 * (a["ears"] != b["ears"])
    d += abs(a["aspect"] - b["aspect"]) / 0.24
    d += abs(a["nose"] - b["nose"]) / 2.2 + abs(a["cheek"] - b["cheek"]) / 1.4
    d += abs(a["eye_sep"] - b["eye_sep"]) / 0.12
    return d


def make_identities(n, seed):
    """``n`` identities, deterministic by ``seed``, each clearly different from the others.

    Candidates are drawn in order and rejected while they resemble an earlier identity: they
    need at least 2 always-visible differences (hair style steps, beard) and an overall
    :func:`identity_distance` of 3.5; both thresholds relax if no candidate fits (many identities).
    """
    rng = np.random.default_rng([seed, 7919])
    ids = []
    strong, threshold = 2.0, 3.5
    while len(ids) < n:
        for _ in range(300):
            cand = random_identity(rng)
            if all(_strong_difference(cand, o) >= strong and identity_distance(cand, o) >= threshold
                   for o in ids):
                break
        else:
            # relax; below 0.5 the thresholds drop to 0 (more identities than distinct looks)
            strong = strong * 0.8 if strong * 0.8 >= 0.5 else 0.0
            threshold = threshold * 0.85 if threshold * 0.85 >= 0.5 else 0.0
            continue
        ids.append(cand)
    return ids


def skin_temperature(identity, ta, rng=None):
    """Base skin temperature of a session: a little higher in a warm room, varies day to day."""
    t = 34.0 + identity.get("skin_offset", 0.0) + 0.12 * (ta - 24.0)
    if rng is not None:
        t += rng.normal(0.0, 0.35)
    return t


def person_for(identity, cx, cy, head_h, ta, skin, roll=0.0, yaw=0.0, glasses=None, mask=False,
               clothing=2.5):
    """The ``person`` dict of a scene: an identity's traits at a pose (sensor-pixel units).

    ``clothing`` (degC above ambient) belongs to the session, not the identity: people change clothes.
    """
    hairline, volume, sides = HAIR_STYLES[identity["hair_style"]]
    if glasses is None:
        glasses = identity["glasses_habit"] >= 0.5
    return {
        "cx": cx, "cy": cy, "head_h": head_h * identity["size"], "aspect": identity["aspect"],
        "roll": roll, "yaw": yaw, "skin": skin,
        "forehead": identity["forehead"], "eye": identity["eye"], "nose": identity["nose"],
        "cheek": identity["cheek"], "mouth": identity["mouth"],
        "eye_sep": identity["eye_sep"], "eye_v": identity["eye_v"],
        "hair": identity["hair"], "hairline": hairline + identity["hairline_shift"],
        "hair_volume": volume, "hair_sides": sides, "beard": identity["beard"],
        "neck_w": identity["neck_w"], "shoulder_w": identity["shoulder_w"],
        "clothing": clothing, "ears": identity["ears"],
        "glasses": bool(glasses), "glasses_t": 1.5, "mask": bool(mask), "mask_t": -3.0,
    }


# --------------------------------------------------------------------------- random scenes

def random_object(rng, ta, kind=None):
    """One background object of ``kind`` (random kind when None) somewhere plausible."""
    kind = kind or str(rng.choice(OBJECT_KINDS))
    if kind == "mug":
        return {"kind": "mug", "x": float(rng.uniform(3, 29)), "y": float(rng.uniform(14, 21)),
                "size": float(rng.uniform(1.8, 3.5)), "temp": float(rng.uniform(38, 60)), "behind": False}
    if kind == "monitor":
        return {"kind": "monitor", "x": float(rng.uniform(6, 26)), "y": float(rng.uniform(8, 14)),
                "w": float(rng.uniform(8, 18)), "h": float(rng.uniform(6, 11)),
                "temp_delta": float(rng.uniform(2.0, 7.0))}
    if kind == "radiator":
        return {"kind": "radiator", "x": float(rng.uniform(6, 26)), "y": float(rng.uniform(15, 21)),
                "w": float(rng.uniform(8, 20)), "h": float(rng.uniform(3, 7)),
                "pitch": float(rng.uniform(1.2, 2.2)), "temp": float(rng.uniform(32, 55))}
    if kind == "pet":
        return {"kind": "pet", "x": float(rng.uniform(6, 26)), "y": float(rng.uniform(10, 19)),
                "size": float(rng.uniform(3.5, 7.0)), "temp": float(rng.uniform(28.0, 33.0)),
                "facing": float(rng.choice([-1.0, 1.0])), "behind": False}
    raise ValueError("unknown object kind %r" % kind)


def random_room(rng, ta=None):
    """The person-independent part of a scene: ambient, background texture, sensor noise."""
    if ta is None:
        ta = float(rng.uniform(19.0, 28.0))
    return {
        "ta": ta,
        "background": {"gradient": float(rng.uniform(-0.3, 1.2))},
        "fixed_pattern": _smooth_noise(rng, float(rng.uniform(0.1, 0.5))),
        "objects": [],
        "noise": float(rng.uniform(0.1, 0.3)),
        "chess": float(rng.uniform(0.0, 0.12)),
    }


# --------------------------------------------------------------------------- sequences

def walk_in_sequence(identity, n_frames, rng, room=None, from_left=True, glasses=None):
    """Scenes of a person walking in, stopping in front of the camera, turning a little, leaving.

    Returns a list of ``n_frames`` scene dicts sharing one room; render each with
    :func:`render_scene`. Roughly: 20% entering, 60% facing the camera (small turns and sway,
    closer then further), 20% leaving on the other side. ``glasses``: None = the identity's habit.
    """
    room = room or random_room(rng)
    ta = room["ta"]
    skin = skin_temperature(identity, ta, rng)
    if glasses is None:
        glasses = identity["glasses_habit"] >= 0.5
    side = -1.0 if from_left else 1.0
    scenes = []
    n_in = max(1, n_frames // 5)
    n_out = max(1, n_frames // 5)
    n_mid = max(1, n_frames - n_in - n_out)
    for i in range(n_frames):
        if i < n_in:
            f = (i + 1) / n_in
            cx, head_h, yaw = 16 + side * 22 * (1 - f), 9.0, -side * 0.5 * (1 - f)
        elif i < n_in + n_mid:
            f = (i - n_in) / n_mid
            cx = 16 + 1.5 * math.sin(2 * math.pi * f)
            head_h = 10.0 + 2.5 * math.sin(math.pi * f)
            yaw = 0.3 * math.sin(4 * math.pi * f)
        else:
            f = (i - n_in - n_mid + 1) / n_out
            cx, head_h, yaw = 16 - side * 22 * f, 9.0, side * 0.5 * f
        scene = dict(room)
        scene["person"] = person_for(identity, cx, 9.0 + 0.4 * math.sin(i * 0.3), head_h, ta, skin,
                                     roll=3.0 * math.sin(i * 0.17), yaw=yaw, glasses=glasses)
        scenes.append(scene)
    return scenes


def empty_room_sequence(n_frames, rng, room=None, objects=None):
    """Scenes of a room without a person; a hot mug (if any) cools slowly."""
    room = dict(room or random_room(rng))
    if objects is None:
        objects = [random_object(rng, room["ta"], k) for k in rng.choice(OBJECT_KINDS, size=2, replace=False)]
    scenes = []
    for i in range(n_frames):
        objs = []
        for o in objects:
            o = dict(o)
            if o["kind"] == "mug":
                o["temp"] = room["ta"] + (o["temp"] - room["ta"]) * math.exp(-i / 2000.0)
            objs.append(o)
        scene = dict(room)
        scene["objects"] = objs
        scenes.append(scene)
    return scenes


def render_sequence(scenes, rng=None, oversample=4):
    """Render scene dicts to (ambients (N,), frames (N, 768)) float32 arrays."""
    frames = np.empty((len(scenes), PIXELS), dtype=np.float32)
    ambients = np.empty(len(scenes), dtype=np.float32)
    for i, scene in enumerate(scenes):
        frames[i] = render_scene(scene, rng, oversample).reshape(-1)
        ambients[i] = scene["ta"]
    return ambients, frames


# --------------------------------------------------------------------------- replay files

def write_replay_csv(path, ambients, frames, header=None):
    """Write frames as CSV, one line per frame: ``ta,t0,...,t767`` with 2 decimals.

    ``header`` (optional) becomes a first line starting with ``#``; readers skip such lines.
    """
    frames = np.asarray(frames, dtype=np.float32).reshape(len(ambients), PIXELS)
    with open(path, "w") as f:
        if header:
            f.write("# %s\n" % header.replace("\n", " "))
        for ta, frame in zip(ambients, frames):
            f.write("%.2f," % ta)
            f.write(",".join("%.2f" % t for t in frame))
            f.write("\n")


def read_replay_csv(path):
    """Read a replay CSV back: (ambients (N,), frames (N, 768)) float32 arrays."""
    rows = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            values = line.split(",")
            if len(values) != PIXELS + 1:
                raise ValueError("%s line %d: expected %d values (ta + 768 pixels), found %d"
                                 % (path, lineno, PIXELS + 1, len(values)))
            rows.append([float(v) for v in values])
    data = np.asarray(rows, dtype=np.float32).reshape(-1, PIXELS + 1)
    return data[:, 0], data[:, 1:]


def save_replay_npy(path, ambients, frames):
    """Save frames as a float32 .npy of shape (N, 769): column 0 ambient, then 768 pixels."""
    frames = np.asarray(frames, dtype=np.float32).reshape(len(ambients), PIXELS)
    np.save(path, np.concatenate([np.asarray(ambients, np.float32)[:, None], frames], axis=1))


def load_replay_npy(path):
    """Load a .npy replay: (ambients (N,), frames (N, 768))."""
    data = np.load(path)
    if data.ndim != 2 or data.shape[1] != PIXELS + 1:
        raise ValueError("%s: expected shape (N, %d), found %s" % (path, PIXELS + 1, data.shape))
    return data[:, 0].astype(np.float32), data[:, 1:].astype(np.float32)
