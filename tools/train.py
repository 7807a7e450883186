"""Train the heatface CNN from labelled thermal JPEGs and export it as a full-integer int8 .tflite.

    python tools/train.py --data data/synth --out models [--epochs 80] [--quick] [--seed 1]

Input: ``<label>.<n>.jpg`` files (the label is the name before the first dot, as Edge Impulse
reads it). The 8-bit mapping's t_lo/t_hi come from the JPEG COM comments the capture code writes
(``heatface t_lo=22.0 t_hi=37.0 ...``; default 22/37) and must agree across the dataset.
Captures come in bursts of near-identical frames; the train/val/test split keeps each burst on
one side: bursts from ``manifest.csv`` (written by tools/make_faces.py) when present, else
consecutive numbers in blocks of ``--burst`` per label.

Model: a small CNN for a 24x32x1 int8 input built from CONV_2D, MAX_POOL_2D, RESHAPE,
FULLY_CONNECTED and SOFTMAX only (the ops the pure-MicroPython interpreter implements; the
export fails if the converter emits anything else). Network input: x = gray8 / 255.

Output in ``--out`` (``--name`` defaults to heatface): ``<name>.tflite`` (int8 input/output),
``<name>.labels.txt``, ``<name>.json`` (labels, t_lo, t_hi, input/output quantization, arena
size measured with the TFLM runtime, input shape, ...), ``report.md`` and ``confusion.png``.
"""

import argparse
import contextlib
import csv
import json
import math
import os
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

ROWS, COLS = 24, 32
DEFAULT_T_LO, DEFAULT_T_HI = 22.0, 37.0
ALLOWED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN",
               "FULLY_CONNECTED", "RESHAPE", "SOFTMAX")
_COMMENT_RE = re.compile(r"(t_lo|t_hi|ta|emissivity)=(-?[0-9.]+)")


# --------------------------------------------------------------------------- dataset

def parse_comment(comment):
    """Key/value pairs of a heatface COM comment (bytes or str); {} when absent."""
    if not comment:
        return {}
    if isinstance(comment, bytes):
        comment = comment.decode("utf-8", "replace")
    return {k: float(v) for k, v in _COMMENT_RE.findall(comment)}


