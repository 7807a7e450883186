"""Temperatures to the 8-bit grayscale image: the one mapping capture and inference share.

The seed mapped gray = clamp((T - 22) * 255 / 15, 0, 255), i.e. 22..37 degC onto 0..255; those
are the defaults. A model's metadata records the t_lo/t_hi it was trained with, and the app passes
them here, so train/serve skew cannot happen.
"""

from array import array

from heatface.native import pixels as _native

T_LO = 22.0
T_HI = 37.0


def to_gray8(temps, out=None, t_lo=T_LO, t_hi=T_HI):
    """Map temperatures (degC, any float sequence) onto 0..255, clamped, into ``out``.

    ``out`` is a preallocated bytearray of the same length (allocated when None) and is returned.
    Values are rounded to the nearest integer. An ``array('f')`` goes through the native kernel
    where the firmware has it (the same float operations, bit-identical to the loop below).
    """
    n = len(temps)
    if out is None:
        out = bytearray(n)
    if t_hi <= t_lo:
        raise ValueError("t_hi must be above t_lo")
    scale = 255.0 / (t_hi - t_lo)
    offset = 0.5 - t_lo * scale
    if _native is not None and type(temps) is array:
        try:
            return _native.gray8(temps, out, scale, offset)
        except TypeError:  # an array of another type: the loop below reads any sequence
            pass
    return gray8_python(temps, out, scale, offset)


def gray8_python(temps, out, scale, offset):
    """The portable loop of :func:`to_gray8` (and the reference of its native twin)."""
    for i in range(len(temps)):
        v = temps[i] * scale + offset
        if v <= 0.0:
            out[i] = 0
        elif v >= 255.0:
            out[i] = 255
        else:
            out[i] = int(v)
    return out


def from_gray8(value, t_lo=T_LO, t_hi=T_HI):
    """The temperature at the centre of gray level ``value`` (inverse of :func:`to_gray8`)."""
    return t_lo + value * (t_hi - t_lo) / 255.0
