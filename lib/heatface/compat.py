"""Tiny compatibility layer so device code runs unchanged under CPython.

On MicroPython these are the ``time`` module's own functions; on CPython they are emulated with
the same semantics (millisecond ticks that wrap, ``ticks_diff`` aware of the wrap).
"""

import gc
import sys

_MICROPYTHON = sys.implementation.name == "micropython"

try:
    from time import sleep_ms, sleep_us, ticks_add, ticks_diff, ticks_ms, ticks_us
except ImportError:  # CPython
    import time as _time

    _TICKS_PERIOD = 1 << 30
    _TICKS_HALF = _TICKS_PERIOD >> 1

    def ticks_ms():
        return int(_time.monotonic() * 1000) & (_TICKS_PERIOD - 1)

    def ticks_us():
        return int(_time.monotonic() * 1000000) & (_TICKS_PERIOD - 1)

    def ticks_add(ticks, delta):
        return (ticks + delta) & (_TICKS_PERIOD - 1)

    def ticks_diff(end, start):
        return ((end - start + _TICKS_HALF) & (_TICKS_PERIOD - 1)) - _TICKS_HALF

    def sleep_ms(ms):
        _time.sleep(ms / 1000)

    def sleep_us(us):
        _time.sleep(us / 1000000)


def unload(name):
    """Forget the module ``name`` (e.g. ``"heatface.model_meta"``) so the heap can reclaim it: for
    code that runs once (checking the settings, loading the model) and need not stay resident.
    Every name the module is known by goes (a deployment may forward it from another package)."""
    mod = sys.modules.get(name)
    for key in [k for k in sys.modules if k == name or (mod is not None and sys.modules[k] is mod)]:
        del sys.modules[key]
        parts = key.rsplit(".", 1)
        try:
            delattr(sys.modules[parts[0]], parts[1])  # the package's attribute, set by the import
        except (KeyError, AttributeError, IndexError):
            pass


def pack_heap():
    """Collect garbage between the steps of a long allocating job (loading the model). On a port
    without a GC threshold (the samd port's MICROPY_GC_ALLOC_THRESHOLD is 0) garbage is collected
    only when an allocation fails, so such a job first fills the whole free heap with its garbage
    and keeps objects spread over all of it: its later large buffers then find no block.
    Collecting per step keeps what it keeps packed. Nothing on CPython (its heap does not
    fragment so, and a collection there is slow)."""
    if _MICROPYTHON:
        gc.collect()
