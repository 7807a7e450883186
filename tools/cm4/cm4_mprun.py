"""On-board half of the device-suite runner (tools/cm4/suite.py): run one tests/device module.

The host soft-resets the board before each module (a fresh interpreter and heap, as
tests/mprun.py runs each module in a fresh unix-port process), then calls ``run("test_x")``:
tests/mprun.py's run_tests (one ``FAIL module.test`` line and the traceback per failure), plus a
module that fails to import (a MemoryError while loading, say) counted as one failure. The last
line is ``MPRUN <passed> <failed> <skipped>``.
"""

import sys

sys.path[:0] = ["/rom/tests", "/rom/tests/device", "/rom/tools"]

from mprun import run_tests  # noqa: E402


def run(name):
    counts = [0, 0, 0]  # passed, failed, skipped
    try:
        run_tests(name, counts)
    except Exception as exc:  # noqa: BLE001 - only the import can raise out of run_tests
        print("FAIL %s (import)" % name)
        sys.print_exception(exc)
        counts[1] += 1
    print("MPRUN %d %d %d" % tuple(counts))
