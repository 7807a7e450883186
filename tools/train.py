"""Train the heatface CNN from labelled thermal JPEGs, evaluate it honestly, export full-int8.

    python tools/train.py --data data/synth [--data more/] --out models [--arch s2|all]
        [--augment default|all] [--input-norm gray|all] [--holdout data/newroom/far ...]
        [--time-budget 600] [--folds 5] [--seed 1] [--quick]

Input: ``<label>.<n>.jpg`` files (the label is the name before the first dot) and the board's
``captures.csv`` manifest (tools/make_faces.py writes the same), whose burst column keeps each
burst's near-identical frames on one side of every split. Without it, consecutive numbers are
grouped in blocks of ``--block`` and the report says the split is not known to be burst-true.
Exact and near duplicate images are found and kept together.

Evaluation: stratified k-fold cross-validation grouped by burst (by session when every class has
enough sessions), each fold's model converted to int8 and run on TFLM; the same folds for three
baselines (majority class, hot-pixel count, logistic regression on pixels). Optional ``--holdout``
sets (e.g. synthetic new rooms) are scored by every fold's model and baseline. Then the final
model is trained on all data for the median best epoch count of the folds.

Selection (:func:`search_stages`, :func:`choose`): ``--input-norm all`` and/or ``--augment all``
cross-validate every input normalisation x augmentation setting on the architecture (stage 1);
``--arch all`` then cross-validates every other candidate of tools/architectures.py with the
setting that won (stage 2). One rule picks in each stage: within the Cortex-M4F instruction
budget (measured by ``tools/model_cost.py --candidates``), the best mean of CV and new-room
accuracy, the cheapest within 0.01 of it.

The time budget covers the whole run: the baselines run first; the stages and the final fit share
what is left in proportion to their fits; each fit's epochs are capped, and re-capped after
every epoch from the measured epoch time, so that the fits still to come (with the conversion and
scoring time measured so far) fit in; the final fit gets what is left (at least one epoch).
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
from selection import candidate, candidate_costs, choose, search_stages  # noqa: E402
import tflite_export as tx  # noqa: E402
import training_data  # noqa: E402
import train_report  # noqa: E402

FOLD_ARENA = 128 * 1024  # fold models only predict on the host: no need to find their smallest arena
INPUT_TEXT = {  # the metadata's "input", for people (heatface.classifier reads "input_norm")
    "gray": "gray8 / 255 (heatface.grayscale.to_gray8 with t_lo/t_hi)",
    "ambient": "clamp(gray8 - sum(gray8) // 768 + %d, 0, 255) / 255 (gray8: heatface.grayscale.to_gray8 with "
               "t_lo/t_hi; heatface.classifier, input_norm ambient)" % fitting.AMBIENT_OFFSET,
}


def int8_model(model, data, idx, seed, norm):
    """The full-int8 .tflite of ``model``, calibrated on images ``idx`` normalised by ``norm``."""
    gray = fitting.normalise(data["x"][idx], norm)
    return tx.convert_int8(model, tx.representative_set(gray, np.random.default_rng(seed)))


def predict_int8(tfl, arena, gray, norm):
    """TFLM's classes for gray8 images (N, 24, 32), normalised by ``norm`` as the board does."""
    scores, latency = tx.tflm_predict(tfl, arena, fitting.normalise(gray, norm))
    return scores.argmax(1), latency



