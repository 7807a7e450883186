"""Train the heatface CNN from labelled thermal JPEGs, evaluate it honestly, export full-int8.

    python tools/train.py --data data/synth [--data more/] --out models [--arch s2|all]
        [--holdout data/newroom/far ...] [--time-budget 600] [--folds 5] [--seed 1] [--quick]

Input: ``<label>.<n>.jpg`` files (the label is the name before the first dot) and the board's
``captures.csv`` manifest (tools/make_faces.py writes the same), whose burst column keeps each
burst's near-identical frames on one side of every split. Without it, consecutive numbers are
grouped in blocks of ``--block`` and the report says the split is not known to be burst-true.
Exact and near duplicate images are found and kept together.

Evaluation: stratified k-fold cross-validation grouped by burst (by session when every class has
enough sessions), each fold's model converted to int8 and run on TFLM; the same folds for three
baselines (majority class, hot-pixel count, logistic regression on pixels). Optional ``--holdout``
sets (e.g. synthetic new rooms) are scored by every fold's model and baseline. Then the final
model is trained on all data for the median best epoch count of the folds. ``--arch all`` does
this for every candidate of tools/architectures.py and keeps the best within the MAC budget.

Output in ``--out`` (``--name`` defaults to heatface): ``<name>.tflite`` (int8 input/output),
``<name>.labels.txt``, ``<name>.json`` (labels, t_lo, t_hi, input/output quantization, arena,
input shape, ops, MACs, CV figures), ``<name>.split.json`` (which file is in which fold),
``report.md``, ``confusion.png`` and, with several candidates, ``cost.png``.
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import architectures  # noqa: E402
import dataset  # noqa: E402
import evaluate as ev  # noqa: E402
import tflite_export as tx  # noqa: E402
import train_report  # noqa: E402

ROWS, COLS = 24, 32
FOLD_ARENA = 128 * 1024  # fold models only predict on the host: no need to find their smallest arena
MAC_BUDGET = 150_000  # ~3 M Cortex-M4 instructions per inference with native int8 kernels (issue 10)


# --------------------------------------------------------------------------- augmentation

def augment(x, rng, shift=(2.0, 3.0), rot_deg=8.0, zoom=0.15, offset=12.0, noise=3.0):
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
    tx_ = rng.uniform(-shift[1], shift[1], n)
    yy, xx = np.mgrid[0:ROWS, 0:COLS].astype(np.float32)
    yc, xc = yy - (ROWS - 1) / 2.0, xx - (COLS - 1) / 2.0
    cos, sin = (np.cos(ang) / sc)[:, None, None], (np.sin(ang) / sc)[:, None, None]
    sy = np.clip(cos * yc - sin * xc + (ROWS - 1) / 2.0 - ty[:, None, None], 0, ROWS - 1)
    sx = np.clip(sin * yc + cos * xc + (COLS - 1) / 2.0 - tx_[:, None, None], 0, COLS - 1)
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


# --------------------------------------------------------------------------- time budget

class Clock:
    """Epoch accounting for a predictable run: an epoch cap per fit from the time budget, and an
    ETA for the progress lines."""

    def __init__(self, budget_s, fits, max_epochs):
        self.start = time.time()
        self.budget = budget_s
        self.fits_left = fits
        self.max_epochs = max_epochs
        self.image_epoch_s = None  # measured seconds per training image per epoch
        self.provisional = True  # the only measurement so far includes building the graph

    def cap(self, n_images):
        """Epochs this fit may run so that the remaining fits still fit the budget."""
        if self.image_epoch_s is None:
            return self.max_epochs
        left = self.budget - (time.time() - self.start)
        per_fit = left / max(1, self.fits_left) / (self.image_epoch_s * n_images)
        return int(max(3, min(self.max_epochs, per_fit)))

    def record(self, n_images, seconds):
        rate = seconds / max(1, n_images)
        self.image_epoch_s = rate if self.image_epoch_s is None else 0.7 * self.image_epoch_s + 0.3 * rate

    def eta(self, epochs_left_this_fit, n_images):
        if self.image_epoch_s is None:
            return "?"
        future = (self.fits_left - 1) * self.cap(n_images)
        s = (epochs_left_this_fit + future) * self.image_epoch_s * n_images
        return "%dm%02ds" % divmod(int(s), 60)


# --------------------------------------------------------------------------- fitting

def fit(arch, data, fit_idx, val_idx, seed, epochs, patience, clock, tag, progress, lr=2e-3,
        min_epochs=20, batch=32):
    """Fit one model with fresh augmentation every epoch; early stopping on ``val_idx`` (best
    weights kept, ties: lower loss) when it is not empty, else exactly the epochs the clock allows.
    One Keras fit() call per model: per-call overhead would dominate such small epochs.
    Returns (model, best_epoch)."""
    import keras

    model = architectures.build(arch, len(data["labels"]))
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    n = len(fit_idx)
    state = {"cap": min(epochs, clock.cap(n)), "best": None, "score": None, "best_epoch": 0, "waited": 0,
             "t0": time.time(), "epochs": 0}

    class Augmented(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng([seed, 17])
            self.on_epoch_end()

        def __len__(self):
            return (n + batch - 1) // batch

        def on_epoch_end(self):
            order = self.rng.permutation(fit_idx)
            self.x, self.y = to_input(augment(data["x"][order], self.rng)), data["y"][order]

        def __getitem__(self, i):
            return self.x[i * batch:(i + 1) * batch], self.y[i * batch:(i + 1) * batch]

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            e = epoch + 1
            state["epochs"] = e
            now = time.time()
            if e == 2 and clock.provisional:  # the first epoch also built the graph: forget it
                clock.image_epoch_s, clock.provisional = None, False
            if e > 1 or clock.image_epoch_s is None:
                clock.record(n, now - state["t0"])
            state["t0"] = now
            if e <= 2:
                state["cap"] = min(epochs, clock.cap(n))
            line = "%s epoch %3d/%d  loss %.4f  acc %.3f" % (tag, e, state["cap"], logs["loss"], logs["accuracy"])
            if "val_accuracy" in logs:
                line += "  val_loss %.4f  val_acc %.3f" % (logs["val_loss"], logs["val_accuracy"])
                score = (round(logs["val_accuracy"], 4), -logs["val_loss"])
                if state["score"] is None or score > state["score"]:
                    state.update(best=self.model.get_weights(), score=score, best_epoch=e, waited=0)
                else:
                    state["waited"] += 1
            else:
                state["best_epoch"] = e
            if e % 10 == 0 or e == state["cap"] or e == 1:
                progress("%s  ETA %s" % (line, clock.eta(state["cap"] - e, n)))
            if e >= state["cap"]:
                self.model.stop_training = True
            elif "val_accuracy" in logs and state["waited"] >= patience and e >= min(min_epochs, state["cap"]):
                progress("%s early stop at epoch %d (best %d)" % (tag, e, state["best_epoch"]))
                self.model.stop_training = True

    val = (to_input(data["x"][val_idx]), data["y"][val_idx]) if len(val_idx) else None
    model.fit(Augmented(), epochs=epochs, validation_data=val, verbose=0, callbacks=[Watch()])
    if state["epochs"] >= state["cap"] and state["cap"] < epochs:
        progress("%s stopped at %d epochs by the time budget" % (tag, state["cap"]))
    clock.fits_left -= 1
    if state["best"] is not None:
        model.set_weights(state["best"])
    return model, state["best_epoch"]


def int8_model(model, data, idx, seed):
    """The full-int8 .tflite of ``model``, calibrated on images ``idx``."""
    return tx.convert_int8(model, tx.representative_set(data["x"][idx], np.random.default_rng(seed)))


def predict_int8(tfl, arena, gray):
    scores, latency = tx.tflm_predict(tfl, arena, gray)
    return scores.argmax(1), latency


def cross_validate(arch, data, folds, holdouts, seed, epochs, patience, clock, progress, lr=2e-3):
    """Every fold: fit on the others (inner burst-true validation for early stopping), convert to
    int8, predict the held-out fold and each holdout set with TFLM."""
    res = {"arch": arch, "fold_acc": [], "fold_float_acc": [], "best_epochs": [], "collapsed": [],
           "pred": np.zeros(len(data["y"]), int), "holdout": {h[0]: [] for h in holdouts}}
    for k, (tr, te) in enumerate(folds):
        fit_idx, val_idx = ev.inner_split(data["y"], data["groups"], tr, seed + k)
        model, best_epoch = fit(arch, data, fit_idx, val_idx, seed + k, epochs, patience, clock,
                                "%s fold %d/%d" % (arch, k + 1, len(folds)), progress, lr)
        res["best_epochs"].append(best_epoch)
        fpred = np.argmax(model.predict(to_input(data["x"][te]), batch_size=64, verbose=0), axis=1)
        res["fold_float_acc"].append(float(np.mean(fpred == data["y"][te])))
        tfl, arena = int8_model(model, data, tr, seed), FOLD_ARENA
        pred, _ = predict_int8(tfl, arena, data["x"][te])
        res["pred"][te] = pred
        res["fold_acc"].append(float(np.mean(pred == data["y"][te])))
        if any(w.startswith("COLLAPSED") for w in ev.model_warnings(data["y"][te], pred, data["labels"])):
            res["collapsed"].append(k + 1)
        for name, hx, hy in holdouts:
            hp, _ = predict_int8(tfl, arena, hx)
            res["holdout"][name].append(float(np.mean(hp == hy)))
        progress("%s fold %d/%d: int8 accuracy %.3f on %d held-out images (%d bursts)"
                 % (arch, k + 1, len(folds), res["fold_acc"][-1], len(te), len(set(data["groups"][te]))))
    res["cv"] = ev.summary(res["fold_acc"])
    res["cv_float"] = ev.summary(res["fold_float_acc"])
    res["holdout"] = {k: ev.summary(v) for k, v in res["holdout"].items()}
    res["macs"] = architectures.count_macs(architectures.build(arch, len(data["labels"])))
    return res


def _cv_worker(job):
    """One candidate's cross-validation in its own process (see :func:`compare`)."""
    import keras
    import tensorflow as tf

    arch, data, folds, hold, seed, epochs, patience, budget, lr = job
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    clock = Clock(budget, len(folds), epochs)
    return cross_validate(arch, data, folds, hold, seed, epochs, patience, clock,
                          lambda line: print(line, flush=True), lr)


