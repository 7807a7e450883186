"""How training picks the model to ship (tools/train.py): the candidates of the staged search,
their measured Cortex-M4F cost, the board's budgets (instructions and heap per inference) and the
rule that chooses among cross-validated results."""

import os

import numpy as np

import architectures
import evaluate as ev
import fitting
import model_cost

INSTR_BUDGET = 3_000_000  # Cortex-M4F instructions per inference (issue 10's budget for cm4_infer_instr)
COST_KEY = "cm4_infer_instr_native"  # what the budget applies to: the kernels make deploy ships
# Heap one inference takes on the emulated board (tools/model_cost.py --candidates, native kernels).
# tools/cm4/heap_fit.py --test (infer after the heap was cut into 2 KB holes, romfs form) passes
# with s2's 25,920 B and failed with base8's 31,856 B ("Model: too large"): the budget is the
# largest figure shown to fit, rounded up to 26 KB.
HEAP_BUDGET = 26 * 1024
HEAP_KEY = "cm4_heap_bytes_native"


def candidate(arch, augment=fitting.DEFAULT_AUGMENT, norm=fitting.DEFAULT_NORM):
    """One setting the search compares: architecture, augmentation and input normalisation."""
    return {"arch": arch, "augment": augment, "norm": norm, "name": "%s/%s/%s" % (arch, augment, norm)}



def score(r):
    """What the selection ranks: the mean of the CV accuracy and every new-room set's accuracy."""
    parts = [r["cv"]["mean"]] + [h["mean"] for h in r["holdout"].values()]
    return sum(parts) / len(parts)


def cost(r):
    """Cortex-M4F instructions per inference of a result: its architecture's invoke (``r["cm4"]``,
    native kernels) plus its input normalisation (``r["norm_instr"]``)."""
    return r["cm4"][COST_KEY] + r.get("norm_instr", 0)


def fits(r):
    """Within both budgets on the emulated Cortex-M4F: instructions per inference and heap (a
    candidate without a measured heap figure is judged by instructions alone)."""
    return cost(r) <= INSTR_BUDGET and r["cm4"].get(HEAP_KEY, 0) <= HEAP_BUDGET


def choose(results):
    """The candidate to ship: among those that :func:`fits` the board (measured on the emulated
    Cortex-M4F), the best :func:`score`; candidates within 0.01 of it: the cheapest. Nothing
    fits: the same among all. Equal costs: the better score."""
    if len(results) == 1:
        return results[0]
    pool = [r for r in results if fits(r)] or results
    top = max(score(r) for r in pool)
    return min((r for r in pool if score(r) >= top - ev.BEAT_MARGIN), key=lambda r: (cost(r), -score(r)))


def search_stages(arch, augment, norm):
    """The candidates of a staged search, stage by stage: first every normalisation x
    augmentation asked for (``"all"``: every one) on the architecture (the default one when
    ``arch`` is "all"), then, with the setting that won, every other architecture when ``arch``
    is "all". Returns [stage 1 candidates, stage 2 architectures] (stage 2 may be empty)."""
    norms = list(fitting.INPUT_NORMS) if norm == "all" else [norm]
    augs = list(fitting.AUGMENTATIONS) if augment == "all" else [augment]
    for n in norms:
        fitting.normalise(np.zeros((1, 24, 32), np.uint8), n)  # an unknown name: a clear error now
    for a in augs:
        if a not in fitting.AUGMENTATIONS:
            raise SystemExit("unknown augmentation %r (choose from %s, or all)"
                             % (a, ", ".join(fitting.AUGMENTATIONS)))
    first = architectures.DEFAULT if arch == "all" else arch
    architectures.build(first, 2)  # an unknown architecture: a clear error before any training
    stage1 = [candidate(first, a, n) for n in norms for a in augs]
    stage2 = [a for a in architectures.CANDIDATES if a != first] if arch == "all" else []
    return stage1, stage2


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