def cross_validate(cand, data, folds, holdouts, seed, epochs, patience, clock, progress, lr=2e-3):
    """Every fold: fit candidate ``cand`` on the others (inner burst-true validation for early
    stopping), convert to int8, predict the held-out fold and each holdout set with TFLM."""
    arch, norm, tag = cand["arch"], cand["norm"], cand["name"]
    res = dict(cand, fold_acc=[], fold_float_acc=[], best_epochs=[], collapsed=[],
               pred=np.zeros(len(data["y"]), int), holdout={h[0]: [] for h in holdouts})
    for k, (tr, te) in enumerate(folds):
        fit_idx, val_idx = ev.inner_split(data["y"], data["groups"], tr, seed + k)
        model, best_epoch = fitting.fit(arch, data, fit_idx, val_idx, seed + k, epochs, patience, clock,
                                        "%s fold %d/%d" % (tag, k + 1, len(folds)), progress, lr,
                                        augment_name=cand["augment"], norm=norm)
        res["best_epochs"].append(best_epoch)
        t_after = clock.now()
        fpred = np.argmax(model.predict(fitting.to_input(data["x"][te], norm), batch_size=64, verbose=0), axis=1)
        res["fold_float_acc"].append(float(np.mean(fpred == data["y"][te])))
        tfl, arena = int8_model(model, data, tr, seed, norm), FOLD_ARENA
        pred, _ = predict_int8(tfl, arena, data["x"][te], norm)
        res["pred"][te] = pred
        res["fold_acc"].append(float(np.mean(pred == data["y"][te])))
        if any(w.startswith("COLLAPSED") for w in ev.model_warnings(data["y"][te], pred, data["labels"])):
            res["collapsed"].append(k + 1)
        for name, hx, hy in holdouts:
            hp, _ = predict_int8(tfl, arena, hx, norm)
            res["holdout"][name].append(float(np.mean(hp == hy)))
        clock.after_fit(clock.now() - t_after)
        progress("%s fold %d/%d: int8 accuracy %.3f on %d held-out images (%d groups); %.0f s so far"
                 % (tag, k + 1, len(folds), res["fold_acc"][-1], len(te), len(set(data["groups"][te])),
                    clock.now() - clock.start))
    res["cv"] = ev.summary(res["fold_acc"])
    res["cv_float"] = ev.summary(res["fold_float_acc"])
    res["holdout"] = {k: ev.summary(v) for k, v in res["holdout"].items()}
    res["macs"] = architectures.count_macs(architectures.build(arch, len(data["labels"])))
    return res


def _cv_worker(job):
    """One candidate's cross-validation in its own process (see :func:`compare`)."""
    import keras
    import tensorflow as tf

    cand, data, folds, hold, seed, epochs, patience, budget, lr, start = job
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    clock = fitting.Clock(budget, len(folds), epochs, start)
    return cross_validate(cand, data, folds, hold, seed, epochs, patience, clock,
                          lambda line: print(line, flush=True), lr)


