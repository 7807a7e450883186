"""The native per-pixel kernels, when this firmware can run them; ``None`` otherwise.

``pixels`` is the dynamic native module ``heatface_pixels`` (C, built from firmware/natmod/pixels
for the board's architecture, e.g. ``heatface_pixels.mpy`` for armv7emsp on a Wio Terminal, put on
the board next to lib/heatface). It is chosen at run time: a firmware of another architecture
refuses the file (ValueError), a missing file or CPython gives ImportError, and a build whose
float width differs from the firmware's is not used. Every kernel has a portable twin in
heatface's MicroPython code, which stays the reference the kernel is tested against.
"""

import sys
from array import array


def is_float32_array(obj):
    """True when ``obj`` is an ``array('f')``: the only temperature buffer the kernels accept."""
    if type(obj) is not array:
        return False
    if sys.implementation.name != "micropython":
        return obj.typecode == "f"
    # MicroPython arrays have no typecode: a 4-byte item that reads back as a float.
    return len(obj) > 0 and len(bytes(memoryview(obj)[:1])) == 4 and isinstance(obj[0], float)


def _float_bits():
    # 2**-30 is below float32's resolution at 1.0 and above float64's
    return 32 if 1.0 + 2.0 ** -30 == 1.0 else 64


def _load():
    try:
        import heatface_pixels
    except (ImportError, ValueError, OSError):
        return None
    if getattr(heatface_pixels, "FLOAT_BITS", 0) != _float_bits():
        return None
    return heatface_pixels


pixels = _load()
