"""What a model costs on the emulated Cortex-M4F board (issue 7's method: QEMU, instruction counts).

    python tools/model_cost.py models/heatface.tflite [--update-report]

Loads the model with heatface.classifier.Classifier on the board (``--form``, default frozen: the
code in flash, as the custom firmware has it; the Wio Terminal's 176,876-byte heap) and measures, per backend the firmware offers (``pure``: the
MicroPython interpreter; ``native``: the native int8 kernels when heatface has them): instructions
per inference (``classify`` of one frame), the latency at 120 MHz (one instruction per cycle),
and the heap the loaded classifier holds after its first inference. ``--update-report`` writes the
figures into the model's ``.json`` (key ``cm4``) and the rows of ``report.md`` next to it.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CPU_HZ = 120_000_000

_SETUP = """
import gc
from heatface.classifier import Classifier
gc.collect()
_free0 = gc.mem_free()
clf = Classifier.load("/models/m.tflite", backend=%r)
gray = bytearray(768)
for _i in range(768):
    gray[_i] = (_i * 7) & 255
clf.classify(gray)
gc.collect()
print("HEAP", _free0 - gc.mem_free())
"""


def measure(model_path, backends=("pure", "native"), form="frozen"):
    """{key: value} of the model's Cortex-M4F figures; a backend that fails (not in this heatface,
    or out of memory) is reported with the reason under ``<backend>_error``."""
    sys.path.insert(0, os.path.join(HERE, "cm4"))
    from run import CM4, BoardError

    base = model_path[:-7]
    files = {"/models/m.tflite": model_path, "/models/m.json": base + ".json",
             "/models/m.labels.txt": base + ".labels.txt"}
    out = {}
    with CM4(form=form, files=files) as board:
        for backend in backends:
            board.reset()
            try:
                text = board.exec(_SETUP % backend)
            except BoardError as exc:
                out["%s_error" % backend] = str(exc).strip().split("\n")[-1][:120]
                continue
            heap = int(text.split("HEAP")[1].split()[0])
            n = board.instructions("clf.classify(gray)", repeat=2) // 2
            out["cm4_infer_instr_%s" % backend] = n
            out["cm4_infer_ms_%s" % backend] = round(n / CPU_HZ * 1000, 2)
            out["cm4_heap_bytes_%s" % backend] = heap
    return out


def update_report(model_path, figures):
    """Write ``figures`` into the model's .json (``cm4``) and replace the matching rows of report.md."""
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
    for i, line in enumerate(lines):
        for key, value in figures.items():
            if line.startswith("| %s |" % key):
                lines[i] = "| %s | %s |" % (key, value)
    with open(report, "w") as f:
        f.write("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="the .tflite (its .json and .labels.txt next to it)")
    ap.add_argument("--update-report", action="store_true", help="write into .json and report.md")
    ap.add_argument("--form", default="frozen", help="deployment form (tools/cm4/images.py; default frozen)")
    args = ap.parse_args(argv)
    figures = measure(args.model, form=args.form)
    figures["cm4_form"] = args.form
    for k, v in sorted(figures.items()):
        print("%s %s" % (k, v))
    if args.update_report:
        update_report(args.model, figures)


if __name__ == "__main__":
    main()
