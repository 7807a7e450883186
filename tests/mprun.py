"""Run the device-side test modules under the MicroPython unix port.

Usage (from the repository root): ``micropython -X heapsize=160K tests/mprun.py [module ...]``.
Each ``tests/device/test_*.py`` module is imported and every ``test_*`` function in it is called,
as pytest does under CPython. With no module named, every module runs in its own interpreter
with the same heap size (as after a board reset), unless its first line asks for another
(``# mprun: heapsize=512K``, for tests that keep simulated hardware in the heap too); named
modules run in this one. Prints one line per failure and closes with ``N passed, N failed``;
exits non-zero on any failure.
"""

import gc
import os
import sys

# HEATFACE_MPY names a folder of precompiled .mpy files (lib/ and tools/heatface_sim/, built by
# `make test-micropython`) to import instead of the sources, as a board runs frozen or .mpy code.
_MPY = getattr(os, "getenv", lambda name: None)("HEATFACE_MPY")  # bare-metal os has no getenv
sys.path[:0] = ([_MPY] if _MPY else []) + ["lib", "tools", "tests", "tests/device"]

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


def module_heap(name):
    """A module may ask for another heap size with a first line ``# mprun: heapsize=512K``."""
    with open("tests/device/%s.py" % name) as f:
        first = f.readline()
    if first.startswith("# mprun: heapsize="):
        size = first.split("=", 1)[1].strip()
        return int(size[:-1]) * 1024 if size[-1] in "kK" else int(size)
    return None


def run_isolated(names):
    """Run each module in a fresh interpreter with this one's heap size, as a board reboot would:
    interned names and fragmentation from one module never eat into the next one's heap."""
    default_heap = gc.mem_alloc() + gc.mem_free()
    counts = [0, 0, 0]
    for name in names:
        heap = module_heap(name) or default_heap
        result = "out/mprun-%s.txt" % name
        try:
            os.remove(result)
        except OSError:
            pass
        os.system("%s -X heapsize=%d tests/mprun.py --result %s %s"
                  % (sys.executable, heap, result, name))
        try:
            with open(result) as f:
                got = [int(v) for v in f.read().split()]
        except (OSError, ValueError):
            print("FAIL %s: the interpreter died before reporting" % name)
            got = [0, 1, 0]
        for i in range(3):
            counts[i] += got[i]
    return counts


def main(argv):
    result_file = None
    if argv[:1] == ["--result"]:
        result_file, argv = argv[1], argv[2:]
    if argv:
        counts = [0, 0, 0]  # passed, failed, skipped
        for name in argv:
            run_module(name, counts)
    else:
        try:
            os.mkdir("out")
        except OSError:
            pass
        counts = run_isolated(discover())
    if result_file:
        with open(result_file, "w") as f:
            f.write("%d %d %d" % tuple(counts))
        return
    line = "%d passed, %d failed" % (counts[0], counts[1])
    if counts[2]:
        line += ", %d skipped" % counts[2]
    print(line)
    if counts[1] or not counts[0]:
        sys.exit(1)


# imported (tools/cm4/cm4_mprun.py runs run_tests on the emulated board), it only defines
if __name__ == "__main__":
    main(sys.argv[1:])