def compare(archs, data, folds, hold, seed, epochs, patience, budget, lr):
    """Cross-validate every candidate on the same folds, one process each (they run side by side
    on the available cores; each has the whole budget for its folds)."""
    import concurrent.futures
    import multiprocessing

    jobs = [(a, data, folds, hold, seed, epochs, patience, budget, lr) for a in archs]
    with concurrent.futures.ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_cv_worker, jobs))


def choose(results):
    """The candidate to ship: within the MAC budget, the best mean of CV and new-room accuracy;
    candidates within 0.01 of it: the cheapest."""
    def score(r):
        parts = [r["cv"]["mean"]] + [h["mean"] for h in r["holdout"].values()]
        return sum(parts) / len(parts)

    pool = [r for r in results if r["macs"] <= MAC_BUDGET] or results
    top = max(score(r) for r in pool)
    return min((r for r in pool if score(r) >= top - ev.BEAT_MARGIN), key=lambda r: r["macs"])


# --------------------------------------------------------------------------- data

def load_holdouts(paths, data, block):
    """[(name, x, y)] for each holdout folder, labels mapped onto the training labels."""
    out = []
    for path in paths:
        h = dataset.load_images([path], block)
        if (h["t_lo"], h["t_hi"]) != (data["t_lo"], data["t_hi"]):
            raise SystemExit("%s uses t_lo/t_hi %.1f/%.1f, the training data %.1f/%.1f"
                             % (path, h["t_lo"], h["t_hi"], data["t_lo"], data["t_hi"]))
        unknown = sorted(set(h["labels"]) - set(data["labels"]))
        if unknown:
            raise SystemExit("%s has labels %s the training data lacks" % (path, unknown))
        y = np.array([data["labels"].index(h["labels"][c]) for c in h["y"]])
        out.append((os.path.basename(os.path.normpath(path)), h["x"], y))
    return out


