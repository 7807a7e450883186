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
this for every candidate of tools/architectures.py and keeps the best within the Cortex-M4F
instruction budget (measured by ``tools/model_cost.py --candidates``).

The time budget covers the whole run: each fit's epochs are capped so that the fits still to
come (with the conversion and scoring time measured so far) fit in; the final model always gets
at least its share, so a machine much slower than the first epochs suggested overshoots a little.
Progress lines carry an ETA.

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
import evaluate as ev  # noqa: E402
import fitting  # noqa: E402
import model_cost  # noqa: E402
import tflite_export as tx  # noqa: E402
import training_data  # noqa: E402
import train_report  # noqa: E402

FOLD_ARENA = 128 * 1024  # fold models only predict on the host: no need to find their smallest arena
INSTR_BUDGET = 3_000_000  # Cortex-M4F instructions per inference (issue 10's budget for cm4_infer_instr)
COST_KEY = "cm4_infer_instr_native"  # what the budget applies to: the kernels make deploy ships


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
        model, best_epoch = fitting.fit(arch, data, fit_idx, val_idx, seed + k, epochs, patience, clock,
                                        "%s fold %d/%d" % (arch, k + 1, len(folds)), progress, lr)
        res["best_epochs"].append(best_epoch)
        t_after = time.time()
        fpred = np.argmax(model.predict(fitting.to_input(data["x"][te]), batch_size=64, verbose=0), axis=1)
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
        clock.after_fit(time.time() - t_after)
        progress("%s fold %d/%d: int8 accuracy %.3f on %d held-out images (%d bursts); %.0f s so far"
                 % (arch, k + 1, len(folds), res["fold_acc"][-1], len(te), len(set(data["groups"][te])),
                    time.time() - clock.start))
    res["cv"] = ev.summary(res["fold_acc"])
    res["cv_float"] = ev.summary(res["fold_float_acc"])
    res["holdout"] = {k: ev.summary(v) for k, v in res["holdout"].items()}
    res["macs"] = architectures.count_macs(architectures.build(arch, len(data["labels"])))
    return res


def _cv_worker(job):
    """One candidate's cross-validation in its own process (see :func:`compare`)."""
    import keras
    import tensorflow as tf

    arch, data, folds, hold, seed, epochs, patience, budget, lr, start = job
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    clock = fitting.Clock(budget, len(folds), epochs, start)
    return cross_validate(arch, data, folds, hold, seed, epochs, patience, clock,
                          lambda line: print(line, flush=True), lr)


def compare(archs, data, folds, hold, seed, epochs, patience, budget, lr, start):
    """Cross-validate every candidate on the same folds, one process each (they run side by side
    on the available cores; each has the whole budget for its folds, counted from ``start``)."""
    import concurrent.futures
    import multiprocessing

    jobs = [(a, data, folds, hold, seed, epochs, patience, budget, lr, start) for a in archs]
    with concurrent.futures.ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_cv_worker, jobs))


def choose(results):
    """The candidate to ship: within the instruction budget (measured on the emulated Cortex-M4F,
    ``r["cm4"]``), the best mean of CV and new-room accuracy; candidates within 0.01 of it: the
    cheapest. Nothing within the budget: the same among all."""
    if len(results) == 1:
        return results[0]

    def score(r):
        parts = [r["cv"]["mean"]] + [h["mean"] for h in r["holdout"].values()]
        return sum(parts) / len(parts)

    pool = [r for r in results if r["cm4"][COST_KEY] <= INSTR_BUDGET] or results
    top = max(score(r) for r in pool)
    return min((r for r in pool if score(r) >= top - ev.BEAT_MARGIN), key=lambda r: r["cm4"][COST_KEY])


