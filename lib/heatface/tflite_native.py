"""Native int8 kernels for the interpreter, when this firmware's architecture has them.

The kernels are a MicroPython dynamic native module, ``heatface_nn_<arch>.mpy`` (built from
firmware/natmod/heatface_nn: CMSIS-NN's s8 kernels, SMLAD on a Cortex-M4), loaded on stock
firmware like any .mpy file. :func:`load` picks the module for the running firmware's native
architecture (``sys.implementation._mpy``) and returns None where there is none (CPython, an ESP32
without a build, a deployment without it): the viper kernels of :mod:`heatface.tflite_kernels`
are then used, and they stay the bit-exact reference the native ones are tested against.

The module's functions take one ``array('i')`` of parameters per operator, made at load:
``conv``/``depthwise(inp, wts, bias, out, mult, shift, scratch, p)`` with p = (ih, iw, ic, oh, ow,
oc, kh, kw, sh, sw, ph, pw, dh, dw, -input_zp, depth_multiplier, output_zp, act_min, act_max);
``fc(inp, wts, bias, out, mult, shift, p)`` with p = (k, n, -input_zp, output_zp, act_min,
act_max, per_channel) (per_channel 1: n multipliers and shifts, else one);
``pool(inp, out, scratch, p)`` with the pool tuple of the viper kernel;
``scratch_size(kind, p)`` (kind 0 conv, 1 depthwise, 2 pool). Weights and biases are read in
place from the model; multipliers and shifts (positive: left) are int32 arrays.
"""

import sys

ABI = 2  # the parameter layout above; a module built for another layout is not used
# Native architecture numbers of py/persistentcode.h (MP_NATIVE_ARCH_*), as .mpy files encode them
ARCH_NAMES = (None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
              "xtensa", "xtensawin", "rv32imc", "rv64imc")
CONV, DEPTHWISE, POOL = 0, 1, 2


def arch():
    """The running firmware's native-code architecture name (e.g. ``"armv7emsp"``), or None."""
    mpy = getattr(sys.implementation, "_mpy", 0)
    a = (mpy >> 10) & 0x3F
    return ARCH_NAMES[a] if a < len(ARCH_NAMES) else None


def module_name(arch_name):
    return "heatface_nn_" + arch_name


def load():
    """The native kernel module for this firmware, or None (then the viper kernels run: also when
    the heap has no block large enough for its machine code, which is copied into RAM)."""
    a = arch()
    if a is None:
        return None
    try:
        nn = __import__(module_name(a))
    except (ImportError, ValueError, OSError, MemoryError):  # ValueError: an .mpy this firmware cannot load
        return None
    return nn if getattr(nn, "ABI", None) == ABI else None
