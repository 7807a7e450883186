"""What a model costs on the emulated Cortex-M4F board (issue 7's method: QEMU, instruction counts).

    python tools/model_cost.py models/heatface.tflite [--update-report] [--form F]
    python tools/model_cost.py --candidates [--out tools/architectures.cm4.json]
    python tools/model_cost.py --norms [--out tools/architectures.cm4.json]

For each set of int8 kernels heatface's interpreter has (``portable``: the viper kernels of
heatface.tflite_kernels, the bit-exact reference; ``native``: the heatface_nn dynamic native
module, CMSIS-NN's s8 kernels), on a board in ``--form`` (default: what ``make deploy`` uses) with
the Wio Terminal's 176,876-byte heap: instructions of one ``Interpreter.invoke()``, the latency at
120 MHz (one instruction per cycle), and the heap the interpreter holds (arena, tables, scratch;
the model's bytes excluded). A kernel set the board lacks is reported under ``<kernels>_error``.

``--update-report`` writes the shipped model's figures into its ``.json`` (key ``cm4``) and the
rows of ``report.md`` next to it. ``--candidates`` builds every architecture of
tools/architectures.py with untrained weights (the cost of a layer does not depend on its weight
values), converts it to int8 as training does and measures it: the file it writes is the cost
axis of ``train.py --arch all`` (choice within the instruction budget, report, cost.png).
``--norms`` measures what each input normalisation (heatface.classifier's ``input_norm``) adds to
one ``Classifier.classify`` of the shipped model on the pure backend, into the same file's
``input_norms``: the selection adds it to a candidate's cost.
"""

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CPU_HZ = 120_000_000
KERNELS = {"portable": "viper", "native": "native"}  # report name -> heatface.tflite's kernels=
CANDIDATES_FILE = os.path.join(HERE, "architectures.cm4.json")
N_CLASSES = 3  # the candidates are measured with 3 outputs (more only widen the last layer)

_SETUP = """
import gc
from heatface.tflite import Interpreter
from heatface.tflite_fb import map_file
model = map_file(%r)
gc.collect()
_free0 = gc.mem_free()
it = Interpreter(model, kernels=%r)
for _i in range(len(it.input)):
    it.input[_i] = (_i * 7) & 255
it.invoke()
gc.collect()
print("HEAP", _free0 - gc.mem_free())
"""


def measure(models, form="default"):
    """{name: {key: value}} of Cortex-M4F figures for ``models`` ({name: .tflite path}), all on one
    board: ``cm4_infer_instr_<kernels>``, ``cm4_infer_ms_<kernels>``, ``cm4_heap_bytes_<kernels>``
    for kernels portable and native; a kernel set that fails gives ``<kernels>_error``."""
    sys.path.insert(0, os.path.join(HERE, "cm4"))
    from run import CM4, BoardError

    files = {"/models/%s.tflite" % name: path for name, path in models.items()}
    out = {name: {} for name in models}
    with CM4(form=form, files=files) as board:
        for name in models:
            for kind, kernels in KERNELS.items():
                board.reset()
                try:
                    text = board.exec(_SETUP % ("/models/%s.tflite" % name, kernels))
                except BoardError as exc:
                    out[name]["%s_error" % kind] = str(exc).strip().split("\n")[-1][:120]
                    continue
                n = board.instructions("it.invoke()", repeat=2) // 2
                out[name]["cm4_infer_instr_%s" % kind] = n
                out[name]["cm4_infer_ms_%s" % kind] = round(n / CPU_HZ * 1000, 2)
                out[name]["cm4_heap_bytes_%s" % kind] = int(text.split("HEAP")[1].split()[0])
    return out