def choose_groups(data, k):
    """Group by session when every class has k sessions or more (real captures over several
    days), else by burst. Returns (groups, what)."""
    sessions = data["sessions"]
    if all(sessions != "") and min(ev.groups_per_class(data["y"], sessions).values()) >= k:
        return sessions, "session"
    return data["groups"], "burst"


# --------------------------------------------------------------------------- main

def run(data_dir, out_dir, name="heatface", epochs=300, patience=40, seed=1, quick=False, block=10,
        progress=print, arch=architectures.DEFAULT, folds=None, time_budget=600.0, holdouts=(), lr=2e-3):
    """Cross-validate, train the final model on all data, export and report; returns the metadata
    dict written to ``<name>.json``."""
    import keras
    import tensorflow as tf

    start = time.time()
    tf.get_logger().setLevel("ERROR")  # fold after fold of predict() retraces; that is expected
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    dirs = [data_dir] if isinstance(data_dir, str) else list(data_dir)
    data = dataset.load_images(dirs, block)
    for note in data["notes"]:
        progress("note: " + note)
    data["groups"], findings = ev.merge_duplicates(data["x"], data["y"], data["groups"], data["files"])
    per_class = ev.groups_per_class(data["y"], data["groups"])
    k = folds or (5 if len(data["y"]) <= 2000 else 3)
    k = min(k, min(per_class.values()))
    if k < 2:
        raise SystemExit("too few bursts: %s; cross-validation needs at least 2 bursts per label "
                         "(press the button several times, at different moments)"
                         % ", ".join("%s %d" % (data["labels"][c], n) for c, n in per_class.items()))
    groups, group_kind = choose_groups(data, k)
    data_warn = ev.data_warnings(data["y"], data["labels"], data["groups"], findings, data["burst_true"])
    for w in data_warn:
        progress("WARNING: " + w)
    hold = load_holdouts(holdouts, data, block)
    archs = list(architectures.CANDIDATES) if arch == "all" else [arch]
    if quick:
        epochs, patience = min(epochs, 3), 3
    progress("data: %d images, labels %s, %d bursts, t_lo/t_hi %.1f/%.1f; %d-fold CV grouped by %s; "
             "%s; budget %.0f s" % (len(data["y"]), data["labels"], len(set(data["groups"])), data["t_lo"],
                                    data["t_hi"], k, group_kind, ", ".join(archs), time_budget))
    cv_folds = ev.grouped_folds(data["y"], groups, k, seed)
    clock = Clock(time_budget, k + 1, epochs)
    if len(archs) == 1:
        results = [cross_validate(archs[0], data, cv_folds, hold, seed, epochs, patience, clock, progress, lr)]
    else:
        results = compare(archs, data, cv_folds, hold, seed, epochs, patience, time_budget * k / (k + 1), lr)
    chosen = choose(results)
    baselines = ev.cv_baselines(data["x"], data["y"], cv_folds, hold)
    model_warn = ev.model_warnings(data["y"], chosen["pred"], data["labels"])
    if chosen["collapsed"]:
        model_warn.append("COLLAPSED MODEL in fold(s) %s of %d: one class for every held-out image"
                          % (",".join(map(str, chosen["collapsed"])), k))
    for w in model_warn:
        progress("WARNING: " + w)
    verdict = ev.baseline_verdict(chosen["cv"], baselines)
    progress(verdict.replace("**", ""))

    final_epochs = max(1, int(np.median(chosen["best_epochs"])))
    clock.fits_left = 1
    clock.budget = max(clock.budget, time.time() - clock.start + time_budget / (k + 1))
    everything = np.arange(len(data["y"]))
    model, _ = fit(chosen["arch"], data, everything, np.array([], int), seed, final_epochs, patience,
                   clock, "%s final" % chosen["arch"], progress, lr)
    tfl = int8_model(model, data, everything, seed)
    tx.check_ops(tfl)
    arena_min = tx.measure_arena(tfl)
    arena_size = int(math.ceil((arena_min + 1024) / 512.0) * 512)  # margin for 32-bit targets' alignment
    meta = export(out_dir, name, tfl, data, arena_size, arena_min, model, chosen, k, group_kind, seed)
    final_hold = {}
    for hname, hx, hy in hold:
        final_hold[hname] = float(np.mean(predict_int8(tfl, arena_size, hx)[0] == hy))
    _, latency = predict_int8(tfl, arena_size, data["x"][:50])
    with open(os.path.join(out_dir, name + ".split.json"), "w") as f:  # not deployed (tools/deploy.mk)
        json.dump({"group_by": group_kind, "folds": [[data["files"][i] for i in te] for _, te in cv_folds]},
                  f, indent=1)
    report = {
        "data": ", ".join(dirs), "labels": data["labels"], "y": data["y"], "groups": data["groups"],
        "sessions": data["sessions"], "burst_true": data["burst_true"], "t_lo": data["t_lo"], "t_hi": data["t_hi"],
        "k": k, "group_kind": group_kind, "folds": cv_folds, "warnings": data_warn + model_warn,
        "verdict": verdict, "results": results, "chosen": chosen, "baselines": baselines,
        "holdout_sizes": {h[0]: len(h[2]) for h in hold}, "final_holdout": final_hold,
        "meta": meta, "latency_s": latency, "final_epochs": final_epochs, "seed": seed,
        "budget_s": time_budget, "total_s": time.time() - start, "findings": len(findings)}
    train_report.write(out_dir, report)
    progress("CV int8 accuracy %.3f +- %.3f over %d folds (%s); model %d bytes, arena %d bytes, %d MACs, "
             "TFLM %.3f ms" % (chosen["cv"]["mean"], chosen["cv"]["std"], k, chosen["arch"], len(tfl),
                               arena_size, meta["macs"], latency * 1e3))
    progress("wrote %s/%s.{tflite,labels.txt,json,split.json}, report.md in %.1f s total"
             % (out_dir, name, time.time() - start))
    return meta


