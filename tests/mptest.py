"""Assertion helpers shared by the device-side tests under CPython (pytest) and MicroPython.

MicroPython has no pytest and no unittest, so device tests use plain ``assert`` plus these.
"""

import os
import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"


def _float_epsilon():
    eps = 1.0
    while 1.0 + eps / 2 != 1.0:
        eps /= 2
    return eps


# The runtime's float epsilon: 2**-23 on single-float builds (the boards), 2**-52 with doubles.
FLOAT_EPS = _float_epsilon()


class SkipTest(Exception):
    """Raised by :func:`skip`; the MicroPython runner counts it as skipped."""


def skip(reason):
    """Skip the current test (pytest.skip under CPython)."""
    if not IS_MICROPYTHON:
        import pytest

        pytest.skip(reason)
    raise SkipTest(reason)


def raises(exc_type, func, *args, **kwargs):
    """Call ``func`` and return the ``exc_type`` it raised; fail if it raised nothing."""
    try:
        func(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise AssertionError("expected %s from %s" % (exc_type.__name__, func))


def approx_equal(a, b, tol):
    return abs(a - b) <= tol


def repo_path(*parts):
    """Absolute-enough path to a file in the repository (tests run from the repo root)."""
    here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    root = here.rsplit("/", 1)[0] if "/" in here else ".."
    if here == "tests":
        root = "."
    return "/".join((root,) + parts)


def data_path(name):
    return repo_path("tests", "data", name)


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def scratch_path(name):
    """out/<name>, creating out/ (a fresh clone has none): scratch files stay inside the folder the
    suite runs in, so suites running side by side never share one."""
    try:
        os.mkdir("out")
    except OSError:
        pass
    return "out/" + name


def write_file(folder, name, data):
    """Write ``data`` (bytes, bytearray or str) to ``folder/name``, creating ``folder`` (one
    level, e.g. a :func:`scratch_path`); returns the file's path."""
    try:
        os.mkdir(folder)
    except OSError:
        pass
    path = folder + "/" + name
    with open(path, "wb" if isinstance(data, (bytes, bytearray)) else "w") as f:
        f.write(data)
    return path