def candidate_models(workdir, n_classes=N_CLASSES, seed=1):
    """{arch: path} of every candidate architecture, untrained, converted to full int8 in
    ``workdir``; also {arch: {"macs", "params", "ops"}}."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np

    import architectures
    import tflite_export as tx

    rng = np.random.default_rng(seed)
    calib = tx.representative_set(rng.integers(0, 256, (64, 24, 32)).astype(np.uint8), rng)
    paths, facts = {}, {}
    for arch in architectures.CANDIDATES:
        model = architectures.build(arch, n_classes)
        tfl = tx.convert_int8(model, calib)
        paths[arch] = os.path.join(workdir, arch + ".tflite")
        with open(paths[arch], "wb") as f:
            f.write(tfl)
        facts[arch] = {"macs": architectures.count_macs(model), "params": int(model.count_params()),
                       "ops": tx.model_ops(tfl)}
    return paths, facts


def load_candidates(path=CANDIDATES_FILE):
    """{arch: figures} from the file ``--candidates`` wrote; {} when there is none."""
    try:
        with open(path) as f:
            return json.load(f)["candidates"]
    except FileNotFoundError:
        return {}


def load_norm_costs(path=CANDIDATES_FILE):
    """{input_norm: Cortex-M4F instructions it adds to one classification} from the file
    ``--norms`` wrote ({} when not measured: the selection then counts them as 0)."""
    try:
        with open(path) as f:
            return json.load(f).get("input_norms", {})
    except FileNotFoundError:
        return {}


_NORM_SETUP = """
import gc
from heatface.classifier import Classifier
clf = Classifier.load(%r, backend="pure")
gray = bytearray((i * 37 + (i >> 5) * 11) & 255 for i in range(768))
clf.classify(gray)
gc.collect()
"""


def measure_norms(model_path, form="default"):
    """{input_norm: instructions one ``Classifier.classify`` takes beyond the "gray" one} for
    the model at ``model_path`` (its .json's input_norm replaced by each in turn), on one board."""
    sys.path.insert(0, os.path.join(HERE, "cm4"))
    import fitting  # puts lib/ and the shims on the path
    from run import CM4

    INPUT_NORMS = fitting.INPUT_NORMS

    base = model_path[:-7]
    with open(base + ".json") as f:
        meta = json.load(f)
    with tempfile.TemporaryDirectory(prefix="hf-norm-") as tmp:
        files = {}
        for norm in INPUT_NORMS:
            path = os.path.join(tmp, norm + ".json")
            with open(path, "w") as f:
                json.dump(dict(meta, input_norm=norm), f)
            files.update({"/models/%s.json" % norm: path, "/models/%s.tflite" % norm: model_path,
                          "/models/%s.labels.txt" % norm: base + ".labels.txt"})
        counts = {}
        with CM4(form=form, files=files) as board:
            for norm in INPUT_NORMS:
                board.reset()
                board.exec(_NORM_SETUP % ("/models/%s.tflite" % norm))
                counts[norm] = board.instructions("clf.classify(gray)", repeat=2) // 2
    return {norm: max(0, n - counts["gray"]) for norm, n in counts.items()}


def update_report(model_path, figures):
    """Write ``figures`` into the model's .json (``cm4``) and make them the ``cm4_*`` rows of the
    shipped-model table of report.md next to it (in place of the rows there)."""
    from train_report import CM4_KEYS

    base = model_path[:-7]
    with open(base + ".json") as f:
        meta = json.load(f)
    meta["cm4"] = figures
    with open(base + ".json", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    report = os.path.join(os.path.dirname(model_path), "report.md")
    with open(report) as f:
        lines = f.read().split("\n")
    keys = [k for k in CM4_KEYS if k in figures] + sorted(k for k in figures if k not in CM4_KEYS)
    rows = ["| %s | %s |" % (k, figures[k]) for k in keys]
    old = [i for i, line in enumerate(lines) if line.startswith("| cm4_")]
    if old:
        at = old[0]
    else:
        at = next(i for i, line in enumerate(lines) if line.startswith("| TFLM latency on the host |")) + 1
    lines = [line for i, line in enumerate(lines) if i not in set(old)]
    lines[at:at] = rows
    with open(report, "w") as f:
        f.write("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", nargs="?", help="the .tflite (its .json next to it for --update-report)")
    ap.add_argument("--update-report", action="store_true", help="write into .json and report.md")
    ap.add_argument("--candidates", action="store_true", help="measure every candidate architecture")
    ap.add_argument("--norms", action="store_true",
                    help="measure what each input normalisation adds to a classification (with the "
                         "shipped model) into --out's input_norms")
    ap.add_argument("--out", default=CANDIDATES_FILE, help="--candidates: file to write (%(default)s)")
    ap.add_argument("--form", default="default", help="deployment form (tools/cm4/images.py; default: make deploy's)")
    args = ap.parse_args(argv)
    if args.norms:
        norms = measure_norms(os.path.join(os.path.dirname(HERE), "models", "heatface.tflite"), form=args.form)
        print("input_norms", norms)
        with open(args.out) as f:
            doc = json.load(f)
        doc["input_norms"] = norms
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        return 0
    if args.candidates == bool(args.model):
        ap.error("give a model or --candidates")
    if args.candidates:
        with tempfile.TemporaryDirectory(prefix="hf-cost-") as tmp:
            paths, facts = candidate_models(tmp)
            figures = measure(paths, form=args.form)
        for arch in facts:
            facts[arch].update(figures[arch])
            print(arch, " ".join("%s=%s" % kv for kv in sorted(facts[arch].items()) if kv[0] != "ops"))
        doc = {"form": args.form, "weights": "untrained (cost does not depend on weight values)",
               "candidates": facts, "input_norms": load_norm_costs(args.out)}
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        return 0
    figures = measure({"model": args.model}, form=args.form)["model"]
    figures["cm4_form"] = args.form
    for k, v in sorted(figures.items()):
        print("%s %s" % (k, v))
    if args.update_report:
        update_report(args.model, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