def export(out_dir, name, tfl, data, arena_size, arena_min, model, chosen, k, group_kind, seed):
    """Write the model, labels and metadata; return the metadata."""
    it = tx.tflm_interpreter(tfl, arena_size)
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
        "arch": chosen["arch"], "ops": tx.model_ops(tfl), "model_bytes": len(tfl),
        "macs": architectures.count_macs(model), "params": int(model.count_params()),
        "cv_int8_accuracy": chosen["cv"]["mean"], "cv_int8_accuracy_std": chosen["cv"]["std"],
        "cv_folds": k, "cv_grouped_by": group_kind, "seed": seed,
    }
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", action="append", help="folder of <label>.<n>.jpg + captures.csv (repeatable)")
    ap.add_argument("--out", default="models", help="output folder (default models)")
    ap.add_argument("--name", default="heatface", help="model base name (default heatface)")
    ap.add_argument("--arch", default=architectures.DEFAULT,
                    help="architecture: %s, or all to compare (default %s)"
                         % (", ".join(architectures.CANDIDATES), architectures.DEFAULT))
    ap.add_argument("--holdout", action="append", default=[],
                    help="extra test folder scored by every fold (e.g. data/newroom/far; repeatable)")
    ap.add_argument("--epochs", type=int, default=300, help="maximum epochs per fit (300)")
    ap.add_argument("--patience", type=int, default=40, help="early-stopping patience in epochs (40)")
    ap.add_argument("--folds", type=int, default=None, help="CV folds (default 5, 3 above 2,000 images)")
    ap.add_argument("--time-budget", type=float, default=600.0,
                    help="seconds for the whole training; epochs are capped to fit (600)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--block", type=int, default=10,
                    help="burst length assumed for files missing from captures.csv (10)")
    ap.add_argument("--quick", action="store_true", help="at most 3 epochs per fit (smoke runs)")
    args = ap.parse_args(argv)
    run(args.data or ["data/synth"], args.out, args.name, args.epochs, args.patience, args.seed, args.quick,
        args.block, progress=lambda s: print(s, flush=True), arch=args.arch, folds=args.folds,
        time_budget=args.time_budget, holdouts=args.holdout)


if __name__ == "__main__":
    sys.exit(main())
