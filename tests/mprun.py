"""Run the device-side test modules under the MicroPython unix port.

Usage (from the repository root): ``micropython -X heapsize=160K tests/mprun.py [module ...]``.
Each ``tests/device/test_*.py`` module is imported and every ``test_*`` function in it is called,
as pytest does under CPython. Prints one line per failure and closes with ``N passed, N failed``;
exits non-zero on any failure.
"""

import gc
import os
import sys

sys.path[:0] = ["lib", "tools", "tests", "tests/device"]

from mptest import SkipTest  # noqa: E402


def discover():
    names = [n[:-3] for n in os.listdir("tests/device") if n.startswith("test_") and n.endswith(".py")]
    names.sort()
    return names


def run_module(name, counts):
    before = set(sys.modules)
    try:
        run_tests(name, counts)
    finally:
        # Unload everything the module pulled in, so each module starts from the same heap.
        for loaded in [k for k in sys.modules if k not in before]:
            del sys.modules[loaded]
        gc.collect()


def run_tests(name, counts):
    try:
        module = __import__(name)
    except SkipTest as exc:
        print("skip %s: %s" % (name, exc))
        counts[2] += 1
        return
    for test_name in sorted(dir(module)):
        func = getattr(module, test_name)
        if not test_name.startswith("test_") or not callable(func):
            continue
        try:
            func()
            counts[0] += 1
        except SkipTest as exc:
            counts[2] += 1
            print("skip %s.%s: %s" % (name, test_name, exc))
        except Exception as exc:  # noqa: BLE001 - report every failure, keep going
            counts[1] += 1
            print("FAIL %s.%s" % (name, test_name))
            sys.print_exception(exc)
        gc.collect()


def main(argv):
    counts = [0, 0, 0]  # passed, failed, skipped
    for name in argv or discover():
        run_module(name, counts)
    line = "%d passed, %d failed" % (counts[0], counts[1])
    if counts[2]:
        line += ", %d skipped" % counts[2]
    print(line)
    if counts[1] or not counts[0]:
        sys.exit(1)


main(sys.argv[1:])