def compare(cands, data, folds, hold, seed, epochs, patience, budget, lr, start):
    """Cross-validate every candidate on the same folds, one process each (they run side by side
    on the available cores; each has the whole budget for its folds, counted from ``start``)."""
    import concurrent.futures
    import multiprocessing

    jobs = [(c, data, folds, hold, seed, epochs, patience, budget, lr, start) for c in cands]
    with concurrent.futures.ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_cv_worker, jobs))



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
    days or boots), else by burst. Sessions linked by a duplicate image (merged burst groups
    spanning two sessions) count as one. Returns (groups, what, note): the note says which
    grouping was used and why, for the console and the report."""
    sessions = data["sessions"]
    if not all(sessions != ""):
        return data["groups"], "burst", "grouped by burst (the manifest gives no session for some files)"
    parent = {s: s for s in set(sessions)}

    def root(s):
        while parent[s] != s:
            s = parent[s]
        return s

    first = {}
    for g, sess in zip(data["groups"], sessions):
        a, b = root(first.setdefault(g, sess)), root(sess)
        if a != b:
            parent[max(a, b)] = min(a, b)
    linked = np.array([root(s) for s in sessions])
    per_class = ev.groups_per_class(data["y"], linked)
    counts = ", ".join("%s %d" % (data["labels"][c], n) for c, n in sorted(per_class.items()))
    if min(per_class.values()) >= k:
        return linked, "session", "grouped by session (sessions per label: %s; %d folds)" % (counts, k)
    return data["groups"], "burst", ("grouped by burst: too few sessions per label for %d folds by session "
                                     "(%s)" % (k, counts))


# --------------------------------------------------------------------------- main

def _stage(cands, data, folds, hold, seed, epochs, patience, budget, lr, start, progress, now):
    """Cross-validate the candidates of one stage within ``budget`` seconds from ``start``: in this
    process when there is one, else side by side (:func:`compare`)."""
    if len(cands) == 1:
        clock = fitting.Clock(budget, len(folds), epochs, start, now)
        r = cross_validate(cands[0], data, folds, hold, seed, epochs, patience, clock, progress, lr)
        r["overhead_s"], r["image_epoch_s"] = clock.overhead_s, clock.image_epoch_s
        return [r]
    return compare(cands, data, folds, hold, seed, epochs, patience, budget, lr, start)


def run(data_dir, out_dir, name="heatface", epochs=300, patience=fitting.PATIENCE, seed=1, quick=False,
        block=10, progress=print, arch=architectures.DEFAULT, folds=None, time_budget=600.0, holdouts=(),
        lr=2e-3, command=None, augment=fitting.DEFAULT_AUGMENT, norm=fitting.DEFAULT_NORM, now=time.time):
    """Cross-validate (a staged search when ``arch``, ``augment`` or ``norm`` is "all": see
    :func:`search_stages`), train the final model on all data, export and report; returns the
    metadata dict written to ``<name>.json``. ``command``: how the run was started, for the report."""
    start = now()  # the budget covers importing TensorFlow too
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # fold after fold of predict() retraces; that is expected
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    dirs = [data_dir] if isinstance(data_dir, str) else list(data_dir)
    data = training_data.load_images(dirs, block)
    for note in data["notes"]:
        progress("note: " + note)
    data["groups"], findings = ev.merge_duplicates(data["x"], data["y"], data["groups"], data["files"])
    data["bursts"] = data["groups"]
    per_class = ev.groups_per_class(data["y"], data["groups"])
    k = folds or (5 if len(data["y"]) <= 2000 else 3)
    k = min(k, min(per_class.values()))
    if k < 2:
        raise SystemExit("too few bursts: %s; cross-validation needs at least 2 bursts per label "
                         "(press the button several times, at different moments)"
                         % ", ".join("%s %d" % (data["labels"][c], n) for c, n in per_class.items()))
    groups, group_kind, group_note = choose_groups(data, k)
    data["groups"] = groups  # early stopping's validation keeps the same groups apart as the folds
    data_warn = ev.data_warnings(data["y"], data["labels"], data["bursts"], findings, data["burst_true"])
    for w in data_warn:
        progress("WARNING: " + w)
    hold = load_holdouts(holdouts, data, block)
    stage1, stage2 = search_stages(arch, augment, norm)
    costs = candidate_costs(sorted({c["arch"] for c in stage1} | set(stage2)))
    norm_costs = model_cost.load_norm_costs()
    if quick:
        epochs, patience = min(epochs, 3), 3
    progress("data: %d images, labels %s, %d bursts, t_lo/t_hi %.1f/%.1f; %d-fold CV %s; %s; budget %.0f s"
             % (len(data["y"]), data["labels"], len(set(data["bursts"])), data["t_lo"], data["t_hi"], k,
                group_note, ", ".join(c["name"] for c in stage1) + ("; then %s" % ", ".join(stage2) if stage2 else ""),
                time_budget))
    cv_folds = ev.grouped_folds(data["y"], groups, k, seed)
    baselines = ev.cv_baselines(data["x"], data["y"], cv_folds, hold)  # first: its time is in the budget

    # each stage and the final fit share what is left in proportion to their fits
    plan = [len(stage1) * k] + ([len(stage2) * k] if stage2 else []) + [1]

    def stage_budget(i):
        left = time_budget - (now() - start)
        return now() - start + left * plan[i] / sum(plan[i:])

    def annotate(rs):
        for r in rs:
            r["cm4"] = costs.get(r["arch"], {})
            r["norm_instr"] = norm_costs.get(r["norm"], 0)
        return rs

    stages = [{"results": annotate(_stage(stage1, data, cv_folds, hold, seed, epochs, patience, stage_budget(0),
                                          lr, start, progress, now))}]
    stages[0]["winner"] = choose(stages[0]["results"])
    if stage2:
        w = stages[0]["winner"]
        progress("stage 1 chose %s; stage 2: the architectures with %s augmentation, %s input"
                 % (w["name"], w["augment"], w["norm"]))
        more = annotate(_stage([candidate(a, w["augment"], w["norm"]) for a in stage2], data, cv_folds, hold,
                               seed, epochs, patience, stage_budget(1), lr, start, progress, now))
        stages.append({"results": [w] + more})
        stages[1]["winner"] = choose(stages[1]["results"])
    chosen = stages[-1]["winner"]
    results = [r for st in stages for r in st["results"]]
    results = [r for i, r in enumerate(results) if all(r is not q for q in results[:i])]
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

    # the final model: the median best epoch of the folds, within what is left of the budget
    # (its conversion and scoring reserved as measured after the folds' fits, and as much again
    # for the arena search, export and report)
    final_epochs = max(1, int(np.median(chosen["best_epochs"])))
    clock = fitting.Clock(time_budget, 1, final_epochs, start, now, min_epochs=1)
    clock.overhead_s = clock.tail_s = max(r.get("overhead_s") or 0.0 for r in results)
    clock.image_epoch_s = chosen.get("image_epoch_s")
    clock.provisional = False
    everything = np.arange(len(data["y"]))
    model, final_ran = fitting.fit(chosen["arch"], data, everything, np.array([], int), seed, final_epochs,
                                   patience, clock, "%s final" % chosen["name"], progress, lr,
                                   augment_name=chosen["augment"], norm=chosen["norm"])
    tfl = int8_model(model, data, everything, seed, chosen["norm"])
    tx.check_ops(tfl)
    arena_min = tx.measure_arena(tfl)
    arena_size = int(math.ceil((arena_min + 1024) / 512.0) * 512)  # margin for 32-bit targets' alignment
    meta = export(out_dir, name, tfl, data, arena_size, arena_min, model, chosen, k, group_kind, seed)
    final_hold = {}
    for hname, hx, hy in hold:
        final_hold[hname] = float(np.mean(predict_int8(tfl, arena_size, hx, chosen["norm"])[0] == hy))
    _, latency = predict_int8(tfl, arena_size, data["x"][:50], chosen["norm"])
    with open(os.path.join(out_dir, name + ".split.json"), "w") as f:  # not deployed (tools/deploy.mk)
        json.dump({"group_by": group_kind, "folds": [[data["files"][i] for i in te] for _, te in cv_folds]},
                  f, indent=1)
    report = {
        "data": ", ".join(dirs), "labels": data["labels"], "y": data["y"], "groups": data["bursts"],
        "sessions": data["sessions"], "burst_true": data["burst_true"], "t_lo": data["t_lo"], "t_hi": data["t_hi"],
        "k": k, "group_kind": group_kind, "group_note": group_note, "folds": cv_folds,
        "warnings": data_warn + model_warn, "verdict": verdict, "holdout_verdict": holdout_verdict,
        "results": results, "stages": stages, "chosen": chosen, "baselines": baselines,
        "holdout_sizes": {h[0]: len(h[2]) for h in hold}, "final_holdout": final_hold,
        "meta": meta, "latency_s": latency, "final_epochs": final_epochs, "final_ran": final_ran, "seed": seed,
        "budget_s": time_budget, "findings": len(findings), "command": command}
    report["total_s"] = now() - start
    train_report.write(out_dir, report)
    progress("CV int8 accuracy %.3f +- %.3f over %d folds (%s); model %d bytes, arena %d bytes, %d MACs, "
             "TFLM %.3f ms" % (chosen["cv"]["mean"], chosen["cv"]["std"], k, chosen["name"], len(tfl),
                               arena_size, meta["macs"], latency * 1e3))
    progress("wrote %s/%s.{tflite,labels.txt,json,split.json}, report.md in %.1f s total (budget %.0f s)"
             % (out_dir, name, now() - start, time_budget))
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
        "input_shape": [1, fitting.ROWS, fitting.COLS, 1], "input": INPUT_TEXT[chosen["norm"]],
        "input_norm": chosen["norm"], "augment": chosen["augment"], "arch": chosen["arch"], "ops": tx.model_ops(tfl), "model_bytes": len(tfl),
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
    ap.add_argument("--patience", type=int, default=fitting.PATIENCE,
                    help="early-stopping patience in epochs (%d)" % fitting.PATIENCE)
    ap.add_argument("--folds", type=int, default=None, help="CV folds (default 5, 3 above 2,000 images)")
    ap.add_argument("--time-budget", type=float, default=600.0,
                    help="seconds for the whole training; epochs are capped to fit (600)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--block", type=int, default=10,
                    help="burst length assumed for files missing from captures.csv (10)")
    ap.add_argument("--augment", default=fitting.CHOSEN_AUGMENT,
                    help="augmentation: %s, or all to compare (default %s)"
                         % (", ".join(fitting.AUGMENTATIONS), fitting.CHOSEN_AUGMENT))
    ap.add_argument("--input-norm", default=fitting.CHOSEN_NORM,
                    help="input normalisation: %s, or all to compare (default %s)"
                         % (", ".join(fitting.INPUT_NORMS), fitting.CHOSEN_NORM))
    ap.add_argument("--quick", action="store_true", help="at most 3 epochs per fit (smoke runs)")
    args = ap.parse_args(argv)
    command = "python tools/train.py " + " ".join(sys.argv[1:] if argv is None else argv)
    run(args.data or ["data/synth"], args.out, args.name, args.epochs, args.patience, args.seed, args.quick,
        args.block, progress=lambda s: print(s, flush=True), arch=args.arch, folds=args.folds,
        time_budget=args.time_budget, holdouts=args.holdout, command=command, augment=args.augment,
        norm=args.input_norm)


if __name__ == "__main__":
    sys.exit(main())
