"""The device suite (tests/device) on the emulated Cortex-M4F board, in one deployment form.

    python tools/cm4/suite.py [--form default|py|mpy|romfs|frozen] [module ...]

Semantics of tests/mprun.py: every module runs in a fresh interpreter (a soft reset of the board
between modules: fresh heap, _boot.py again) at the Wio Terminal's 176,876-byte heap, unless its
first line asks for another (``# mprun: heapsize=512K``, for modules that keep the simulated
hardware in the heap); one board boots per heap size. Prints one line per failure and closes with
``N passed, N failed`` (and xfailed / skipped). Two boards run side by side (``--jobs``). Exits non-zero on any failure that is not on the
expected-failure list (tools/cm4/xfail.txt), each of which is printed as XFAIL with its issue.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import images  # noqa: E402
from qemu import Board, BoardError, WIO_HEAP_BYTES  # noqa: E402

sys.path.insert(0, os.path.join(images.REPO, "tests"))
import mprun  # noqa: E402

REPO = images.REPO
DEVICE_TESTS = os.path.join(REPO, "tests", "device")
XFAIL_FILE = os.path.join(REPO, "tools", "cm4", "xfail.txt")
MODULE_TIMEOUT = 1800  # seconds of host time for one module (a hang, not a slow test: under load the
# slowest module, test_app_memory, took 8 minutes)


def discover():
    return sorted(n[:-3] for n in os.listdir(DEVICE_TESTS) if n.startswith("test_") and n.endswith(".py"))


def module_heap(name):
    """The heap a module asks for on its first line (tests/mprun.py), else the Wio Terminal's."""
    return mprun.module_heap(name) or WIO_HEAP_BYTES


def load_xfail(form):
    """{test id: reason} for this form from tools/cm4/xfail.txt: lines ``<forms> <test id> <reason>``,
    forms comma-separated or ``*``; a test id is ``module.test`` or ``module`` (any test in it)."""
    table = {}
    if not os.path.exists(XFAIL_FILE):
        return table
    with open(XFAIL_FILE) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            forms, test_id, reason = line.split(None, 2)
            if forms == "*" or form in forms.split(","):
                table[test_id] = reason
    return table


def run_suite(form=None, modules=None, out=sys.stdout, verbose=False, jobs=2):
    """Run the modules on ``jobs`` boards side by side; return (passed, failed, xfailed, skipped,
    seconds). Output is printed per module, in module order."""
    import threading

    form = images.resolve_form(form)
    t0 = time.time()
    imgs = images.board_images(form, os.path.join(REPO, "out", "cm4", "suite-" + form))
    xfail = load_xfail(form)
    names = modules or discover()
    queue = sorted(names, key=lambda n: (module_heap(n), names.index(n)))
    texts = {}
    lock = threading.Lock()

    def worker():
        board = None
        while True:
            with lock:
                if not queue:
                    break
                name = queue.pop(0)
            heap = module_heap(name)
            t1 = time.time()
            try:
                if board is not None and board.heap_bytes != heap:
                    board.close()
                    board = None
                if board is None:
                    board = Board(imgs["firmware"], disk=imgs["disk"], romfs=imgs["romfs"],
                                  heap_bytes=heap, icount=False)
                else:
                    board.soft_reset()
                text = board.exec("import cm4_mprun\ncm4_mprun.run(%r)" % name,
                                  timeout=MODULE_TIMEOUT).decode(errors="replace")
            except BoardError as exc:
                text = "FAIL %s (the board died: %s)\n%s\nMPRUN 0 1 0\n" % (
                    name, str(exc).strip(), exc.output.decode(errors="replace"))
                if board:
                    board.close()
                board = None
            texts[name] = (text, time.time() - t1)
        if board:
            board.close()

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = {"passed": 0, "failed": 0, "xfailed": 0, "skipped": 0}
    for name in names:
        text, seconds = texts[name]
        if verbose:
            print("  %s: %.1f s" % (name, seconds), file=out)
        _report(name, text, xfail, counts, out)
    seconds = time.time() - t0
    line = "cm4 %s: %d passed, %d failed" % (form, counts["passed"], counts["failed"])
    if counts["xfailed"]:
        line += ", %d xfailed" % counts["xfailed"]
    if counts["skipped"]:
        line += ", %d skipped" % counts["skipped"]
    print(line + " (%.0f s)" % seconds, file=out)
    return counts["passed"], counts["failed"], counts["xfailed"], counts["skipped"], seconds


def _report(name, text, xfail, counts, out):
    lines = text.replace("\r\n", "\n").split("\n")
    summary = [ln for ln in lines if ln.startswith("MPRUN ")]
    passed, failed, skipped = (int(v) for v in summary[-1].split()[1:]) if summary else (0, 1, 0)
    counts["passed"] += passed
    counts["skipped"] += skipped
    block = None
    for ln in lines:
        if ln.startswith("FAIL "):
            test_id = ln.split()[1]
            reason = xfail.get(test_id) or xfail.get(name)
            if reason:
                counts["xfailed"] += 1
                failed -= 1
                print("XFAIL %s: %s" % (test_id, reason), file=out)
                block = None
            else:
                block = []
                print(ln, file=out)
        elif block is not None and not ln.startswith(("MPRUN ", "skip ")):
            print("    " + ln, file=out)
        elif ln.startswith("skip "):
            print(ln, file=out)
    if not summary:
        print("FAIL %s: no result from the board\n%s" % (name, text), file=out)
    counts["failed"] += max(failed, 0)


def main():
    ap = argparse.ArgumentParser(description="the device suite on the emulated Cortex-M4F board")
    ap.add_argument("--form", default="default", help="deployment form: default, " + ", ".join(images.FORMS))
    ap.add_argument("-v", "--verbose", action="store_true", help="print each module's run time")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="boards side by side (default 2)")
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    os.chdir(REPO)  # tests/mprun.py reads tests/device/ relative to the repository
    passed, failed, _, _, _ = run_suite(args.form, args.modules, verbose=args.verbose, jobs=args.jobs)
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