def candidate_costs(archs, path=model_cost.CANDIDATES_FILE):
    """{arch: Cortex-M4F figures} from tools/model_cost.py --candidates, for the architectures
    whose layers still match (MACs, parameters; measured with 3 classes: more classes only widen
    the last layer); comparing several without them is an error."""
    measured = model_cost.load_candidates(path)
    out = {}
    for arch in archs:
        model = architectures.build(arch, model_cost.N_CLASSES)
        c = measured.get(arch)
        if c and (c["macs"], c["params"]) == (architectures.count_macs(model), int(model.count_params())):
            out[arch] = c
    missing = [a for a in archs if a not in out]
    if len(archs) > 1 and missing:
        raise SystemExit("no current Cortex-M4F cost for %s in %s (the architectures changed or are new): "
                         "run .venv/bin/python tools/model_cost.py --candidates"
                         % (", ".join(missing), os.path.relpath(path)))
    return out


# --------------------------------------------------------------------------- data

def load_holdouts(paths, data, block):
    """[(name, x, y)] for each holdout folder, labels mapped onto the training labels."""
    out = []
    for path in paths:
        h = training_data.load_images([path], block)
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
        progress=print, arch=architectures.DEFAULT, folds=None, time_budget=600.0, holdouts=(), lr=2e-3,
        command=None):
    """Cross-validate, train the final model on all data, export and report; returns the metadata
    dict written to ``<name>.json``. ``command``: how the run was started, for the report."""
    import keras
    import tensorflow as tf

    start = time.time()
    tf.get_logger().setLevel("ERROR")  # fold after fold of predict() retraces; that is expected
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    dirs = [data_dir] if isinstance(data_dir, str) else list(data_dir)
    data = training_data.load_images(dirs, block)
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
    costs = candidate_costs(archs)
    if quick:
        epochs, patience = min(epochs, 3), 3
    progress("data: %d images, labels %s, %d bursts, t_lo/t_hi %.1f/%.1f; %d-fold CV grouped by %s; "
             "%s; budget %.0f s" % (len(data["y"]), data["labels"], len(set(data["groups"])), data["t_lo"],
                                    data["t_hi"], k, group_kind, ", ".join(archs), time_budget))
    cv_folds = ev.grouped_folds(data["y"], groups, k, seed)
    clock = fitting.Clock(time_budget, k + 1, epochs, start)
    if len(archs) == 1:
        results = [cross_validate(archs[0], data, cv_folds, hold, seed, epochs, patience, clock, progress, lr)]
    else:
        results = compare(archs, data, cv_folds, hold, seed, epochs, patience, time_budget * k / (k + 1), lr,
                          start)
    for r in results:
        r["cm4"] = costs.get(r["arch"], {})
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
    holdout_verdict = ev.holdout_verdict(chosen["holdout"], baselines)
    if holdout_verdict:
        progress(holdout_verdict.replace("**", ""))

    final_epochs = max(1, int(np.median(chosen["best_epochs"])))
    clock.fits_left = 1
    # the final model gets at least its share of epochs, its conversion on top
    clock.budget = max(clock.budget, time.time() - clock.start + time_budget / (k + 1) + clock.overhead_s)
    everything = np.arange(len(data["y"]))
    model, _ = fitting.fit(chosen["arch"], data, everything, np.array([], int), seed, final_epochs, patience,
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
        "verdict": verdict, "holdout_verdict": holdout_verdict, "results": results, "chosen": chosen, "baselines": baselines,
        "holdout_sizes": {h[0]: len(h[2]) for h in hold}, "final_holdout": final_hold,
        "meta": meta, "latency_s": latency, "final_epochs": final_epochs, "seed": seed,
        "budget_s": time_budget, "total_s": time.time() - start, "findings": len(findings),
        "command": command}
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
        "input_shape": [1, fitting.ROWS, fitting.COLS, 1], "input": "gray8 / 255 (heatface.grayscale.to_gray8 with t_lo/t_hi)",
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
    command = "python tools/train.py " + " ".join(sys.argv[1:] if argv is None else argv)
    run(args.data or ["data/synth"], args.out, args.name, args.epochs, args.patience, args.seed, args.quick,
        args.block, progress=lambda s: print(s, flush=True), arch=args.arch, folds=args.folds,
        time_budget=args.time_budget, holdouts=args.holdout, command=command)


if __name__ == "__main__":
    sys.exit(main())