def load_dataset(folder, burst=5):
    """Read ``<label>.<n>.jpg`` files from ``folder``.

    Returns a dict: ``x`` (N, 24, 32) uint8, ``labels`` (sorted names), ``y`` (N,) label indices,
    ``groups`` (N,) burst keys, ``files``, ``t_lo``, ``t_hi``.
    """
    if not os.path.isdir(folder):
        raise SystemExit("no dataset folder %r (generate one with: make data)" % folder)
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg")))
    if not names:
        raise SystemExit("no <label>.<n>.jpg files in %r" % folder)
    manifest = {}
    mpath = os.path.join(folder, "manifest.csv")
    if os.path.exists(mpath):
        with open(mpath) as f:
            manifest = {row["file"]: "%s:%s" % (row["label"], row["burst"]) for row in csv.DictReader(f)}
    images, labels_of, groups, ranges = [], [], [], set()
    for name in names:
        parts = name.split(".")
        label = parts[0]
        with Image.open(os.path.join(folder, name)) as im:
            meta = parse_comment(im.info.get("comment"))
            gray = np.asarray(im.convert("L"), dtype=np.uint8)
        if gray.shape != (ROWS, COLS):
            raise SystemExit("%s is %dx%d; heatface images are %dx%d"
                             % (name, gray.shape[1], gray.shape[0], COLS, ROWS))
        ranges.add((meta.get("t_lo", DEFAULT_T_LO), meta.get("t_hi", DEFAULT_T_HI)))
        if name in manifest:
            group = manifest[name]
        else:
            n = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else len(groups)
            group = "%s:%d" % (label, n // burst)
        images.append(gray)
        labels_of.append(label)
        groups.append(group)
    if len(ranges) > 1:
        raise SystemExit("the JPEGs were captured with different t_lo/t_hi mappings %s; "
                         "train on one mapping at a time" % sorted(ranges))
    labels = sorted(set(labels_of))
    if len(labels) < 2:
        raise SystemExit("need at least two labels, found %s" % labels)
    t_lo, t_hi = ranges.pop()
    return {"x": np.stack(images), "labels": labels, "y": np.array([labels.index(l) for l in labels_of]),
            "groups": np.array(groups), "files": names, "t_lo": t_lo, "t_hi": t_hi}


def split_bursts(y, groups, seed, fractions=(0.7, 0.15, 0.15)):
    """Burst-aware stratified split: indices (train, val, test); a burst never straddles two sides."""
    rng = np.random.default_rng(seed)
    parts = ([], [], [])
    for c in np.unique(y):
        bursts = sorted(set(groups[y == c]))
        rng.shuffle(bursts)
        n = len(bursts)
        n_test = max(1, int(round(fractions[2] * n)))
        n_val = max(1, int(round(fractions[1] * n)))
        if n - n_test - n_val < 1:
            raise SystemExit("label %d has only %d bursts; need at least 3 to split" % (c, n))
        for side, chosen in enumerate((bursts[n_test + n_val:], bursts[n_test:n_test + n_val], bursts[:n_test])):
            parts[side].extend(np.flatnonzero(np.isin(groups, chosen) & (y == c)))
    return tuple(np.array(sorted(p)) for p in parts)


# --------------------------------------------------------------------------- augmentation

def augment(x, rng, shift=(2.0, 3.0), rot_deg=8.0, zoom=0.1, offset=12.0, noise=3.0):
    """Thermal-safe augmentation of (N, 24, 32) uint8 images -> float32 in gray units.

    Affine shifts, small rotations and zoom (bilinear, edges replicated), a global offset
    (a warmer or cooler day, in gray levels, clamped like the sensor mapping) and pixel noise.
    No flips and no colour jitter: left/right asymmetries and the absolute temperature scale
    can be identity cues.
    """
    n = len(x)
    ang = np.radians(rng.uniform(-rot_deg, rot_deg, n))
    sc = 1.0 + rng.uniform(-zoom, zoom, n)
    ty = rng.uniform(-shift[0], shift[0], n)
    tx = rng.uniform(-shift[1], shift[1], n)
    yy, xx = np.mgrid[0:ROWS, 0:COLS].astype(np.float32)
    yc, xc = yy - (ROWS - 1) / 2.0, xx - (COLS - 1) / 2.0
    cos, sin = (np.cos(ang) / sc)[:, None, None], (np.sin(ang) / sc)[:, None, None]
    sy = np.clip(cos * yc - sin * xc + (ROWS - 1) / 2.0 - ty[:, None, None], 0, ROWS - 1)
    sx = np.clip(sin * yc + cos * xc + (COLS - 1) / 2.0 - tx[:, None, None], 0, COLS - 1)
    y0 = np.minimum(np.floor(sy).astype(np.int64), ROWS - 2)
    x0 = np.minimum(np.floor(sx).astype(np.int64), COLS - 2)
    fy, fx = sy - y0, sx - x0
    flat = x.reshape(n, -1).astype(np.float32)
    base = y0 * COLS + x0

    def at(idx):
        return np.take_along_axis(flat, idx.reshape(n, -1), axis=1).reshape(n, ROWS, COLS)

    out = ((1 - fy) * ((1 - fx) * at(base) + fx * at(base + 1))
           + fy * ((1 - fx) * at(base + COLS) + fx * at(base + COLS + 1)))
    out += rng.uniform(-offset, offset, (n, 1, 1))
    out += rng.normal(0.0, noise, out.shape)
    return np.clip(out, 0.0, 255.0).astype(np.float32)


def to_input(gray):
    """Network input: x = gray8 / 255 with a channel axis."""
    return (np.asarray(gray, np.float32) / 255.0)[..., None]


# --------------------------------------------------------------------------- model

def build_model(n_classes, width=8):
    """The CNN: 3 x (3x3 conv + ReLU + 2x2 max-pool), flatten, dropout, dense softmax."""
    import keras
    from keras import layers

    inp = keras.Input((ROWS, COLS, 1), batch_size=1, name="gray")  # batch 1: Flatten -> RESHAPE only
    x = inp
    for mult in (1, 2, 3):
        x = layers.Conv2D(width * mult, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inp, out, name="heatface")


def count_macs(model):
    """Multiply-accumulates of one inference, from the Keras layers."""
    macs = 0
    for layer in model.layers:
        kind = type(layer).__name__
        shape = layer.output.shape
        if kind == "Conv2D":
            kh, kw = layer.kernel_size
            macs += shape[1] * shape[2] * shape[3] * kh * kw * layer.input.shape[-1]
        elif kind == "DepthwiseConv2D":
            kh, kw = layer.kernel_size
            macs += shape[1] * shape[2] * shape[3] * kh * kw
        elif kind == "Dense":
            macs += layer.input.shape[-1] * shape[-1]
    return int(macs)


def train_model(data, train, val, seed, epochs, patience, progress=print, batch=32, min_epochs=30):
    """Fit with per-epoch augmentation and early stopping on validation accuracy (best weights kept)."""
    import keras

    model = build_model(len(data["labels"]))
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng([seed, 17])
    xv, yv = to_input(data["x"][val]), data["y"][val]
    best, best_score, best_epoch, waited, history = None, None, 0, 0, []
    for epoch in range(epochs):
        t0 = time.time()
        xa = to_input(augment(data["x"][train], rng))
        h = model.fit(xa, data["y"][train], batch_size=batch, epochs=1, verbose=0, shuffle=True)
        vl, va = model.evaluate(xv, yv, batch_size=64, verbose=0)
        history.append((epoch + 1, h.history["loss"][0], h.history["accuracy"][0], vl, va))
        progress("epoch %3d  loss %.4f  acc %.3f  val_loss %.4f  val_acc %.3f  (%.1f s)"
                 % (epoch + 1, h.history["loss"][0], h.history["accuracy"][0], vl, va, time.time() - t0))
        # keep the best validation accuracy (ties: lower loss); the val split is a few bursts, so
        # its loss swings with a handful of confident mistakes while accuracy is the steadier signal
        score = (round(va, 4), -vl)
        if best_score is None or score > best_score:
            best, best_score, best_epoch, waited = model.get_weights(), score, epoch + 1, 0
        else:
            waited += 1
            if waited >= patience and epoch + 1 >= min_epochs:
                progress("early stop: no val improvement for %d epochs" % patience)
                break
    model.set_weights(best)
    progress("best epoch %d: val_acc %.3f val_loss %.4f" % (best_epoch, best_score[0], -best_score[1]))
    return model, history, best_epoch


# --------------------------------------------------------------------------- export

def convert_int8(model, representative):
    """Full-integer conversion (int8 input and output) with a representative dataset."""
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([representative[i:i + 1]] for i in range(len(representative)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with _quiet_fds():
        return conv.convert()


def model_ops(tflite_bytes):
    """Names of the builtin operators a .tflite flatbuffer uses, in operator-code order."""
    from tflite_micro import runtime
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb

    names = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    model = runtime.convert_bytearray_to_object(bytearray(tflite_bytes))
    return [names.get(runtime.get_builtin_code_from_operator_code(oc), "UNKNOWN")
            for oc in model.operatorCodes]


def check_ops(tflite_bytes):
    """Raise with a clear message if the model uses an op the pure interpreter lacks."""
    ops = model_ops(tflite_bytes)
    bad = [o for o in ops if o not in ALLOWED_OPS]
    if bad:
        raise SystemExit("the converted model uses %s, which heatface's interpreter does not implement "
                         "(allowed: %s)" % (", ".join(bad), ", ".join(ALLOWED_OPS)))
    return ops


@contextlib.contextmanager
def _quiet_fds():
    """Silence C-level stdout/stderr (TFLM and the converter print straight to the fds)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [null]:
            os.close(fd)


def tflm_interpreter(tflite_bytes, arena_size):
    """A TFLM interpreter, or None when ``arena_size`` is too small."""
    from tflite_micro import runtime

    try:
        with _quiet_fds():
            it = runtime.Interpreter.from_bytes(bytes(tflite_bytes), arena_size=arena_size)
            it.set_input(np.zeros((1, ROWS, COLS, 1), np.int8), 0)
            it.invoke()
        return it
    except RuntimeError:
        return None


def measure_arena(tflite_bytes, hi=256 * 1024):
    """The smallest arena (bytes, 16-byte steps) TFLM needs to allocate and invoke the model."""
    lo = 0
    if tflm_interpreter(tflite_bytes, hi) is None:
        raise SystemExit("TFLM cannot run the model even with a %d-byte arena" % hi)
    while hi - lo > 16:
        mid = (lo + hi) // 2 // 16 * 16
        if tflm_interpreter(tflite_bytes, mid) is None:
            lo = mid
        else:
            hi = mid
    return hi


def quantize_input(gray, scale, zero_point):
    """int8 network input for gray8 images (x = gray / 255), rounded and clamped."""
    q = np.round(np.asarray(gray, np.float32) / 255.0 / scale) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)[..., None]


def tflm_predict(tflite_bytes, arena_size, gray):
    """Run TFLM on gray8 images (N, 24, 32); returns (int8 scores (N, C), seconds per inference)."""
    it = tflm_interpreter(tflite_bytes, arena_size)
    if it is None:
        raise RuntimeError("TFLM failed with an arena of %d bytes" % arena_size)
    q = it.get_input_details(0)["quantization_parameters"]
    xq = quantize_input(gray, float(q["scales"][0]), int(q["zero_points"][0]))
    outs = []
    t0 = time.perf_counter()
    for i in range(len(xq)):
        it.set_input(xq[i:i + 1], 0)
        it.invoke()
        outs.append(np.array(it.get_output(0)).reshape(-1))
    dt = (time.perf_counter() - t0) / max(1, len(xq))
    return np.stack(outs), dt


# --------------------------------------------------------------------------- report

def confusion(y_true, y_pred, n):
    m = np.zeros((n, n), dtype=int)
    for t, p in zip(y_true, y_pred):
        m[t, p] += 1
    return m


def precision_recall(m):
    tp = np.diag(m).astype(float)
    prec = np.divide(tp, m.sum(0), out=np.zeros_like(tp), where=m.sum(0) > 0)
    rec = np.divide(tp, m.sum(1), out=np.zeros_like(tp), where=m.sum(1) > 0)
    return prec, rec


def confusion_png(m, labels, path, cell=64):
    """Write the confusion matrix (rows = true, columns = predicted) as a PNG with Pillow."""
    n = len(labels)
    margin = 70
    img = Image.new("RGB", (margin + n * cell + 10, margin + n * cell + 10), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    row_sums = np.maximum(m.sum(1, keepdims=True), 1)
    for i in range(n):
        for j in range(n):
            frac = m[i, j] / row_sums[i, 0]
            shade = int(255 - 200 * frac)
            x0, y0 = margin + j * cell, margin + i * cell
            d.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1],
                        fill=(shade, shade, 255) if i == j else (255, shade, shade), outline="gray")
            d.text((x0 + cell // 2 - 8, y0 + cell // 2 - 6), str(m[i, j]), fill="black", font=font)
        d.text((4, margin + i * cell + cell // 2 - 6), labels[i][:10], fill="black", font=font)
        d.text((margin + i * cell + 4, margin - 16), labels[i][:10], fill="black", font=font)
    d.text((margin, 6), "predicted ->", fill="black", font=font)
    d.text((4, margin - 30), "true", fill="black", font=font)
    img.save(path)


def write_report(path, info):
    """Markdown report next to the model."""
    lines = ["# heatface model report", "",
             "Dataset: `%s` (%d images, labels %s), t_lo/t_hi %.1f/%.1f degC."
             % (info["data"], info["n_images"], ", ".join(info["labels"]), info["t_lo"], info["t_hi"]),
             "Burst-aware split (train/val/test images): %d / %d / %d; seed %d; %d epochs (best at %d); "
             "training wall time %.1f s (whole run %.1f s)." % (
                 info["n_train"], info["n_val"], info["n_test"], info["seed"], info["epochs_run"],
                 info["best_epoch"], info["train_seconds"], info["total_seconds"]),
             "", "## Test split", "",
             "| metric | value |", "|---|---|",
             "| float accuracy | %.4f |" % info["float_accuracy"],
             "| int8 accuracy (TFLM) | %.4f |" % info["int8_accuracy"],
             "| int8/float agreement | %.4f |" % info["agreement"],
             "| model bytes (.tflite) | %d |" % info["model_bytes"],
             "| arena bytes (TFLM, host, minimum) | %d |" % info["arena_min"],
             "| arena bytes (metadata, with margin) | %d |" % info["arena_size"],
             "| MACs per inference | %d |" % info["macs"],
             "| parameters | %d |" % info["params"],
             "| TFLM latency on the host | %.3f ms |" % (info["latency_s"] * 1000),
             "| ops | %s |" % ", ".join(info["ops"]),
             "", "## Per class (int8, test split)", "",
             "| label | precision | recall | support |", "|---|---|---|---|"]
    for lab, p, r, s in zip(info["labels"], info["precision"], info["recall"], info["support"]):
        lines.append("| %s | %.4f | %.4f | %d |" % (lab, p, r, s))
    lines += ["", "## Confusion matrix (int8, rows = true, columns = predicted)", "",
              "| true \\ predicted | " + " | ".join(info["labels"]) + " |",
              "|---" * (len(info["labels"]) + 1) + "|"]
    for lab, row in zip(info["labels"], info["confusion"]):
        lines.append("| %s | %s |" % (lab, " | ".join(str(v) for v in row)))
    lines += ["", "![confusion matrix](confusion.png)", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


# --------------------------------------------------------------------------- main

def run(data_dir, out_dir, name="heatface", epochs=300, patience=40, seed=1, quick=False,
        burst=5, progress=print):
    """Train, export and report; returns the metadata dict written to ``<name>.json``."""
    import keras
    import tensorflow as tf

    start = time.time()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    data = load_dataset(data_dir, burst)
    train, val, test = split_bursts(data["y"], data["groups"], seed)
    progress("data: %d images, labels %s, t_lo/t_hi %.1f/%.1f, split %d/%d/%d (bursts kept together)"
             % (len(data["y"]), data["labels"], data["t_lo"], data["t_hi"], len(train), len(val), len(test)))
    if quick:
        epochs, patience = min(epochs, 3), 3
    t0 = time.time()
    model, history, best_epoch = train_model(data, train, val, seed, epochs, patience, progress,
                                             min_epochs=min(30, epochs))
    train_seconds = time.time() - t0

    xt, yt = data["x"][test], data["y"][test]
    float_pred = np.argmax(model.predict(to_input(xt), batch_size=1, verbose=0), axis=1)
    float_acc = float(np.mean(float_pred == yt))

    rep_idx = np.random.default_rng(seed).permutation(train)[:200]
    # a 0..255 ramp pins the input range to [0, 1]: input scale 1/255, zero point -128, so the
    # device's int8 input is simply gray - 128, whatever the dataset's brightest pixel
    ramp = np.linspace(0, 255, ROWS * COLS).reshape(1, ROWS, COLS)
    tfl = convert_int8(model, to_input(np.concatenate([ramp, data["x"][rep_idx]])))
    ops = check_ops(tfl)
    arena_min = measure_arena(tfl)
    arena_size = int(math.ceil((arena_min + 1024) / 512.0) * 512)  # margin for 32-bit targets' alignment
    scores, latency = tflm_predict(tfl, arena_size, xt)
    int8_pred = np.argmax(scores, axis=1)
    int8_acc = float(np.mean(int8_pred == yt))
    m = confusion(yt, int8_pred, len(data["labels"]))
    prec, rec = precision_recall(m)

    it = tflm_interpreter(tfl, arena_size)
    qi = it.get_input_details(0)["quantization_parameters"]
    qo = it.get_output_details(0)["quantization_parameters"]

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name + ".tflite"), "wb") as f:
        f.write(tfl)
    with open(os.path.join(out_dir, name + ".labels.txt"), "w") as f:
        f.write("\n".join(data["labels"]) + "\n")
    meta = {
        "labels": data["labels"], "t_lo": data["t_lo"], "t_hi": data["t_hi"],
        "input_scale": float(qi["scales"][0]), "input_zero_point": int(qi["zero_points"][0]),
        "output_scale": float(qo["scales"][0]), "output_zero_point": int(qo["zero_points"][0]),
        "arena_size": arena_size, "arena_min_host": arena_min,
        "input_shape": [1, ROWS, COLS, 1], "input": "gray8 / 255 (heatface.grayscale.to_gray8 with t_lo/t_hi)",
        "ops": ops, "model_bytes": len(tfl), "macs": count_macs(model), "params": int(model.count_params()),
        "test_float_accuracy": float_acc, "test_int8_accuracy": int8_acc, "seed": seed,
    }
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    split = {"train": [data["files"][i] for i in train], "val": [data["files"][i] for i in val],
             "test": [data["files"][i] for i in test]}
    with open(os.path.join(out_dir, name + ".split.json"), "w") as f:
        json.dump(split, f, indent=1)
    confusion_png(m, data["labels"], os.path.join(out_dir, "confusion.png"))
    write_report(os.path.join(out_dir, "report.md"), {
        "data": data_dir, "n_images": len(data["y"]), "labels": data["labels"], "t_lo": data["t_lo"],
        "t_hi": data["t_hi"], "n_train": len(train), "n_val": len(val), "n_test": len(test), "seed": seed,
        "epochs_run": len(history), "best_epoch": best_epoch, "train_seconds": train_seconds,
        "total_seconds": time.time() - start,
        "float_accuracy": float_acc, "int8_accuracy": int8_acc,
        "agreement": float(np.mean(int8_pred == float_pred)), "model_bytes": len(tfl),
        "arena_min": arena_min, "arena_size": arena_size, "macs": meta["macs"], "params": meta["params"],
        "latency_s": latency, "ops": ops, "precision": prec, "recall": rec, "support": m.sum(1),
        "confusion": m.tolist()})
    progress("test accuracy: float %.4f, int8 %.4f; model %d bytes, arena %d bytes (min %d), %d MACs, "
             "TFLM %.3f ms" % (float_acc, int8_acc, len(tfl), arena_size, arena_min, meta["macs"], latency * 1e3))
    progress("wrote %s/%s.{tflite,labels.txt,json,split.json}, report.md, confusion.png in %.1f s total"
             % (out_dir, name, time.time() - start))
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data/synth", help="folder of <label>.<n>.jpg (default data/synth)")
    ap.add_argument("--out", default="models", help="output folder (default models)")
    ap.add_argument("--name", default="heatface", help="model base name (default heatface)")
    ap.add_argument("--epochs", type=int, default=300, help="maximum epochs (300)")
    ap.add_argument("--patience", type=int, default=40, help="early-stopping patience in epochs (40)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--burst", type=int, default=5,
                    help="captures per burst when there is no manifest.csv (5)")
    ap.add_argument("--quick", action="store_true", help="at most 3 epochs (tests, smoke runs)")
    args = ap.parse_args(argv)
    run(args.data, args.out, args.name, args.epochs, args.patience, args.seed, args.quick, args.burst,
        progress=lambda s: print(s, flush=True))


if __name__ == "__main__":
    main()
