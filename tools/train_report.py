"""report.md, confusion.png and cost.png for a training run (tools/train.py)."""

import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import evaluate as ev
import selection

# Cortex-M4F figures of a model (tools/model_cost.py on the emulated board fills them in)
CM4_KEYS = ("cm4_form", "cm4_infer_instr_portable", "cm4_infer_instr_native", "cm4_infer_ms_portable",
            "cm4_infer_ms_native", "cm4_heap_bytes_portable", "cm4_heap_bytes_native")


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
            shade = int(255 - 200 * m[i, j] / row_sums[i, 0])
            x0, y0 = margin + j * cell, margin + i * cell
            d.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1],
                        fill=(shade, shade, 255) if i == j else (255, shade, shade), outline="gray")
            d.text((x0 + cell // 2 - 8, y0 + cell // 2 - 6), str(m[i, j]), fill="black", font=font)
        d.text((4, margin + i * cell + cell // 2 - 6), labels[i][:10], fill="black", font=font)
        d.text((margin + i * cell + 4, margin - 16), labels[i][:10], fill="black", font=font)
    d.text((margin, 6), "predicted ->", fill="black", font=font)
    d.text((4, margin - 30), "true", fill="black", font=font)
    img.save(path)


def cost_png(points, path, budget=None, xlabel="Cortex-M4F instructions per inference (log)", w=560, h=360):
    """Accuracy (y, mean with a +-std bar) against cost (x, log scale) for each candidate;
    ``points``: [(name, cost, mean, std)]. A dashed line marks the ``budget`` cost."""
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    left, right, top, bottom = 60, w - 20, 20, h - 40
    macs = [p[1] for p in points] + ([budget] if budget else [])
    lo, hi = np.log10(min(macs) / 1.5), np.log10(max(macs) * 1.5)
    amin = max(0.0, min(p[2] - p[3] for p in points) - 0.05)

    def px(m):
        return left + (np.log10(m) - lo) / (hi - lo) * (right - left)

    def py(a):
        return bottom - (a - amin) / (1.0 - amin + 1e-9) * (bottom - top)

    d.rectangle([left, top, right, bottom], outline="black")
    for a in np.linspace(amin, 1.0, 5):
        d.line([left - 4, py(a), left, py(a)], fill="black")
        d.text((4, py(a) - 6), "%.2f" % a, fill="black", font=font)
    for e in range(int(np.floor(lo)), int(np.ceil(hi)) + 1):
        for mult in (1, 2, 5):
            m = mult * 10 ** e
            if lo <= np.log10(m) <= hi:
                d.line([px(m), bottom, px(m), bottom + 4], fill="black")
                d.text((px(m) - 12, bottom + 6), "%gM" % (m / 1e6) if m >= 1e6 else "%gk" % (m / 1e3),
                       fill="black", font=font)
    if budget:
        x = px(budget)
        for y in range(top, bottom, 8):
            d.line([x, y, x, y + 4], fill="red")
        d.text((x + 3, top + 2), "budget", fill="red", font=font)
    for name, m, mean, std in points:
        x, y = px(m), py(mean)
        d.line([x, py(min(1.0, mean + std)), x, py(max(amin, mean - std))], fill="blue")
        d.ellipse([x - 4, y - 4, x + 4, y + 4], fill="blue")
        d.text((x + 6, y - 6), name, fill="black", font=font)
    d.text((left + 110, h - 18), xlabel, fill="black", font=font)
    d.text((left + 4, top + 2), "CV int8 accuracy, mean +- std", fill="black", font=font)
    img.save(path)


def _acc(s):
    return "%.3f ± %.3f (%.3f–%.3f)" % (s["mean"], s["std"], s["min"], s["max"])


def write(out_dir, r):
    """Write report.md (and the PNGs) from the run summary ``r`` built by tools/train.py."""
    labels, y, chosen, meta = r["labels"], r["y"], r["chosen"], r["meta"]
    n_bursts = len(set(r["groups"]))
    per_class = ev.groups_per_class(y, r["groups"])
    m = ev.confusion(y, chosen["pred"], len(labels))
    prec, rec = ev.precision_recall(m)
    confusion_png(m, labels, os.path.join(out_dir, "confusion.png"))
    L = ["# heatface model report", ""]
    if r["warnings"]:
        L += ["## Warnings", ""] + ["- **%s**" % w for w in r["warnings"]] + [""]
    L += [r["verdict"], ""] + ([r["holdout_verdict"], ""] if r.get("holdout_verdict") else []) + [
          "## What the figures mean", "",
          "Dataset: `%s`: %d images of %s, in **%d independent bursts** (%s)%s; t_lo/t_hi %.1f/%.1f degC."
          % (r["data"], len(y), ", ".join(labels), n_bursts,
             ", ".join("%s %d" % (labels[c], n) for c, n in sorted(per_class.items())),
             "" if len(set(r["sessions"])) < 2 else ", %d sessions" % len(set(r["sessions"])), r["t_lo"], r["t_hi"]),
          "",
          method_text(r["k"], r["group_kind"], r["burst_true"]) + (" Folds %s." % r["group_note"] if r.get("group_note") else ""), "",
          "The shipped model is then trained on all the data for %d epochs (the median best epoch of "
          "the folds): it has no held-out score of its own; the cross-validated figure estimates it."
          % r["final_epochs"], "",
          "## Cross-validated accuracy (same folds for every row)", "",
          "| model | accuracy |", "|---|---|",
          "| CNN `%s`, int8 (TFLM) | %s |" % (chosen["name"], _acc(chosen["cv"])),
          "| CNN `%s`, float | %s |" % (chosen["name"], _acc(chosen["cv_float"]))]
    for name, b in r["baselines"].items():
        L.append("| baseline: %s | %s |" % (name, _acc(b["cv"])))
    L += ["", "## Per class (CNN int8, all folds pooled)", "",
          "| label | precision | recall | images | bursts |", "|---|---|---|---|---|"]
    for c, lab in enumerate(labels):
        L.append("| %s | %.4f | %.4f | %d | %d |" % (lab, prec[c], rec[c], m[c].sum(), per_class[c]))
    L += ["", "## Confusion matrix (CNN int8, all folds pooled; rows = true, columns = predicted)", "",
          "| true \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for lab, row in zip(labels, m.tolist()):
        L.append("| %s | %s |" % (lab, " | ".join(str(v) for v in row)))
    L += ["", "![confusion matrix](confusion.png)", ""]
    if r["holdout_sizes"]:
        L += _holdout_section(r)
    if len(r["results"]) > 1:
        L += _candidates_section(r, out_dir)
    else:
        cost = (" (%d Cortex-M4F instructions per classification with the native kernels and its input)"
                % selection.cost(chosen) if selection.COST_KEY in chosen.get("cm4", {}) else "")
        L += ["## Candidates", "",
              "This run trained one candidate, `%s`%s. `make train MODEL_ARCH=all AUGMENT=all INPUT_NORM=all` "
              "compares the candidates on the same folds by accuracy and cost, with the accuracy-vs-cost "
              "plot." % (chosen["name"], cost), ""]
    L += _model_section(r, meta)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def method_text(k, group_kind, burst_true):
    """What the cross-validated figure means; without every file's burst from a captures.csv it
    claims no burst-true split and says how to get one."""
    if burst_true:
        return ("Accuracy is **%d-fold cross-validation grouped by %s**: every fold's model is tested on "
                "bursts none of whose frames it saw in training (nor in its early-stopping validation), "
                "converted to int8 and run on TFLM. Mean ± standard deviation over the folds (min–max). "
                "Frames of one burst are near copies, so the number of bursts, not images, is the "
                "sample size." % (k, group_kind))
    return ("Accuracy is %d-fold cross-validation over **guessed** groups (no captures.csv for some "
            "files: blocks of consecutive numbers): it is NOT known to keep bursts apart and may be "
            "optimistic. Copy the card's captures.csv next to the images (`make pull` brings it) and "
            "train again." % k)


def _holdout_section(r):
    names = list(r["baselines"])
    L = ["## New rooms (held-out sets, never trained on)", "",
         "Every fold's int8 model and every fold's baselines scored on sets recorded elsewhere "
         "(other distances, hot objects, ambient, sensor noise than the training data): mean ± std "
         "over the %d folds; last column: the shipped model." % r["k"], "",
         r["holdout_verdict"], "",
         "| set | images | CNN int8 | " + " | ".join(names) + " | shipped model |",
         "|---" * (len(names) + 4) + "|"]
    for h, n in r["holdout_sizes"].items():
        L.append("| %s | %d | %s | %s | %.3f |" % (
            h, n, _acc(r["chosen"]["holdout"][h]),
            " | ".join("%.3f ± %.3f" % (r["baselines"][b]["holdout"][h]["mean"],
                                        r["baselines"][b]["holdout"][h]["std"]) for b in names),
            r["final_holdout"][h]))
    return L + [""]


def _candidates_section(r, out_dir):
    points = [(c["name"], selection.cost(c), c["cv"]["mean"], c["cv"]["std"]) for c in r["results"]]
    cost_png(points, os.path.join(out_dir, "cost.png"), budget=selection.INSTR_BUDGET)
    hold = list(r["holdout_sizes"])
    L = ["## Candidates: accuracy vs cost", "",
         "Same folds for all. The rule, in every stage: within the budgets of %.1f M instructions per "
         "inference on the emulated Cortex-M4F with the native kernels (issue 10) and %d bytes of heap "
         "for one inference (the largest figure `tools/cm4/heap_fit.py --test` has shown to fit a "
         "fragmented Wio heap), the best score "
         "(the mean of the CV accuracy and the %d new-room accuracies), the cheapest within 0.01 "
         "of it. Instructions: `tools/model_cost.py --candidates` (QEMU, `-icount`; each "
         "architecture with untrained weights, converted to int8 as here: the count does not "
         "depend on the weight values), one `Interpreter.invoke()` with the native kernels "
         "(heatface_nn, CMSIS-NN) and with the portable viper kernels (the bit-exact reference, "
         "used where the firmware has no native module), plus what the input normalisation adds "
         "to a classification (`tools/model_cost.py --norms`)."
         % (selection.INSTR_BUDGET / 1e6, selection.HEAP_BUDGET, len(hold)), ""]
    titles = ["Stage 1: input normalisation x augmentation", "Stage 2: architectures with the stage-1 setting"]
    for n, st in enumerate(r.get("stages") or [{"results": r["results"], "winner": r["chosen"]}]):
        w = st["winner"]
        L += ["### %s" % (titles[n] if len(r.get("stages") or ()) > 1 or n else "Candidates"), "",
              "| candidate | arch | augment | input | MACs | M4F instr (native + input) | M4F instr portable "
              "| M4F heap | CV int8 | " + " | ".join(hold) + " | score | best epochs |",
              "|---" * (len(hold) + 11) + "|"]
        for c in st["results"]:
            L.append("| %s%s | %s | %s | %s | %d | %d | %d | %d | %s | %s | %.3f | %s |" % (
                c["name"], " (chosen)" if c is w else "", c["arch"], c["augment"], c["norm"], c["macs"],
                selection.cost(c), c["cm4"].get("cm4_infer_instr_portable", 0), c["cm4"].get(selection.HEAP_KEY, 0),
                _acc(c["cv"]),
                " | ".join("%.3f ± %.3f" % (c["holdout"][h]["mean"], c["holdout"][h]["std"]) for h in hold),
                selection.score(c), ",".join(str(e) for e in c["best_epochs"])))
        within = [c for c in st["results"] if selection.fits(c)]
        best = max(within or st["results"], key=selection.score)
        why = ("the best score, %.3f" % selection.score(w) if w is best else
               "within 0.01 of the best score (%s, %.3f) and cheaper (%d vs %d instructions)"
               % (best["name"], selection.score(best), selection.cost(w), selection.cost(best)))
        L += ["", "Chosen: **%s**: %s%s." % (w["name"], why, "" if within else
                                              "; no candidate fits the budgets, so the rule ran among all"), ""]
    return L + ["![accuracy vs cost](cost.png)", ""]


def _model_section(r, meta):
    cm4 = meta.get("cm4", {})
    L = ["## The shipped model", "", "| property | value |", "|---|---|",
         "| architecture | `%s` |" % meta["arch"],
         "| augmentation in training | `%s` |" % meta.get("augment", "default"),
         "| input normalisation (`input_norm`) | `%s`: %s |" % (meta.get("input_norm", "gray"), meta["input"]),
         "| ops | %s |" % ", ".join(meta["ops"]),
         "| MACs per inference | %d |" % meta["macs"],
         "| parameters | %d |" % meta["params"],
         "| model bytes (.tflite, flash) | %d |" % meta["model_bytes"],
         "| arena bytes (TFLM, host, minimum) | %d |" % meta["arena_min_host"],
         "| arena bytes (metadata, with margin) | %d |" % meta["arena_size"],
         "| TFLM latency on the host | %.3f ms |" % (r["latency_s"] * 1000)]
    for key in CM4_KEYS:
        L.append("| %s | %s |" % (key, cm4.get(key, "not measured yet (tools/model_cost.py --update-report)")))
    for name, value in r["final_holdout"].items():
        L.append("| accuracy on new room %s | %.3f |" % (name, value))
    L += ["", "## Training", "",
          "Seed %d; time budget %.0f s, whole run %.1f s (the report written at the end); %d duplicate pairs "
          "found; best epochs per fold: %s; the final model ran %d of its %d epochs%s."
          % (r["seed"], r["budget_s"], r["total_s"], r["findings"], ",".join(str(e) for e in r["chosen"]["best_epochs"]),
             r.get("final_ran", r["final_epochs"]), r["final_epochs"],
             "" if r.get("final_ran", r["final_epochs"]) >= r["final_epochs"] else " (capped by the time budget)"),
          ""] + (["Command: `%s`" % r["command"], ""] if r.get("command") else [])
    return L
